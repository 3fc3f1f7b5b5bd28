"""The filter index and search_works: filters, sorts, facets, visibility,
mutes, and keeping in step with the database. Without a text query (the text
half has its own tests); a brute-force evaluation over the ORM is the oracle."""

import datetime as dt
import random
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from pyroaring import BitMap

from duster.search.index import FilterIndex, filter_index
from duster.search.params import PER_PAGE, SORTS, WorkSearch
from duster.search.service import search_works
from duster.tags.models import FilterTagging, MetaTagging, Tag, TagType, tag_key
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services import tag_make_canonical, tag_merge, tag_meta_add
from duster.testing.factories import make_user, make_work
from duster.works.models import Creatorship, Work, WorkState
from duster.works.services.works import work_update

pytestmark = pytest.mark.django_db

NO_MUTES = SimpleNamespace(tag_ids=frozenset(), user_ids=frozenset())
GUEST = AnonymousUser()


def find(viewer=GUEST, mutes=NO_MUTES, **query):
    return search_works(WorkSearch.from_query(query), viewer, mutes=mutes)


def ids(results) -> list[int]:
    return [work.pk for work in results.works]


def all_ids(viewer=GUEST, mutes=NO_MUTES, **query) -> list[int]:
    """Every page's works, in order."""
    found: list[int] = []
    page = 1
    while True:
        results = find(viewer, mutes, page=str(page), **query)
        found += ids(results)
        if not results.page.has_next():
            return found
        page += 1


# A small archive with something of everything


FANDOMS = ["Lamplighter Chronicles", "Glass Harbour", "Moth Kingdom"]
RELATIONSHIPS = ["Ada/Bram", "Cass/Dee", "Ada & Cass"]
FREEFORMS = ["Fluff", "Angst", "Slow Burn", "Found Family", "Hurt/Comfort"]
RATINGS = ["general", "teen", "mature", "explicit", "not_rated"]
WARNINGS = ["none", "no_warn", "violence", "death"]
CATEGORIES = ["gen", "ff", "mm", "fm", "multi"]


@pytest.fixture
def archive():
    rng = random.Random(7)
    writers = [make_user(f"writer{n}") for n in range(4)]
    now = timezone.now()
    works = []
    for n in range(36):
        writer = writers[n % 4]
        fandoms = rng.sample(FANDOMS, 2 if n % 7 == 0 else 1)
        chapters = 1 if n % 3 else 2
        work = make_work(
            writer,
            title=f"{rng.choice(['An', 'The', 'Ä', 'b'])} work {n:02}",
            fandoms=fandoms,
            relationships=rng.sample(RELATIONSHIPS, rng.randint(0, 2)),
            freeforms=rng.sample(FREEFORMS, rng.randint(0, 3)),
            rating=rng.choice(RATINGS),
            warnings=rng.choice([["none"], ["no_warn"], ["violence"], ["violence", "death"]]),
            categories=rng.sample(CATEGORIES, rng.randint(0, 2)),
            language=rng.choice(["en", "en", "de", "ja"]),
            chapters=chapters,
            expected_chapters=rng.choice([chapters, None]),
            restricted=n % 11 == 5,
            anonymous=n % 9 == 4,
            post=n % 13 != 6,
        )
        works.append(work)
    for work in works:
        Work.objects.filter(pk=work.pk).update(
            word_count=rng.randint(100, 30_000),
            hits=rng.choice([0, 5, 5, 50, 500]),
            kudos_count=rng.choice([0, 1, 1, 10, 100]),
            comment_count=rng.randint(0, 5),
            bookmark_count=rng.randint(0, 3),
            updated_at=now - dt.timedelta(days=rng.choice([1, 1, 30, 400])),
            published_at=now - dt.timedelta(days=rng.choice([400, 800])),
        )
    Work.objects.filter(pk=works[1].pk).update(state=WorkState.HIDDEN)
    # Wrangled: a synonym, and a meta tag over two fandoms of one family.
    canon = {t.name: t for t in Tag.objects.filter(type=TagType.FANDOM, name__in=FANDOMS)}
    tag_make_canonical(actor=None, tags=list(canon.values()))
    synonym = make_work(writers[0], title="Synonym work", fandoms=["GH"])
    harbour = Tag.objects.get(pk=canon["Glass Harbour"].pk)
    tag_merge(actor=None, tags=[Tag.objects.get(type=TagType.FANDOM, name="GH")], into=harbour)
    # One family: works in both its fandoms are no crossovers.
    (family,) = tags_find_or_create(tag_type=TagType.FANDOM, names=["Harbourverse"])
    tag_make_canonical(actor=None, tags=[family])
    tag_meta_add(
        actor=None,
        tags=[Tag.objects.get(pk=harbour.pk), Tag.objects.get(name="Moth Kingdom")],
        meta=Tag.objects.get(pk=family.pk),
    )
    return SimpleNamespace(writers=writers, works=works, synonym=synonym)


