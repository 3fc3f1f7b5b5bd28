"""Every work search, list and facet goes through `search_works`: the one
place that turns a `WorkSearch` into the works a reader may see.

Visibility (the one rule, as `Work.objects.visible_to`): only posted works
are in the index; restricted ones only for logged-in readers; an anonymous
work is found like any other, but never through its creator (no `creator=`,
no `creator:` text, no creator facet, no creator's page) except by the
creator themselves. Muted tags and creators take their works out of the
results, the count and the facets alike.
"""

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from django.db.models.functions import Lower
from pyroaring import BitMap

from duster.accounts.models import Pseud, User
from duster.search.index import (
    TAG_TYPES,
    TYPE_CODES,
    FilterIndex,
    as_bitmap,
    as_ids,
    filter_index,
)
from duster.search.params import DATES, MINIMUMS, PER_PAGE, WorkSearch
from duster.search.results import Facet, SearchResults, results_page
from duster.tags.fixed import fixed_tags
from duster.tags.models import Tag, TagType, tag_key
from duster.works.models import Creatorship, Work

FACET_TYPES: list[str] = [
    TagType.RATING,
    TagType.WARNING,
    TagType.CATEGORY,
    TagType.FANDOM,
    TagType.RELATIONSHIP,
    TagType.CHARACTER,
    TagType.FREEFORM,
]
FACETS_PER_TYPE = 10
# Facets of up to this many works are counted from every work's tags. For
# more, a sample of this many names the candidates (three times as many as
# shown), and those are counted exactly on the whole result by bitmap.
FACETS_EXACT_MAX = 40_000
# Filters that leave at most this many works have the text matched among
# them alone where the database can (PostgreSQL: by id, not by word).
TEXT_WITHIN_MAX = 20_000
# Sorts by a number: biggest (or newest) first. Title and creator: A to Z.
_DESCENDING = {
    "updated": "updated",
    "posted": "posted",
    "words": "words",
    "hits": "hits",
    "kudos": "kudos",
    "comments": "comments",
    "bookmarks": "bookmarks",
}


