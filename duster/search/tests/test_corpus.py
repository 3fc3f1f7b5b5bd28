"""The generated corpus: the same seed gives the same archive, and its stored
counts and filter tags are what the services would have written."""

import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from duster.accounts.models import User
from duster.lib.text import word_count
from duster.search.corpus import (
    FUNCTION_WORDS,
    PHRASES,
    VOCABULARY_SIZE,
    WORD_RANKS,
    WORDS,
    corpus_generate,
    vocabulary,
)
from duster.tags.filtering import filter_tag_ids
from duster.tags.models import FilterTagging, MetaTagging, Tag, TagType
from duster.works.models import Chapter, Work, WorkState, WorkTag
from duster.works.services.stats import work_refresh

pytestmark = pytest.mark.django_db

WORKS = 300


def _archive() -> list[list]:
    """The generated rows by content (names, not ids), in the order made."""
    works = Work.objects.order_by("pk")
    tags = Counter(WorkTag.objects.values_list("work__title", "tag__name", "position"))
    chapters = list(
        Chapter.objects.order_by("work_id", "position").values_list(
            "position", "body", "word_count", "posted", "published_at"
        )
    )
    return [
        list(
            works.values_list(
                "title",
                "summary",
                "language",
                "rating",
                "state",
                "restricted",
                "anonymous",
                "expected_chapters",
                "chapter_count",
                "word_count",
                "published_at",
                "updated_at",
                "hits",
                "kudos_count",
                "creatorships__pseud__name",
            )
        ),
        sorted(tags.items()),
        chapters,
        sorted(Tag.objects.values_list("name", "type", "slug", "canonical", "merger__name")),
    ]


def _forget_archive() -> None:
    Work.objects.all().delete()
    Tag.objects.filter(fixed=False).delete()
    User.objects.all().delete()


@pytest.fixture
def corpus():
    return corpus_generate(works=WORKS, seed=7)


def test_same_seed_makes_the_same_archive(corpus):
    first = _archive()
    _forget_archive()
    corpus_generate(works=WORKS, seed=7, batch=64)
    assert _archive() == first
    _forget_archive()
    corpus_generate(works=WORKS, seed=8)
    assert _archive() != first


def test_summary_counts_the_rows_written(corpus):
    assert corpus.works == Work.objects.count() == WORKS
    assert corpus.chapters == Chapter.objects.count()
    assert corpus.work_tags == WorkTag.objects.count()
    assert corpus.filter_taggings == FilterTagging.objects.count()
    assert corpus.tags == Tag.objects.filter(fixed=False).count()


def test_filter_tags_are_what_filtering_computes(corpus):
    ids = list(Work.objects.values_list("pk", flat=True))
    stored: dict[int, set[int]] = {work_id: set() for work_id in ids}
    types = dict(Tag.objects.values_list("pk", "type"))
    for work_id, tag_id, tag_type in FilterTagging.objects.values_list(
        "work_id", "tag_id", "tag_type"
    ):
        stored[work_id].add(tag_id)
        assert tag_type == types[tag_id]
    assert stored == filter_tag_ids(ids)


def test_counts_and_dates_are_what_work_refresh_leaves(corpus):
    fields = [
        "chapter_count",
        "expected_chapters",
        "word_count",
        "complete",
        "published_at",
        "updated_at",
        "completed_at",
    ]
    for work in Work.objects.all():
        stored = [getattr(work, name) for name in fields]
        work_refresh(work=work)
        assert [getattr(work, name) for name in fields] == stored, work.pk


def test_chapter_word_counts_are_counted_from_the_text(corpus):
    for body, words in Chapter.objects.values_list("body", "word_count"):
        assert body.startswith("<p>")
        assert word_count(body) == words


def test_archive_is_skewed_like_a_real_one(corpus):
    fandom_use = Counter(
        WorkTag.objects.filter(tag__type=TagType.FANDOM).values_list("tag_id", flat=True)
    )
    biggest, *_, smallest = sorted(fandom_use.values(), reverse=True)
    assert biggest >= 10 * smallest
    chapters = Counter(Work.objects.values_list("chapter_count", flat=True))
    assert chapters[1] > WORKS / 2
    assert max(chapters) >= 10
    per_work = Counter(WorkTag.objects.values_list("work_id", flat=True))
    assert 5 <= sum(per_work.values()) / WORKS <= 15
    crossovers = [
        n
        for n in Counter(
            WorkTag.objects.filter(tag__type=TagType.FANDOM).values_list("work_id", flat=True)
        ).values()
        if n == 2
    ]
    assert crossovers
    states = Counter(Work.objects.values_list("state", flat=True))
    assert states[WorkState.DRAFT] and states[WorkState.POSTED] > 0.9 * WORKS


def test_story_words_are_used_zipf_like(corpus):
    assert vocabulary() == vocabulary()
    # Each word's place after the function words, counted from 0.
    places = {word: at - len(FUNCTION_WORDS) for at, word in enumerate(vocabulary())}
    assert len(places) == VOCABULARY_SIZE + len(FUNCTION_WORDS)
    assert all(WORD_RANKS[0] <= places[w] <= WORD_RANKS[1] for w in WORDS)
    uses: Counter[str] = Counter()
    bodies = Chapter.objects.filter(work__language="en").values_list("body", flat=True)
    for body in bodies:
        uses.update(set(re.findall(r"[a-z]+", body.lower())))
    english = len(bodies)
    assert uses["the"] > 0.5 * english  # in most chapters
    assert uses[WORDS[-1]] < 0.05 * english  # in few
    assert len(uses) > 3000


def test_searches_have_synonyms_meta_tags_phrases_and_cjk_to_find(corpus):
    assert WorkTag.objects.filter(tag__merger__isnull=False).exists()
    assert MetaTagging.objects.filter(meta__type=TagType.FREEFORM).exists()
    assert MetaTagging.objects.filter(meta__type=TagType.FANDOM).exists()
    assert Chapter.objects.filter(body__contains=PHRASES[0]).exists()
    assert Chapter.objects.filter(work__language="ja", body__contains="灯台").exists()


def _indexes() -> dict[str, list]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return {
            table: sorted(connection.introspection.get_constraints(cursor, table).items())
            for table in tables
        }


def test_indexes_set_aside_for_the_load_are_all_back():
    before = _indexes()
    corpus_generate(works=20, seed=1)
    assert _indexes() == before


def test_fixed_tags_emptied_from_the_archive_come_back_first():
    Tag.objects.filter(fixed=True).delete()
    corpus_generate(works=20, seed=1)
    assert Tag.objects.filter(fixed=True).count() == 17
    assert FilterTagging.objects.filter(tag_type=TagType.RATING).count() == 20


def test_command_refuses_an_archive_with_works(corpus):
    with pytest.raises(CommandError, match="already has works"):
        call_command("generate_corpus", works=10, no_index=True)
