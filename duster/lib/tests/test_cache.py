"""The SQLite cache: Django's cache API, entries shared between processes,
a bounded number of entries, and atomic read-change-write."""

import multiprocessing
import time

import pytest

from duster.lib.cache import CULL_BATCH, SQLiteCache


def make_cache(path, **options) -> SQLiteCache:
    return SQLiteCache(str(path), {"OPTIONS": options})


@pytest.fixture
def cache(tmp_path):
    return make_cache(tmp_path / "cache.sqlite3")


def test_what_is_set_is_got_back(cache):
    cache.set("blurb", {"title": "Lamplight", "words": 1200})
    assert cache.get("blurb") == {"title": "Lamplight", "words": 1200}
    assert cache.get("missing", "default") == "default"
    assert cache.has_key("blurb") and not cache.has_key("missing")


def test_an_expired_entry_is_gone(cache):
    cache.set("soon", 1, timeout=0.01)
    cache.set("never", 2, timeout=None)
    time.sleep(0.02)
    assert cache.get("soon") is None
    assert cache.get("never") == 2


def test_add_writes_only_where_no_live_entry_is(cache):
    assert cache.add("key", "first")
    assert not cache.add("key", "second")
    assert cache.get("key") == "first"
    cache.set("stale", "old", timeout=0.01)
    time.sleep(0.02)
    assert cache.add("stale", "new")
    assert cache.get("stale") == "new"


def test_delete_touch_incr_and_clear(cache):
    cache.set("count", 1, timeout=0.05)
    assert cache.incr("count", 4) == 5
    assert cache.touch("count", timeout=60)
    time.sleep(0.06)
    assert cache.get("count") == 5
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert cache.delete("count") and not cache.delete("count")
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
    cache.clear()
    assert cache.get("a") is None and cache.entry_count() == 0


def test_get_many_reads_live_entries_in_one_statement_per_500_keys(tmp_path):
    cache = make_cache(tmp_path / "cache.sqlite3", MAX_ENTRIES=10_000)
    cache.set_many({f"key{n}": n for n in range(1_200)})
    cache.set("soon", "gone", timeout=0.01)
    time.sleep(0.02)
    statements: list[str] = []
    cache._db().set_trace_callback(statements.append)
    found = cache.get_many([*(f"key{n}" for n in range(1_200)), "soon", "missing"])
    assert found == {f"key{n}": n for n in range(1_200)}
    assert len(statements) == 3
    assert cache.get_many([]) == {}
    cache.set("version", "v1", version=2)
    assert cache.get_many(["version"], version=2) == {"version": "v1"}
    assert cache.get_many(["version"]) == {}


def test_the_count_stays_right_after_a_clear(cache):
    cache.set_many({"a": 1, "b": 2, "c": 3})
    cache.clear()
    cache.set_many({"d": 4, "e": 5})
    cache.delete("d")
    assert cache.entry_count() == 1


def test_a_timeout_of_zero_stores_nothing(cache):
    cache.set("key", 1, timeout=0)
    assert cache.get("key") is None
    assert cache.entry_count() == 0


def test_atomic_update_stores_what_the_change_returns(cache):
    assert cache.atomic_update("list", lambda value: ((value or []) + [1], "added")) == "added"
    assert cache.atomic_update("list", lambda value: (None, len(value))) == 1
    assert cache.get("list") == [1]


def test_a_failing_change_leaves_the_entry_as_it_was(cache):
    cache.set("list", [1])

    def change(value):
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        cache.atomic_update("list", change)
    assert cache.get("list") == [1]
    cache.set("after", 2)  # the connection is usable again
    assert cache.get("after") == 2


def test_the_entries_stay_near_max_entries(tmp_path):
    cache = make_cache(tmp_path / "cache.sqlite3", MAX_ENTRIES=500)
    for number in range(3000):
        cache.set(f"key{number}", number, timeout=1000 + number)
    assert cache.entry_count() <= 500
    assert cache.entry_count() >= 500 - 4 * CULL_BATCH
    # Culling took the soonest to expire: the newest entries are all there.
    assert all(cache.get(f"key{number}") == number for number in range(2900, 3000))


def test_expired_entries_are_swept_as_others_are_written(cache):
    cache.set_many({f"old{n}": n for n in range(CULL_BATCH)}, timeout=0.01)
    time.sleep(0.02)
    for number in range(16):
        cache.set(f"new{number}", number)
    assert cache.entry_count() == 16


def _add_many(path, first: int, results) -> None:
    cache = make_cache(path)
    for _ in range(100):
        cache.incr("counter")
    results.put([cache.add(f"claim{n}", first) for n in range(50)])


def test_processes_share_entries_and_never_lose_an_update(tmp_path):
    path = tmp_path / "cache.sqlite3"
    make_cache(path).set("counter", 0)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_add_many, args=(path, n, results)) for n in range(2)]
    for worker in workers:
        worker.start()
    claims = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert make_cache(path).get("counter") == 200
    # Every key was added by exactly one of the two.
    assert [a + b for a, b in zip(*claims, strict=True)] == [1] * 50