def search_works(
    search: WorkSearch,
    viewer,
    *,
    tag: Tag | None = None,
    creator: User | None = None,
    pseud: Pseud | None = None,
    facet_types: Sequence[str] = FACET_TYPES,
    mutes=None,
) -> SearchResults:
    """This page of the works `viewer` may see that match `search` (within
    `tag`'s works or `creator`'s when given), with the total and facets."""
    if mutes is None:
        from duster.accounts.mutes import mutes_of

        mutes = mutes_of(viewer)
    index = filter_index()
    messages = list(search.messages)
    member = viewer is not None and viewer.is_authenticated
    works = BitMap(index.posted)
    if not member:
        works -= index.flags["restricted"]
    if tag is not None:
        canonical = tag.merger if tag.merger_id is not None and tag.merger else tag
        works &= index.by_tag.get(canonical.pk, BitMap())
    if creator is not None:
        works &= _credits(index, creator.pk, own=member and viewer.pk == creator.pk)
        if pseud is not None:
            # One of the creator's pseuds (a byline's link): its credits, ids only.
            credited = Creatorship.objects.filter(pseud=pseud, approved=True, work__isnull=False)
            works &= BitMap(credited.values_list("work_id", flat=True))

    include_tags, exclude_tags = _tags_named(search, messages)
    for tags in include_tags.values():
        works &= _union(index.by_tag.get(t.pk) for t in tags)
    for tags in exclude_tags.values():
        works -= _union(index.by_tag.get(t.pk) for t in tags)
    works = _fixed_filters(index, search, works)
    if search.creator:
        active = User.objects.filter(is_active=True)
        named = active.annotate(name=Lower("username")).filter(name=search.creator.lower())
        user = named.only("pk").first()
        if user is None:
            messages.append(("creator", f"No one is called “{search.creator}”; left out."))
        else:
            works &= _credits(index, user.pk, own=member and viewer.pk == user.pk)
    if mutes.tag_ids:
        works -= _union(index.by_tag.get(t) for t in mutes.tag_ids)
    if mutes.user_ids:
        works -= _union(index.by_user.get(u) for u in mutes.user_ids)

    text = _text_query(search.q)
    order = search.order
    if order == "best" and (text is None or text.is_empty()):
        order = "updated"
    ranks = None  # (ids, scores) of the works the text matches, for "best"
    if text is not None:
        messages.extend(text.messages)
        works, ranks = _text_filter(text, works, ranked=order == "best")

    ids = as_ids(works)
    filtered = _number_filters(index, search, ids)
    if filtered.size != ids.size:
        ids, works = filtered, as_bitmap(filtered)
    total = int(ids.size)
    facets = _facets(index, works, ids, facet_types) if facet_types else {}

    pages = max(1, -(-total // PER_PAGE))
    number = search.page
    if number > pages:
        messages.append(("page", f"There are only {pages:,} pages; here is the last."))
        number = pages
    page_ids = _sorted_page(index, ids, order, number, ranks)
    loaded = Work.objects.for_listing().in_bulk(page_ids)
    page_works = [loaded[pk] for pk in page_ids if pk in loaded]
    snippets = _snippets(text, page_ids)
    return SearchResults(
        search=replace(search, page=number),
        works=page_works,
        total=total,
        page=results_page(page_works, total, number),
        facets=facets,
        snippets=snippets,
        include_tags=[t for tags in include_tags.values() for t in tags[:1]],
        exclude_tags=[t for tags in exclude_tags.values() for t in tags[:1]],
        messages=messages,
    )


def _union(bitmaps) -> BitMap:
    found = [b for b in bitmaps if b is not None]
    return BitMap.union(*found) if found else BitMap()


def _credits(index: FilterIndex, user_id: int, *, own: bool) -> BitMap:
    """A user's works; their anonymous ones only for themselves."""
    works = BitMap(index.by_user.get(user_id, BitMap()))
    if own:
        works |= index.anonymous_by_user.get(user_id, BitMap())
    return works


def _tags_named(search: WorkSearch, messages: list) -> tuple[dict, dict]:
    """{name: [canonical tags]} for the include and exclude names, in one
    query; a name no tag has is left out with a message."""
    names = [*search.include, *search.exclude]
    if not names:
        return {}, {}
    keys = {tag_key(name) for name in names}
    by_key: dict[str, list[Tag]] = {}
    tags = Tag.objects.filter(key__in=keys).select_related("merger").order_by("type", "pk")
    for found in tags:
        canonical = found.merger if found.merger_id is not None and found.merger else found
        by_key.setdefault(found.key, []).append(canonical)
    chosen: tuple[dict, dict] = ({}, {})
    for param, wanted, into in (
        ("include", search.include, chosen[0]),
        ("exclude", search.exclude, chosen[1]),
    ):
        for name in wanted:
            matched = by_key.get(tag_key(name))
            if matched:
                into[name] = matched
            else:
                messages.append((param, f"No tag is called “{name}”; it was left out."))
    return chosen


def _fixed_filters(index: FilterIndex, search: WorkSearch, works: BitMap) -> BitMap:
    if search.rating or search.warning or search.category:
        fixed = fixed_tags()
        if search.rating:
            works &= _union(
                index.by_tag.get(fixed[TagType.RATING][value].pk) for value in search.rating
            )
        for tag_type, values in (
            (TagType.WARNING, search.warning),
            (TagType.CATEGORY, search.category),
        ):
            for value in values:
                works &= index.by_tag.get(fixed[tag_type][value].pk, BitMap())
    if search.complete is True:
        works &= index.flags["complete"]
    elif search.complete is False:
        works -= index.flags["complete"]
    if search.oneshot:
        works &= index.flags["oneshot"]
    if search.crossover == "exclude":
        works -= index.flags["crossover"]
    elif search.crossover == "only":
        works &= index.flags["crossover"]
    if search.language:
        works &= index.languages.get(search.language, BitMap())
    return works


# The text index is the database's (duster.search.text); imported when a
# search has text, so a list page never loads it.


def _text_query(q: str):
    if not q.strip():
        return None
    from duster.search.text import parse_query

    return parse_query(q)


def _snippets(text, page_ids: list[int]) -> dict:
    if text is None or not page_ids or text.is_empty():
        return {}
    from duster.search.text import text_snippets

    return text_snippets(text, page_ids)


def _text_filter(text, works: BitMap, *, ranked: bool) -> tuple[BitMap, tuple | None]:
    """The works the text query keeps, and when `ranked` the (ids, scores)
    of those it matches, found in the same pass."""
    from duster.search.text import text_match, text_ranked

    if not text.is_empty():
        within = as_ids(works) if len(works) <= TEXT_WITHIN_MAX else None
        if ranked:
            found, scores = text_ranked(text, within)
            return works & as_bitmap(found), (found, scores)
        return works & as_bitmap(text_match(text, within)), None
    excluded = [term for term in text.terms if term.negated]
    if excluded:
        # Only "-word" terms: the works that have none of them.
        positive = replace(text, terms=tuple(replace(t, negated=False) for t in excluded))
        for term in positive.terms:
            works -= as_bitmap(text_match(replace(positive, terms=(term,))))
    return works, None


def _day_start(day) -> int:
    import datetime as dt

    return int(dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC).timestamp())


def _number_filters(index: FilterIndex, search: WorkSearch, ids: np.ndarray) -> np.ndarray:
    bounds: list[tuple[str, int | None, int | None]] = [
        ("words", search.words_from, search.words_to),
        *((name, getattr(search, f"{name}_min"), None) for name in MINIMUMS),
    ]
    for name in DATES:
        day = getattr(search, name)
        if day is None:
            continue
        column = name.split("_")[0]
        if name.endswith("_from"):
            bounds.append((column, _day_start(day), None))
        else:
            bounds.append((column, None, _day_start(day) + 86_400 - 1))
    for column, low, high in bounds:
        if low is None and high is None:
            continue
        values = index.numbers[column][ids]
        keep = np.ones(ids.size, dtype=bool)
        if low is not None:
            keep &= values >= low
        if high is not None:
            keep &= values <= high
        ids = ids[keep]
    return ids


def _facets(index: FilterIndex, works: BitMap, ids: np.ndarray, facet_types: Sequence[str]):
    """The most used filter tags of each type among the works, with counts."""
    sample = ids
    if ids.size > FACETS_EXACT_MAX:
        sample = ids[:: -(-ids.size // FACETS_EXACT_MAX)]
    counts = index.tag_counts(sample)
    types = index.tag_types[: counts.size]
    wanted = FACETS_PER_TYPE if sample is ids else 3 * FACETS_PER_TYPE
    top: dict[int, int] = {}
    for tag_type in facet_types:
        candidates = np.flatnonzero((types == TYPE_CODES[tag_type]) & (counts > 0))
        if candidates.size > wanted:
            # Most used first; among equals the lower id, so pages agree.
            order = np.lexsort((candidates, -counts[candidates]))[:wanted]
            candidates = candidates[order]
        found = {
            tag_id: int(counts[tag_id])
            if sample is ids
            else works.intersection_cardinality(index.by_tag[tag_id])
            for tag_id in candidates.tolist()
        }
        kept = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:FACETS_PER_TYPE]
        top.update(kept)
    facets: dict[str, list[Facet]] = {tag_type: [] for tag_type in facet_types}
    for tag in Tag.objects.filter(pk__in=list(top)).only("id", "name", "slug", "type", "key"):
        facets[tag.type].append(Facet(tag=tag, count=top[tag.pk]))
    for listed in facets.values():
        listed.sort(key=lambda facet: (-facet.count, facet.tag.name.casefold(), facet.tag.pk))
    return facets


def _sorted_page(index: FilterIndex, ids: np.ndarray, order: str, number: int, ranks) -> list[int]:
    """The ids of page `number` in `order` ("best" by `ranks`, the text
    match's ids and scores); ties go to the newer work (the higher id), so
    every page agrees with the next."""
    if not ids.size:
        return []
    wanted = number * PER_PAGE
    if order == "best":
        from duster.search.text import scores_of

        keys = -scores_of(ids, *ranks)
    elif order == "title":
        keys = index.title_keys[ids]
    elif order == "creator":
        keys = index.creator_keys[ids]
    else:
        keys = -index.numbers[_DESCENDING[order]][ids]
    if keys.dtype.kind in "if" and wanted < ids.size // 4:
        # Only the first `wanted` matter: all that sort no later than the
        # wanted-th, ties included, then those in full order.
        kth = np.partition(keys, wanted - 1)[wanted - 1]
        near = keys <= kth
        ids, keys = ids[near], keys[near]
    order_index = np.lexsort((-ids, keys))
    return ids[order_index][wanted - PER_PAGE : wanted].tolist()


__all__ = ["FACET_TYPES", "TAG_TYPES", "search_works"]
