"""Which canonical tag a new tag most likely means, and why.

The rules are pure functions over `Candidate`s (canonical tags as the rules
see them); `suggestions_for` is the one entry point that reads the database,
with a fixed number of queries whatever the number of tags.

Rules, most certain first (the first rule that finds exactly one canonical
tag wins; a rule that finds several says nothing, so a wrangler decides):
1. same name apart from case, accents, punctuation and spacing;
2. same spelling as an existing synonym of a canonical tag;
3. a relationship naming the same characters in another order or with
   another separator ("/" and " x " are romantic, "&" platonic: never mixed);
4. a character name that is a canonical character's first or last name,
   within the tag's fandoms;
5. a pattern existing synonyms follow ("Name" -> "Name (TV)");
6. one or two letters off a canonical name (a misspelling).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from duster.tags.models import tag_match_key

ROMANTIC = "romantic"
PLATONIC = "platonic"

_PLATONIC_SEPARATOR = re.compile(r"\s*&\s*")
_ROMANTIC_SEPARATOR = re.compile(r"\s*/\s*|\s+[x×]\s+", re.IGNORECASE)
_DISAMBIGUATION = re.compile(r"\s*\([^()]*\)\s*$")
# An affix a synonym pattern may add or drop: whole words, not too long.
MAX_PATTERN_AFFIX = 40


@dataclass(frozen=True)
class Candidate:
    """A canonical tag (or a synonym of one) as the rules see it."""

    id: int
    name: str
    type: str
    fandom_ids: frozenset[int] = frozenset()
    # A relationship's characters' names, when a wrangler set them.
    character_names: tuple[str, ...] = ()
    # Names of its synonyms.
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    canonical: Candidate
    rule: str
    reason: str


@dataclass(frozen=True)
class Pairing:
    kind: str  # ROMANTIC or PLATONIC
    people: tuple[str, ...]  # as written, in the written order


@dataclass
class Patterns:
    """Affix edits learnt from existing synonyms: (added, example synonym, its canonical)."""

    suffixes: dict[str, tuple[str, str]] = field(default_factory=dict)
    prefixes: dict[str, tuple[str, str]] = field(default_factory=dict)


def fold(text: str) -> str:
    """Words only, case and accents aside: "Hurt/Comfort " -> "hurt comfort"."""
    return tag_match_key(text)


def compact(text: str) -> str:
    """`fold` without spaces: "Slow-Burn" and "slowburn" alike."""
    return fold(text).replace(" ", "")


def without_disambiguation(name: str) -> str:
    """ "Buffy Summers (BtVS)" -> "Buffy Summers"."""
    return _DISAMBIGUATION.sub("", name).strip() or name


def relationship_parse(name: str) -> Pairing | None:
    """The characters a relationship names and its kind, or None for a name
    that is not a pairing (one name, or "/" and "&" mixed)."""
    has_platonic = bool(_PLATONIC_SEPARATOR.search(name))
    parts_romantic = [p for p in _ROMANTIC_SEPARATOR.split(name) if p.strip()]
    if has_platonic and len(parts_romantic) > 1:
        return None
    if has_platonic:
        people = [p.strip() for p in _PLATONIC_SEPARATOR.split(name) if p.strip()]
        kind = PLATONIC
    else:
        people = [p.strip() for p in parts_romantic]
        kind = ROMANTIC
    if len(people) < 2 or any(not fold(p) for p in people):
        return None
    return Pairing(kind=kind, people=tuple(people))


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (a swap of two neighbours counts
    one), or limit + 1 when it is larger than limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def spelling_limit(text: str) -> int:
    """How many letters a misspelling may be off: none for short names, where
    one letter makes another name ("Pim", "Tim")."""
    length = len(compact(text))
    if length >= 12:
        return 2
    if length >= 6:
        return 1
    return 0


def person_match(written: str, full: str) -> str | None:
    """How a character name as written matches a character's full name:
    "same", "first", "last", "spelling", or None."""
    a, b = compact(without_disambiguation(written)), compact(without_disambiguation(full))
    if not a or not b:
        return None
    if a == b or compact(written) == compact(full):
        return "same"
    written_words = fold(without_disambiguation(written)).split()
    full_words = fold(without_disambiguation(full)).split()
    if len(written_words) == 1 and len(full_words) > 1:
        if written_words[0] == full_words[0]:
            return "first"
        if written_words[0] == full_words[-1]:
            return "last"
    limit = spelling_limit(a)
    if limit and edit_distance(a, b, limit) <= limit:
        return "spelling"
    return None


def _people_matching(
    written: Sequence[str], full: Sequence[str]
) -> list[tuple[str, str, str]] | None:
    """A one-to-one matching of written names to full names (small sets:
    tried by backtracking), best kinds first, or None."""
    if len(written) != len(full):
        return None
    order = {"same": 0, "first": 1, "last": 1, "spelling": 2}
    options = []
    for person in written:
        found = [(name, how) for name in full if (how := person_match(person, name))]
        if not found:
            return None
        options.append(sorted(found, key=lambda item: order[item[1]]))
    used: set[str] = set()
    chosen: list[tuple[str, str, str]] = []

    def place(index: int) -> bool:
        if index == len(written):
            return True
        for name, how in options[index]:
            if name not in used:
                used.add(name)
                chosen.append((written[index], name, how))
                if place(index + 1):
                    return True
                used.discard(name)
                chosen.pop()
        return False

    return chosen if place(0) else None


def _candidate_pairing(candidate: Candidate) -> Pairing | None:
    parsed = relationship_parse(candidate.name)
    if candidate.character_names:
        kind = parsed.kind if parsed else ROMANTIC
        return Pairing(kind=kind, people=candidate.character_names)
    return parsed


def patterns_learn(pairs: Iterable[tuple[str, str]]) -> Patterns:
    """Affix edits from (synonym, canonical) name pairs: "Buffy the Vampire
    Slayer" -> "Buffy the Vampire Slayer (TV)" teaches "add ' tv' at the end"."""
    patterns = Patterns()
    for synonym, canonical in pairs:
        s, c = fold(synonym), fold(canonical)
        if not s or not c or s == c:
            continue
        if c.startswith(s + " ") and len(c) - len(s) <= MAX_PATTERN_AFFIX:
            patterns.suffixes.setdefault(c[len(s) :], (synonym, canonical))
        elif c.endswith(" " + s) and len(c) - len(s) <= MAX_PATTERN_AFFIX:
            patterns.prefixes.setdefault(c[: -len(s)], (synonym, canonical))
    return patterns