# The oracle


def brute(search: WorkSearch, viewer=GUEST, mutes=NO_MUTES) -> list[int]:
    """The same search, work by work over the ORM."""
    member = viewer.is_authenticated
    works = Work.objects.filter(state=WorkState.POSTED)
    if not member:
        works = works.filter(restricted=False)
    filter_tags: dict[int, set[int]] = {}
    for work_id, tag_id in FilterTagging.objects.values_list("work_id", "tag_id"):
        filter_tags.setdefault(work_id, set()).add(tag_id)
    metas: dict[int, set[int]] = {}
    for sub, meta in MetaTagging.objects.values_list("sub_id", "meta_id"):
        metas.setdefault(sub, set()).add(meta)
    fandom_ids = set(Tag.objects.filter(type=TagType.FANDOM).values_list("pk", flat=True))
    credits: dict[int, set[int]] = {}
    for work_id, user_id in Creatorship.objects.filter(approved=True).values_list(
        "work_id", "pseud__user_id"
    ):
        credits.setdefault(work_id, set()).add(user_id)

    def canonical_ids(name: str) -> set[int]:
        return {t.merger_id or t.pk for t in Tag.objects.filter(key=tag_key(name))}

    def family(tag_id: int) -> set[int]:
        found, todo = {tag_id}, [tag_id]
        while todo:
            for meta in metas.get(todo.pop(), ()):
                if meta not in found:
                    found.add(meta)
                    todo.append(meta)
        return found

    def crossover(work: Work) -> bool:
        fandoms = filter_tags.get(work.pk, set()) & fandom_ids
        above = set().union(*(metas.get(t, set()) for t in fandoms))
        families = [family(t) for t in fandoms - above]
        return len(families) > 1 and not set.intersection(*families)

    fixed = {(t.type, t.key): t.pk for t in Tag.objects.filter(fixed=True)}
    from duster.works.choices import FIXED_CHOICES

    def fixed_id(tag_type, value):
        label = FIXED_CHOICES[tag_type](value).label
        return fixed[(tag_type, tag_key(label))]

    def day(value, end=False):
        start = dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)
        return start + dt.timedelta(days=1, microseconds=-1) if end else start

    kept = []
    for work in works:
        tags = filter_tags.get(work.pk, set())
        named = set() if work.anonymous else credits.get(work.pk, set())
        if any(not (canonical_ids(n) & tags) for n in search.include if canonical_ids(n)):
            continue
        if any(canonical_ids(n) & tags for n in search.exclude):
            continue
        if search.rating and not {fixed_id(TagType.RATING, r) for r in search.rating} & tags:
            continue
        if any(fixed_id(TagType.WARNING, w) not in tags for w in search.warning):
            continue
        if any(fixed_id(TagType.CATEGORY, c) not in tags for c in search.category):
            continue
        if search.complete is not None and work.complete != search.complete:
            continue
        if search.oneshot and not (work.chapter_count == 1 and work.expected_chapters == 1):
            continue
        if search.crossover and crossover(work) != (search.crossover == "only"):
            continue
        if search.language and work.language != search.language:
            continue
        if search.words_from is not None and work.word_count < search.words_from:
            continue
        if search.words_to is not None and work.word_count > search.words_to:
            continue
        if search.updated_from and (
            work.updated_at or dt.datetime.min.replace(tzinfo=dt.UTC)
        ) < day(search.updated_from):
            continue
        if search.kudos_min is not None and work.kudos_count < search.kudos_min:
            continue
        if search.hits_min is not None and work.hits < search.hits_min:
            continue
        if search.creator:
            user = next((u for u in _users() if u.username == search.creator), None)
            if user is not None:
                own = member and viewer.pk == user.pk
                if user.pk not in (credits.get(work.pk, set()) if own else named):
                    continue
        if mutes.tag_ids & tags or mutes.user_ids & named:
            continue
        kept.append(work)
    order = search.order if search.order != "best" else "updated"
    return [w.pk for w in sorted(kept, key=_sort_key(order))]


def _users():
    from duster.accounts.models import User

    return list(User.objects.all())


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))[:40]


