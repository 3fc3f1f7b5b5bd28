"""Rebuilding the text index with a second process making the rows, on the
active database. The second process needs committed works and a database it
can open: on PostgreSQL it runs here; SQLite's test database is in memory,
so there the rows are made in this process and only the results are checked."""

import threading

import pytest
from django.db import connection

from duster.search.models import SearchChange
from duster.search.text import parse_query, rebuild, text_index_rebuild, text_match
from duster.testing.factories import make_user, make_work
from duster.works.models import Work


@pytest.fixture
def second_process(monkeypatch):
    """Use the second process from one work on (though a browser test's live
    server thread may still run); record whether it was used."""
    monkeypatch.setattr(rebuild, "SECOND_PROCESS_FROM", 1)
    monkeypatch.setattr(rebuild, "_forks_safely", lambda: True)
    used = []
    helps = rebuild._second_process_helps

    def recorded(posted: int) -> bool:
        used.append(helps(posted))
        return used[-1]

    monkeypatch.setattr(rebuild, "_second_process_helps", recorded)
    return used


def _works(n: int) -> list[Work]:
    author = make_user("writer")
    return [make_work(author, title=f"Lantern {i} harbor") for i in range(n)]


@pytest.mark.django_db(transaction=True)
def test_rebuild_with_a_second_process_indexes_every_posted_work(second_process, monkeypatch):
    monkeypatch.setattr(rebuild, "BATCH", 3)  # several batches, the last one short
    works = _works(7)
    Work.objects.filter(pk=works[2].pk).update(state="hidden")
    assert text_index_rebuild() == 6
    assert second_process == [connection.vendor == "postgresql"]
    assert text_match(parse_query("lantern")).tolist() == sorted(
        w.pk for w in works if w != works[2]
    )
    assert text_match(parse_query('"lantern 4 harbor"')).tolist() == [works[4].pk]


@pytest.mark.django_db(transaction=True)
def test_rebuild_says_what_went_wrong_in_the_second_process(second_process, monkeypatch):
    _works(2)

    def broken(texts):
        raise ValueError("a broken text")

    monkeypatch.setattr("duster.search.text.sqlite.index_rows", broken)
    monkeypatch.setattr("duster.search.text.postgres.index_rows", broken)
    expected = "making the index's rows failed: ValueError: a broken text"
    if connection.vendor == "sqlite":  # made here: the error itself
        expected = "a broken text"
    with pytest.raises((RuntimeError, ValueError), match=expected):
        text_index_rebuild()
    # The index is still usable: a rebuild once the text is whole works.
    monkeypatch.undo()
    assert text_index_rebuild() == 2


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
