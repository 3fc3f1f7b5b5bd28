"""kept_while_unchanged: a value kept until what it depends on changes, also
when it is held in the process beside the cache (in_process=True)."""

import pytest
from django.core.cache import cache

from duster.lib import pagecache
from duster.lib.pagecache import kept_while_unchanged, pages_changed, work_page_dependencies


@pytest.fixture(autouse=True)
def empty():
    cache.clear()
    pagecache._held.clear()
    yield
    cache.clear()
    pagecache._held.clear()


class Counter:
    def __init__(self) -> None:
        self.made = 0

    def __call__(self) -> dict:
        self.made += 1
        return {"made": self.made}


@pytest.mark.parametrize("in_process", [False, True])
def test_kept_until_a_change_then_made_again(in_process):
    compute = Counter()

    def value():
        return kept_while_unchanged("k", work_page_dependencies(7), compute, in_process=in_process)

    assert value() == {"made": 1}
    assert value() == {"made": 1}
    pages_changed(work_ids=[8], lists=False)  # another work: no change here
    assert value() == {"made": 1}
    pages_changed(work_ids=[7], lists=False)
    assert value() == {"made": 2}
    assert compute.made == 2


def test_a_value_held_in_process_is_the_same_object_until_a_change():
    compute = Counter()

    def value():
        return kept_while_unchanged("k", ("lists",), compute, in_process=True)

    first = value()
    assert value() is first
    pages_changed(work_ids=[], lists=True)
    assert value() is not first


def test_another_process_reads_what_one_process_kept():
    """Each process holds its own; a process that holds nothing yet (or an
    old value) takes the current one from the shared cache."""
    compute = Counter()
    kept_while_unchanged("k", ("lists",), compute, in_process=True)
    pagecache._held.clear()  # as another process starts
    assert kept_while_unchanged("k", ("lists",), compute, in_process=True) == {"made": 1}
    pages_changed(work_ids=[], lists=True)
    other = Counter()
    other.made = 10
    assert kept_while_unchanged("k", ("lists",), other, in_process=True) == {"made": 11}
    # The first process's held value is old now: it takes the new one.
    assert kept_while_unchanged("k", ("lists",), compute, in_process=True) == {"made": 11}


def test_a_value_held_is_dropped_when_its_versions_left_the_cache():
    compute = Counter()
    kept_while_unchanged("k", ("lists",), compute, in_process=True)
    cache.clear()
    assert kept_while_unchanged("k", ("lists",), compute, in_process=True) == {"made": 2}


def test_the_process_holds_a_bounded_number(monkeypatch):
    monkeypatch.setattr(pagecache, "HELD_MAX", 3)
    for number in range(5):
        kept_while_unchanged(f"k{number}", ("lists",), Counter(), in_process=True)
    assert len(pagecache._held) == 3