def _sort_key(order: str):
    def epoch(value):
        return int(value.timestamp()) if value else 0

    numbers = {
        "updated": lambda w: epoch(w.updated_at),
        "posted": lambda w: epoch(w.published_at),
        "words": lambda w: w.word_count,
        "hits": lambda w: w.hits,
        "kudos": lambda w: w.kudos_count,
        "comments": lambda w: w.comment_count,
        "bookmarks": lambda w: w.bookmark_count,
    }
    if order == "title":
        return lambda w: (_fold(w.title), -w.pk)
    if order == "creator":

        def creator(w):
            if w.anonymous:
                return ("anonymous", -w.pk)
            first = w.creatorships.filter(approved=True).order_by("position", "pk").first()
            return (_fold(first.pseud.name), -w.pk)

        return creator
    return lambda w: (-numbers[order](w), -w.pk)


# Agreement with the oracle


QUERIES = [
    {},
    {"include": ["Lamplighter Chronicles"]},
    {"include": ["Lamplighter Chronicles", "Ada/Bram"], "exclude": ["Fluff"]},
    {"include": ["gh"]},  # a synonym finds its canonical tag's works
    {"exclude": ["Glass Harbour"]},
    {"rating": ["teen", "general"], "complete": "1", "sort": "kudos"},
    {"warning": ["violence"], "category": ["ff"]},
    {"complete": "0", "sort": "words"},
    {"oneshot": "1", "sort": "title"},
    {"crossover": "only"},
    {"crossover": "exclude", "sort": "creator"},
    {"language": "ja", "sort": "hits"},
    {"words_from": "5000", "words_to": "20000", "sort": "comments"},
    {"kudos_min": "10", "hits_min": "50", "sort": "bookmarks"},
    {"creator": "writer1", "sort": "posted"},
    {"updated_from": (timezone.now() - dt.timedelta(days=10)).date().isoformat()},
]


@pytest.mark.parametrize("query", QUERIES, ids=[str(q) for q in QUERIES])
def test_search_agrees_with_brute_force(archive, query):
    expected = brute(WorkSearch.from_query(query))
    assert all_ids(**query) == expected
    assert find(**query).total == len(expected)


def test_random_searches_agree_with_brute_force(archive):
    rng = random.Random(3)
    member = archive.writers[2]
    for _ in range(40):
        query: dict = {}
        if rng.random() < 0.5:
            query["include"] = rng.sample(FANDOMS + RELATIONSHIPS + FREEFORMS, rng.randint(1, 2))
        if rng.random() < 0.4:
            query["exclude"] = rng.sample(FREEFORMS + RELATIONSHIPS, 1)
        if rng.random() < 0.3:
            query["rating"] = rng.sample(RATINGS, rng.randint(1, 3))
        if rng.random() < 0.3:
            query["complete"] = rng.choice(["0", "1"])
        if rng.random() < 0.2:
            query["crossover"] = rng.choice(["only", "exclude"])
        if rng.random() < 0.3:
            query["words_from"] = str(rng.randint(0, 20_000))
        query["sort"] = rng.choice([s for s in SORTS if s != "best"])
        viewer = rng.choice([GUEST, member])
        mutes = rng.choice(
            [
                NO_MUTES,
                SimpleNamespace(
                    tag_ids=frozenset(
                        Tag.objects.filter(name__in=rng.sample(FREEFORMS, 2)).values_list(
                            "pk", flat=True
                        )
                    ),
                    user_ids=frozenset({archive.writers[3].pk}),
                ),
            ]
        )
        search = WorkSearch.from_query(query)
        assert all_ids(viewer, mutes, **query) == brute(search, viewer, mutes), query


# Visibility


def test_guests_never_see_restricted_drafts_or_hidden(archive):
    found = set(all_ids())
    for work in Work.objects.all():
        visible = work.state == WorkState.POSTED and not work.restricted
        assert (work.pk in found) == visible, work


def test_members_see_restricted_works(archive):
    restricted = Work.objects.filter(restricted=True, state=WorkState.POSTED).earliest("pk")
    assert restricted.pk not in all_ids()
    assert restricted.pk in all_ids(archive.writers[3])


def test_anonymous_work_is_never_found_through_its_creator(archive):
    anonymous = Work.objects.filter(anonymous=True, state=WorkState.POSTED, restricted=False)
    work = anonymous.earliest("pk")
    creator = work.creatorships.earliest("pk").pseud.user
    assert work.pk in all_ids()
    assert work.pk not in all_ids(creator=creator.username)
    assert work.pk not in all_ids(
        archive.writers[(archive.writers.index(creator) + 1) % 4], creator=creator.username
    )
    # Its creator finds it among their own.
    assert work.pk in all_ids(creator, creator=creator.username)
    # Nor does the creator's own page, for anyone else.
    results = search_works(WorkSearch(), GUEST, creator=creator, mutes=NO_MUTES)
    assert work.pk not in ids(results)


