"""The change log: every write that changes what a search finds is logged in
the writer's transaction, whatever path made it."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from duster.search.models import SearchChange
from duster.search.params import WorkSearch
from duster.search.service import search_works
from duster.testing.factories import make_user, make_work
from duster.works.services.hits import work_record_hit
from duster.works.services.stats import works_touch

pytestmark = pytest.mark.django_db

NO_MUTES = SimpleNamespace(tag_ids=frozenset(), user_ids=frozenset())


def by_hits() -> list[int]:
    search = WorkSearch.from_query({"sort": "hits"})
    return [w.pk for w in search_works(search, AnonymousUser(), mutes=NO_MUTES).works]


def test_a_hit_reorders_a_hits_sort_on_the_next_search():
    writer = make_user()
    first, second = make_work(writer), make_work(writer)
    assert by_hits() == [second.pk, first.pk]  # no hits: the newer first
    assert work_record_hit(work_pk=first.pk, visitor="guest:1")
    assert by_hits() == [first.pk, second.pk]


def test_writes_log_the_works_they_change():
    writer = make_user()
    work = make_work(writer)
    mark = SearchChange.objects.latest("pk").pk
    works_touch(work_ids=[work.pk])
    assert list(SearchChange.objects.filter(pk__gt=mark).values_list("work_id", flat=True)) == [
        work.pk
    ]
    mark = SearchChange.objects.latest("pk").pk
    writer.default_pseud.name = "Renamed"
    writer.default_pseud.save()
    assert work.pk in set(
        SearchChange.objects.filter(pk__gt=mark).values_list("work_id", flat=True)
    )


def test_a_rolled_back_write_leaves_no_log_row():
    from django.db import transaction

    writer = make_user()
    before = SearchChange.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_work(writer)
        raise RuntimeError
    assert SearchChange.objects.count() == before
