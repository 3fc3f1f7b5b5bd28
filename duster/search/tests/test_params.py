"""WorkSearch's URL query: the same search always gives the same string, and
a page's facet links (query_adding) are exactly what to_query gives."""

import datetime

import pytest

from duster.search.params import WorkSearch

SEARCHES = [
    WorkSearch(),
    WorkSearch(q='"salt and starlight" -moth', sort="kudos", page=3),
    WorkSearch(include=("Glass Harbour", "A/B"), exclude=("Angst & Fluff",), complete=True),
    WorkSearch(exclude=("Ünïcode tag",), words_from=1000, creator="quill", rating=("teen",)),
    WorkSearch(include=("x",), updated_from=datetime.date(2026, 1, 2), kudos_min=5, complete=False),
]


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("name", ["include", "exclude"])
def test_a_facet_link_adds_one_tag_as_to_query_would(search, name):
    adding = search.query_adding(name)
    for value in ("Moth Kingdom", "Kara Danvers/Lena Luthor", "&?=#%", "é"):
        expected = search.to_query(**{name: (*getattr(search, name), value)})
        assert adding(value) == expected


@pytest.mark.parametrize("search", SEARCHES)
def test_the_query_reads_back_as_the_same_search(search):
    from django.http import QueryDict

    again = WorkSearch.from_query(QueryDict(search.to_query(page=search.page)))
    assert again == search


def test_in_progress_only_stays_in_every_link():
    """complete=0 (in progress) is a filter like complete=1, not "either"."""
    search = WorkSearch(complete=False)
    assert search.to_query() == "complete=0"
    assert search.query_adding("include")("Moth Kingdom") == "include=Moth+Kingdom&complete=0"
    assert WorkSearch().to_query() == ""
