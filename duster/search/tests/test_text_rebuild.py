"""Rebuilding the text index with a second process making the rows. The
second process needs committed works and a database another process can
open: those tests run on PostgreSQL (SQLite's test database is in memory),
in a process of their own, as the command runs; the rest on both."""

import os
import subprocess
import sys
import threading

import pytest
from django.db import connection

from duster.search.models import SearchChange
from duster.search.text import parse_query, rebuild, text_index_rebuild, text_match
from duster.testing.factories import make_user, make_work
from duster.works.models import Work

# A rebuild in a process with one thread, on the test database. Not from
# this process: it may run a browser test's live server thread, and a
# forked child would inherit that thread's connection.
_REBUILD = """
import django
django.setup()
from duster.search.text import postgres, rebuild, text_index_rebuild
rebuild.SECOND_PROCESS_FROM = 1
rebuild.BATCH = 3  # several batches, the last one short
{change}
print(text_index_rebuild(), rebuild._second_process_helps(1))
"""

needs_a_shared_database = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's test database is in memory: no other process can open it",
)


def _works(n: int) -> list[Work]:
    author = make_user("writer")
    return [make_work(author, title=f"Lantern {i} harbor") for i in range(n)]


def _rebuild_elsewhere(change: str = "") -> subprocess.CompletedProcess:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return subprocess.run(  # noqa: S603  (this interpreter, our own script)
        [sys.executable, "-c", _REBUILD.format(change=change)],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_a_shared_database
@pytest.mark.django_db(transaction=True)
def test_rebuild_with_a_second_process_indexes_every_posted_work():
    works = _works(7)
    Work.objects.filter(pk=works[2].pk).update(state="hidden")
    done = _rebuild_elsewhere()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6", "True"]
    assert text_match(parse_query("lantern")).tolist() == sorted(
        w.pk for w in works if w != works[2]
    )
    assert text_match(parse_query('"lantern 4 harbor"')).tolist() == [works[4].pk]


@needs_a_shared_database
@pytest.mark.django_db(transaction=True)
def test_rebuild_says_what_went_wrong_in_the_second_process():
    works = _works(2)
    broken = _rebuild_elsewhere(
        "def broken(texts):\n    raise ValueError('a broken text')\npostgres.index_rows = broken"
    )
    assert broken.returncode != 0
    assert "making the index's rows failed: ValueError: a broken text" in broken.stderr
    # The index is still usable: a rebuild once the text is whole works.
    done = _rebuild_elsewhere()
    assert done.stdout.split() == ["2", "True"], done.stderr
    assert text_match(parse_query("lantern")).tolist() == [w.pk for w in works]


@pytest.mark.django_db
def test_a_work_changed_during_the_rebuild_is_indexed_as_it_is_now(monkeypatch):
    works = _works(2)
    made = rebuild.made_batches

    def read_before_the_change(backend, posted):
        batches = list(made(backend, posted))  # the old title, read
        # An edit commits meanwhile, and its own refresh runs before the
        # rebuild writes what it read.
        Work.objects.filter(pk=works[1].pk).update(title="Renamed meadow")
        SearchChange.objects.create(work_id=works[1].pk)
        yield from batches

    monkeypatch.setattr("duster.search.text.made_batches", read_before_the_change)
    text_index_rebuild()
    assert text_match(parse_query("meadow")).tolist() == [works[1].pk]
    assert text_match(parse_query("lantern")).tolist() == [works[0].pk]


def test_no_second_process_from_a_process_with_other_threads():
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not rebuild._forks_safely()
    finally:
        release.set()
        other.join()


@pytest.mark.django_db
def test_no_second_process_inside_a_transaction(monkeypatch):
    # Another connection would not see what the transaction wrote.
    monkeypatch.setattr(rebuild, "_forks_safely", lambda: True)
    assert connection.in_atomic_block
    assert not rebuild._second_process_helps(10**6)
