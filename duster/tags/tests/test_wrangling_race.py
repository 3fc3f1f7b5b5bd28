"""Two wranglers changing overlapping tags at once leave a sound graph
(PostgreSQL: SQLite serialises writers already)."""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from duster.tags.filtering import meta_cycle_check
from duster.tags.models import MetaTagging, Tag, TagType
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services import graph, tag_make_canonical, tag_merge, tag_meta_add
from duster.testing.concurrency import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs several connections writing at once (PostgreSQL)")


def canonical(*names: str, tag_type=TagType.FREEFORM) -> list[Tag]:
    tags = tags_find_or_create(tag_type=tag_type, names=list(names))
    tag_make_canonical(actor=None, tags=tags)
    return [Tag.objects.get(pk=t.pk) for t in tags]


def test_two_meta_tags_that_would_make_a_cycle_are_not_both_added(monkeypatch):
    a, b = canonical("A", "B")
    # Each wrangler checks for a cycle, then waits (up to a second) for the
    # other to have checked too: without locking, both checks would pass.
    barrier = threading.Barrier(2, timeout=1)

    def check_then_wait(sub, meta):
        meta_cycle_check(sub, meta)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    monkeypatch.setattr(graph, "meta_cycle_check", check_then_wait)
    results = in_threads(
        lambda: tag_meta_add(actor=None, tags=[Tag.objects.get(pk=a.pk)], meta=b),
        lambda: tag_meta_add(actor=None, tags=[Tag.objects.get(pk=b.pk)], meta=a),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError)
    assert "cycle" in " ".join(errors[0].messages)
    assert MetaTagging.objects.count() == 1


def test_two_canonical_tags_merged_into_each_other_at_once_leave_no_chain(monkeypatch):
    x, y = canonical("X", "Y")
    barrier = threading.Barrier(2, timeout=1)
    same_type = graph.same_type

    def check_then_wait(tag, other, field):
        same_type(tag, other, field)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    monkeypatch.setattr(graph, "same_type", check_then_wait)
    results = in_threads(
        lambda: tag_merge(actor=None, tags=[Tag.objects.get(pk=x.pk)], into=y),
        lambda: tag_merge(actor=None, tags=[Tag.objects.get(pk=y.pk)], into=x),
    )
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    synonyms = Tag.objects.filter(merger__isnull=False)
    assert synonyms.count() == 1
    merger = synonyms.get().merger
    assert merger is not None and merger.canonical


def test_many_wranglers_merging_into_one_tag_at_once_all_succeed():
    (target,) = canonical("Buffy Summers/Spike", tag_type=TagType.RELATIONSHIP)
    spellings = tags_find_or_create(
        tag_type=TagType.RELATIONSHIP, names=[f"Spike/Buffy {n}" for n in range(8)]
    )
    results = in_threads(
        *[(lambda tag=tag: tag_merge(actor=None, tags=[tag], into=target)) for tag in spellings]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert target.synonyms.count() == 8
