"""Text queries through search_works: the text index follows posting,
editing, wrangling and anonymity as the filter index does, once the writer's
transaction commits."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from duster.search.params import WorkSearch
from duster.search.service import search_works
from duster.tags.models import Tag, TagType
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services import tag_make_canonical, tag_merge
from duster.testing.factories import make_user, make_work
from duster.works.services.chapters import chapter_update

pytestmark = pytest.mark.django_db(transaction=True)

NO_MUTES = SimpleNamespace(tag_ids=frozenset(), user_ids=frozenset())


def found(q: str, **query) -> list[int]:
    search = WorkSearch.from_query({"q": q, **query})
    return [w.pk for w in search_works(search, AnonymousUser(), mutes=NO_MUTES).works]


def test_posting_and_editing_reach_the_text_index():
    writer = make_user("lanternwright")
    work = make_work(writer, title="The Ferry at Dusk")
    assert found("ferry") == [work.pk]
    assert found('"ferry at dusk"') == [work.pk]
    chapter = work.chapters.get()
    chapter_update(
        chapter=chapter,
        fields={"body": "<p>A heron waits by the água.</p>"},
        version=chapter.version,
    )
    assert found("heron agua") == [work.pk]
    assert found("few words") == []  # the old text is gone
    assert found("creator:lanternwright") == [work.pk]


def test_an_anonymous_work_is_never_found_by_its_creator():
    writer = make_user("quillsmith")
    work = make_work(writer, title="Unsigned Letters", anonymous=True)
    assert found("unsigned") == [work.pk]
    assert found("quillsmith") == []
    assert found("creator:quillsmith") == []
    assert found("unsigned", creator="quillsmith") == []


def test_a_synonyms_canonical_name_finds_the_work_after_a_merge():
    writer = make_user()
    work = make_work(writer, freeforms=["hurt comfort"])
    (canonical,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=["Hurt/Comfort"])
    tag_make_canonical(actor=None, tags=[canonical])
    tag_merge(actor=None, tags=[Tag.objects.get(name="hurt comfort")], into=canonical)
    assert found('tag:"hurt/comfort"') == [work.pk]


def test_text_and_filters_together_with_snippets():
    writer = make_user()
    teen = make_work(writer, title="Lanterns", rating="teen")
    make_work(writer, title="Lanterns Again", rating="explicit")
    search = WorkSearch.from_query({"q": "lanterns", "rating": "teen"})
    results = search_works(search, AnonymousUser(), mutes=NO_MUTES)
    assert [w.pk for w in results.works] == [teen.pk]
    assert results.search.order == "best"


def test_bad_text_never_fails():
    make_work(make_user(), title="Quiet")
    for q in ['"unbalanced', "nosuch:field quiet", "x" * 5000, "NEAR(a b) OR *", "-", '""']:
        search = WorkSearch.from_query({"q": q})
        results = search_works(search, AnonymousUser(), mutes=NO_MUTES)
        assert results.total >= 0


def test_matching_within_a_few_works_finds_what_matching_all_finds_there():
    import numpy as np

    from duster.search.text import parse_query, text_match

    writer = make_user("within")
    works = [
        make_work(writer, title=title, freeforms=tags)
        for title, tags in [
            ("Salt and Starlight", ["Fluff"]),
            ("Starlight Ferry", ["Angst"]),
            ("The Ferry", ["Fluff"]),
            ("Salt Roads", []),
        ]
    ]
    some = np.array(sorted(w.pk for w in works[1:]), dtype=np.int64)
    for q in ["starlight", '"salt and starlight"', "ferry -angst", "tag:fluff", "title:salt -x"]:
        query = parse_query(q)
        everywhere = set(text_match(query).tolist())
        assert set(text_match(query, some).tolist()) == everywhere & set(some.tolist()), q