def test_muted_tags_leave_results_counts_and_facets(archive):
    angst = Tag.objects.get(name="Angst")
    mutes = SimpleNamespace(tag_ids=frozenset({angst.pk}), user_ids=frozenset())
    results = find(archive.writers[0], mutes)
    everything = find(archive.writers[0])
    with_angst = FilterTagging.objects.filter(tag=angst).values_list("work_id", flat=True)
    assert not set(all_ids(archive.writers[0], mutes)) & set(with_angst)
    assert results.total < everything.total
    facet_tags = [f.tag.pk for facets in results.facets.values() for f in facets]
    assert angst.pk not in facet_tags


# Facets


def test_facets_count_the_result_set(archive):
    results = find(include=["Lamplighter Chronicles"])
    found = all_ids(include=["Lamplighter Chronicles"])
    fandom_facets = {f.tag.name: f.count for f in results.facets[TagType.FANDOM]}
    assert fandom_facets["Lamplighter Chronicles"] == len(found)
    for facet in results.facets[TagType.FREEFORM]:
        expected = FilterTagging.objects.filter(tag=facet.tag, work_id__in=found).count()
        assert facet.count == expected
    counts = [f.count for f in results.facets[TagType.FREEFORM]]
    assert counts == sorted(counts, reverse=True)


# Pages


def test_pages_cover_every_result_once_and_past_the_end_shows_the_last(archive):
    Work.objects.filter(state=WorkState.POSTED).update(kudos_count=1)  # all tied
    from duster.search.index import filter_index_reset

    filter_index_reset()
    found = all_ids(sort="kudos")
    assert len(found) == len(set(found)) == find().total
    assert len(found) > PER_PAGE
    last = find(page="999999")
    assert last.page.number == last.page.paginator.num_pages
    assert any(param == "page" for param, _ in last.messages)


def test_unknown_tags_are_left_out_with_a_message(archive):
    results = find(include=["No Such Tag"], exclude=["Nor This"])
    assert results.total == find().total
    assert {param for param, _ in results.messages} == {"include", "exclude"}


# Keeping in step


def test_a_new_work_edit_and_delete_show_on_the_next_search(archive):
    before = find(include=["Moth Kingdom"]).total
    work = make_work(archive.writers[0], fandoms=["Moth Kingdom"])
    assert find(include=["Moth Kingdom"]).total == before + 1
    work_update(
        work=work,
        fields={"title": work.title, "rating": "teen", "warnings": ["none"], "language": "en"},
        tags={"fandoms": ["Glass Harbour"]},
    )
    assert find(include=["Moth Kingdom"]).total == before
    assert work.pk in all_ids(include=["Glass Harbour"], rating=["teen"])
    work.delete()
    assert work.pk not in all_ids()


def test_another_process_follows_the_log(archive):
    """Two indexes, as two app processes hold: a change made through one
    process's models is seen by the other's next search."""
    other = FilterIndex.build()
    work = make_work(archive.writers[1], fandoms=["Moth Kingdom"])
    assert work.pk not in other.posted
    other.catch_up()
    assert work.pk in other.posted
    assert work.pk in other.by_tag[Tag.objects.get(name="Moth Kingdom").pk]
    Work.objects.filter(pk=work.pk).update(state=WorkState.HIDDEN)
    from duster.works.signals import works_changed

    works_changed.send(sender=None, work_ids={work.pk}, text=False)
    other.catch_up()
    assert work.pk not in other.posted


def test_a_merge_moves_works_to_the_canonical_tag(archive):
    moth = Tag.objects.get(name="Moth Kingdom")
    filter_index()  # built before the merge
    lamplighter = Tag.objects.get(name="Lamplighter Chronicles")
    before = set(all_ids(include=["Moth Kingdom"]))
    tag_merge(actor=None, tags=[lamplighter], into=Tag.objects.get(pk=moth.pk))
    after = set(all_ids(include=["Moth Kingdom"]))
    assert after == set(brute(WorkSearch(include=("Moth Kingdom",))))
    assert after > before


def test_a_new_process_starts_from_the_copy_on_disk_and_catches_up(
    archive, settings, tmp_path, monkeypatch
):
    settings.SEARCH_INDEX_DIR = str(tmp_path)
    first = FilterIndex.build()  # read from the tables, and a copy kept
    assert list(tmp_path.iterdir())
    work = make_work(archive.writers[0], fandoms=["Moth Kingdom"])

    def no_reading():
        raise AssertionError("read from the tables, not from the copy")

    monkeypatch.setattr(FilterIndex, "read", no_reading)
    second = FilterIndex.build()
    assert work.pk in second.posted and work.pk not in first.posted
    assert second.by_tag[Tag.objects.get(name="Moth Kingdom").pk] == (
        first.by_tag[Tag.objects.get(name="Moth Kingdom").pk] | BitMap([work.pk])
    )