def patterns_apply(name: str, patterns: Patterns) -> list[tuple[str, str, str]]:
    """The folded names `name` would become under each learnt pattern, with
    the example that taught it: [(folded, example synonym, example canonical)]."""
    folded = fold(name)
    if not folded:
        return []
    found = [(folded + affix, *example) for affix, example in patterns.suffixes.items()]
    found += [(affix + folded, *example) for affix, example in patterns.prefixes.items()]
    return found


def _in_fandoms(candidate: Candidate, fandom_ids: frozenset[int]) -> bool:
    """A candidate counts within a tag's fandoms when both are known and
    share one; a tag with no known fandom matches candidates anywhere."""
    if not fandom_ids or not candidate.fandom_ids:
        return True
    return bool(candidate.fandom_ids & fandom_ids)


def _one(found: dict[int, Suggestion]) -> Suggestion | None:
    return next(iter(found.values())) if len(found) == 1 else None


def suggest(
    name: str,
    tag_type: str,
    candidates: Iterable[Candidate],
    *,
    fandom_ids: frozenset[int] = frozenset(),
    patterns: Patterns | None = None,
    exclude: frozenset[int] = frozenset(),
) -> Suggestion | None:
    """The canonical tag a new tag named `name` most likely means, or None.
    `candidates` may hold tags of any type; `exclude` the ids not to suggest
    (the tag itself, rejected suggestions)."""
    pool = [c for c in candidates if c.type == tag_type and c.id not in exclude]
    if not pool or not compact(name):
        return None
    scoped = [c for c in pool if _in_fandoms(c, fandom_ids)]
    pairing = relationship_parse(name) if tag_type == "relationship" else None
    key = compact(name)
    for rule in (
        _rule_same_name,
        _rule_synonym,
        _rule_relationship,
        _rule_first_or_last_name,
        _rule_synonym_pattern,
        _rule_spelling,
    ):
        found = rule(name, key, pairing, pool, scoped, fandom_ids, patterns)
        if found is not None:
            return found
    return None


