"""Reads for wrangling pages, tag search and as-you-type suggestions."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from duster.tags.models import (
    FIXED_TYPES,
    FilterTagging,
    RefilterJob,
    Tag,
    TagFandom,
    TagType,
    WranglingLog,
    tag_key,
    tag_match_key,
)

_RANGE_END = "\U0010ffff"
AUTOCOMPLETE_LIMIT = 10


def unwrangled_tags(*, tag_type: str, fandom_ids: set[int] | None = None) -> QuerySet[Tag]:
    """Unwrangled tags of one type, most used first, with `uses` (works that
    carry them, drafts included: wranglers see every tag). With `fandom_ids`,
    only tags in those fandoms: by a parent fandom, or by the works using them."""
    tags = Tag.objects.unwrangled().filter(type=tag_type)
    if fandom_ids is not None:
        in_fandom = Q(
            Exists(TagFandom.objects.filter(tag=OuterRef("pk"), fandom_id__in=fandom_ids))
        ) | Q(
            Exists(
                FilterTagging.objects.filter(
                    tag_id__in=fandom_ids, work__worktag__tag=OuterRef("pk")
                )
            )
        )
        if tag_type == TagType.FANDOM:
            in_fandom |= Q(pk__in=fandom_ids)
        tags = tags.filter(in_fandom)
    return tags.annotate(uses=Count("worktag", distinct=True)).order_by("-uses", "name", "pk")


def refilter_jobs_running() -> list[RefilterJob]:
    """Re-filter jobs not finished yet, oldest first: what wranglers see while
    a big change reaches every work."""
    return list(RefilterJob.objects.filter(finished_at__isnull=True).order_by("created_at", "pk"))


def tag_log(tag: Tag) -> QuerySet[WranglingLog]:
    return WranglingLog.objects.filter(tag=tag).select_related("actor").order_by("-at", "-id")


def match_key_prefix(probe: str) -> Q:
    """`match_key` starts with `probe`, as a range the (type, match_key) index serves."""
    return Q(match_key__gte=probe, match_key__lt=probe + _RANGE_END)


def tags_parent_fandoms(tag_ids: Iterable[int]) -> dict[int, set[int]]:
    """The fandoms each tag is in: its parent fandoms and the fandoms among
    the filter tags of the works that use it (canonical fandoms and their meta
    fandoms). Two queries."""
    tag_ids = list(tag_ids)
    found: dict[int, set[int]] = {pk: set() for pk in tag_ids}
    if not tag_ids:
        return found
    for tag_id, fandom_id in TagFandom.objects.filter(tag_id__in=tag_ids).values_list(
        "tag_id", "fandom_id"
    ):
        found[tag_id].add(fandom_id)
    for tag_id, fandom_id in (
        FilterTagging.objects.filter(tag__type=TagType.FANDOM, work__worktag__tag_id__in=tag_ids)
        .values_list("work__worktag__tag_id", "tag_id")
        .distinct()
    ):
        found[tag_id].add(fandom_id)
    return found


def tags_search(*, query: str, tag_type: str = "") -> QuerySet[Tag]:
    """Tags with a word of their name starting with the query (punctuation,
    case and accents aside), canonical ones first; with no query, all the
    tags of the type."""
    probe = tag_match_key(query)
    tags = Tag.objects.all()
    if tag_type:
        tags = tags.filter(type=tag_type)
    if probe:
        tags = tags.filter(match_key_prefix(probe) | Q(match_key__contains=" " + probe))
    elif not tag_type:
        return Tag.objects.none()
    return tags.select_related("merger").order_by("-canonical", "name", "pk")


# What a reader's tag box asks for: suggestions of every type writers use.
ANY_TYPE = "any"


def tags_autocomplete(*, query: str, tag_type: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[dict]:
    """Canonical tags for a writer typing `query` in a tag field, each with
    its parent fandoms: names that start with it (a range on the (type,
    match_key) index), then for relationships, pairings of canonical
    characters whose name starts with it ("spike" finds "Buffy Summers/Spike"
    once a wrangler has set its characters). Indexed look-ups only: no scan
    of every name, whatever the number of tags."""
    probe = tag_match_key(query)
    if tag_type == ANY_TYPE:
        # A reader's box (search, mutes) takes a tag of any type a writer
        # uses: each type's range on the index, the first names of all.
        found = sorted(
            (
                tag
                for each in TagType.values
                if each not in FIXED_TYPES and probe
                for tag in _canonical_prefixed(each, probe, limit)
            ),
            key=lambda tag: (tag.match_key, tag.pk),
        )[:limit]
        return _with_fandoms(found, tag_type)
    if not probe or tag_type not in TagType.values or tag_type in FIXED_TYPES:
        return []
    canonical = Tag.objects.filter(type=tag_type, canonical=True).only("id", "name", "slug")
    found = _canonical_prefixed(tag_type, probe, limit)
    if tag_type == TagType.RELATIONSHIP and len(found) < limit:
        characters = list(
            Tag.objects.filter(match_key_prefix(probe), type=TagType.CHARACTER, canonical=True)
            .order_by("match_key", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if characters:
            pairings = Tag.characters.through.objects.filter(to_tag_id__in=characters).values(
                "from_tag_id"
            )[: limit * 20]
            found += list(
                canonical.filter(pk__in=pairings)
                .exclude(pk__in=[t.pk for t in found])
                .order_by("match_key", "pk")[: limit - len(found)]
            )
    return _with_fandoms(found, tag_type)


def _canonical_prefixed(tag_type: str, probe: str, limit: int) -> list[Tag]:
    canonical = Tag.objects.filter(type=tag_type, canonical=True)
    prefixed = canonical.filter(match_key_prefix(probe)).only("id", "name", "slug", "match_key")
    return list(prefixed.order_by("match_key", "pk")[:limit])


def _with_fandoms(found: list[Tag], tag_type: str) -> list[dict]:
    """The suggestions as the page takes them, each with its parent fandoms."""
    fandoms: dict[int, list[str]] = {}
    if found and tag_type != TagType.FANDOM:
        for tag_id, name in (
            TagFandom.objects.filter(tag_id__in=[t.pk for t in found])
            .order_by("fandom__name")
            .values_list("tag_id", "fandom__name")
        ):
            fandoms.setdefault(tag_id, []).append(name)
    return [{"name": t.name, "slug": t.slug, "fandoms": fandoms.get(t.pk, [])} for t in found]


def tag_by_name(name: str, tag_type: str | None = None) -> Tag:
    """The tag called `name` (case, accents and spacing aside), of `tag_type`
    when given; a ValidationError saying what is missing otherwise."""
    found = Tag.objects.filter(key=tag_key(name))
    if tag_type:
        found = found.filter(type=tag_type)
    tags = list(found.order_by("pk")[:2])
    if not tags:
        kind = f"{TagType(tag_type).label.lower()} tag" if tag_type else "tag"
        raise ValidationError(f"There is no {kind} called “{name[:80]}”.", code="unknown")
    if len(tags) > 1:
        raise ValidationError(
            f"Several tags are called “{name[:80]}”; say which type you mean.", code="ambiguous"
        )
    return tags[0]
