"""The wrangling queue's suggestions, read from the database with a fixed
number of queries; the rules themselves are in duster.tags.suggest."""

from collections.abc import Sequence

from django.db.models import Q

from duster.tags.models import Tag, TagFandom, TagType, WranglingLog
from duster.tags.suggest import (
    Candidate,
    Patterns,
    Suggestion,
    fold,
    patterns_apply,
    patterns_learn,
    relationship_parse,
    suggest,
    without_disambiguation,
)
from duster.tags.wrangling.selectors import match_key_prefix, tags_parent_fandoms

# Actions in the wrangling log that say "don't suggest this canonical again".
REJECT_ACTION = "suggestion_reject"
# How many recent synonym pairs teach the patterns.
PATTERN_SAMPLE = 2000
# The probe a misspelling must share with its canonical name: its first letters.
SPELLING_PROBE = 4


def _probes(tag: Tag, patterns: Patterns) -> set[str]:
    folded = fold(tag.name)
    probes = {folded, folded[:SPELLING_PROBE]}
    pairing = relationship_parse(tag.name) if tag.type == TagType.RELATIONSHIP else None
    if pairing:
        for person in pairing.people:
            person_folded = fold(without_disambiguation(person))
            probes.add(person_folded)
            probes.update(word for word in person_folded.split() if len(word) >= 3)
    probes.update(name for name, _, _ in patterns_apply(tag.name, patterns))
    return {p for p in probes if p}


def suggestions_for(tags: Sequence[Tag]) -> dict[int, Suggestion]:
    """The suggestion for each of `tags` that has one, by tag id, from a fixed
    number of queries whatever the number of tags or of works using them."""
    tags = [t for t in tags if not t.fixed]
    if not tags:
        return {}
    ids = [t.pk for t in tags]
    types = {t.type for t in tags}

    context = tags_parent_fandoms(ids)

    rejected: dict[int, set[int]] = {pk: {pk} for pk in ids}
    for tag_id, after in WranglingLog.objects.filter(
        tag_id__in=ids, action=REJECT_ACTION, undone_at__isnull=True
    ).values_list("tag_id", "after"):
        if isinstance(after, dict) and isinstance(after.get("canonical"), int):
            rejected[tag_id].add(after["canonical"])

    patterns_by_type: dict[str, Patterns] = {}
    pairs: dict[str, list[tuple[str, str]]] = {}
    for tag_type, name, merger_name in (
        Tag.objects.filter(type__in=types, merger__isnull=False)
        .order_by("-id")
        .values_list("type", "name", "merger__name")[:PATTERN_SAMPLE]
    ):
        pairs.setdefault(tag_type, []).append((name, merger_name))
    for tag_type in types:
        patterns_by_type[tag_type] = patterns_learn(pairs.get(tag_type, []))

    by_type_probes: dict[str, set[str]] = {}
    for tag in tags:
        by_type_probes.setdefault(tag.type, set()).update(_probes(tag, patterns_by_type[tag.type]))
    match = Q(pk__in=[])
    for tag_type, probes in by_type_probes.items():
        ranges = Q(pk__in=[])
        for probe in probes:
            ranges |= match_key_prefix(probe)
        match |= Q(type=tag_type) & ranges
    all_fandoms = set().union(*context.values())
    scoped_types = types & {TagType.CHARACTER, TagType.RELATIONSHIP}
    in_fandoms = Q(pk__in=[])
    if all_fandoms and scoped_types:
        in_fandoms = Q(
            type__in=[TagType.CHARACTER], canonical=True, fandom_links__fandom_id__in=all_fandoms
        )
    found = list(
        Tag.objects.filter(match | in_fandoms)
        .filter(Q(canonical=True) | Q(merger__isnull=False))
        .exclude(pk__in=ids)
        .distinct()
        .only("id", "name", "type", "merger_id", "canonical")
    )
    canonical = {t.pk: t for t in found if t.canonical}
    synonyms: dict[int, list[str]] = {}
    for t in found:
        if t.merger_id:
            synonyms.setdefault(t.merger_id, []).append(t.name)
    missing = set(synonyms) - set(canonical)
    # Relationships of the characters the new relationships may name.
    character_ids = [t.pk for t in canonical.values() if t.type == TagType.CHARACTER]
    extra = Q(pk__in=missing)
    if TagType.RELATIONSHIP in types and character_ids:
        extra |= Q(type=TagType.RELATIONSHIP, canonical=True, characters__in=character_ids)
    if missing or (TagType.RELATIONSHIP in types and character_ids):
        for t in Tag.objects.filter(extra).distinct().only("id", "name", "type", "canonical"):
            canonical[t.pk] = t

    fandoms_of: dict[int, set[int]] = {}
    for tag_id, fandom_id in TagFandom.objects.filter(tag_id__in=list(canonical)).values_list(
        "tag_id", "fandom_id"
    ):
        fandoms_of.setdefault(tag_id, set()).add(fandom_id)
    characters_of: dict[int, list[str]] = {}
    relationship_ids = [pk for pk, t in canonical.items() if t.type == TagType.RELATIONSHIP]
    if relationship_ids:
        through = Tag.characters.through
        for rel_id, name in through.objects.filter(from_tag_id__in=relationship_ids).values_list(
            "from_tag_id", "to_tag__name"
        ):
            characters_of.setdefault(rel_id, []).append(name)
    candidates = [
        Candidate(
            id=t.pk,
            name=t.name,
            type=t.type,
            fandom_ids=frozenset(fandoms_of.get(t.pk, ())),
            character_names=tuple(sorted(characters_of.get(t.pk, ()))),
            synonyms=tuple(synonyms.get(t.pk, ())),
        )
        for t in canonical.values()
    ]

    result = {}
    for tag in tags:
        if tag.canonical or tag.merger_id:
            continue
        found_one = suggest(
            tag.name,
            tag.type,
            candidates,
            fandom_ids=frozenset(context[tag.pk]),
            patterns=patterns_by_type[tag.type],
            exclude=frozenset(rejected[tag.pk]),
        )
        if found_one is not None:
            result[tag.pk] = found_one
    return result