def _same_kind(pairing: Pairing | None, other_name: str, tag_type: str) -> bool:
    """Two relationship names may be one tag only if both are the same kind."""
    if tag_type != "relationship":
        return True
    other = relationship_parse(other_name)
    if pairing is None or other is None:
        return pairing is None and other is None
    return pairing.kind == other.kind


def _rule_same_name(name, key, pairing, pool, scoped, fandom_ids, patterns):
    found = {
        c.id: Suggestion(
            c,
            "same-name",
            f"Same name as “{c.name}” apart from case, accents, punctuation or spacing.",
        )
        for c in pool
        if compact(c.name) == key and _same_kind(pairing, c.name, c.type)
    }
    return _one(found)


def _rule_synonym(name, key, pairing, pool, scoped, fandom_ids, patterns):
    found = {}
    for c in pool:
        for synonym in c.synonyms:
            if compact(synonym) == key and _same_kind(pairing, synonym, c.type):
                found[c.id] = Suggestion(
                    c, "synonym", f"Spelled like “{synonym}”, already a synonym of “{c.name}”."
                )
    return _one(found)


def _rule_relationship(name, key, pairing, pool, scoped, fandom_ids, patterns):
    if pairing is None:
        return None
    found: dict[int, Suggestion] = {}
    best = 99
    for c in scoped:
        other = _candidate_pairing(c)
        if other is None or other.kind != pairing.kind:
            continue
        matching = _people_matching(pairing.people, other.people)
        if matching is None:
            continue
        rank = sum(how == "spelling" for _, _, how in matching)
        if rank > best:
            continue
        if rank < best:
            found, best = {}, rank
        how_words = {
            "same": "",
            "first": " (first name)",
            "last": " (last name)",
            "spelling": " (spelling)",
        }
        names = ", ".join(f"{w} = {full}{how_words[how]}" for w, full, how in matching)
        kind = "platonic (&)" if pairing.kind == PLATONIC else "romantic (/)"
        found[c.id] = Suggestion(
            c, "relationship", f"Names the same characters as “{c.name}”, {kind}: {names}."
        )
    return _one(found)


def _rule_first_or_last_name(name, key, pairing, pool, scoped, fandom_ids, patterns):
    if pool[0].type != "character" or not fandom_ids:
        return None
    found = {}
    for c in scoped:
        if not c.fandom_ids:
            continue
        how = person_match(name, c.name)
        if how in ("first", "last"):
            found[c.id] = Suggestion(
                c, "character-name", f"“{name}” is the {how} name of “{c.name}” in this fandom."
            )
    return _one(found)


def _rule_synonym_pattern(name, key, pairing, pool, scoped, fandom_ids, patterns):
    if not patterns:
        return None
    by_folded: dict[str, list[Candidate]] = {}
    for c in scoped:
        by_folded.setdefault(fold(c.name), []).append(c)
    found = {}
    for folded, synonym, canonical in patterns_apply(name, patterns):
        for c in by_folded.get(folded, []):
            found[c.id] = Suggestion(
                c,
                "synonym-pattern",
                f"Existing synonyms follow this pattern: “{synonym}” is a synonym of "
                f"“{canonical}”.",
            )
    return _one(found)


def _rule_spelling(name, key, pairing, pool, scoped, fandom_ids, patterns):
    limit = spelling_limit(name)
    if not limit or pairing is not None:
        return None
    found: dict[int, Suggestion] = {}
    best = limit + 1
    for c in scoped:
        distance = edit_distance(key, compact(c.name), limit)
        if distance > best or distance > limit:
            continue
        if distance < best:
            found, best = {}, distance
        letters = "one letter" if distance == 1 else f"{distance} letters"
        found[c.id] = Suggestion(c, "spelling", f"{letters.capitalize()} off “{c.name}”.")
    return _one(found)
