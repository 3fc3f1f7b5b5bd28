"""What other archives call their ratings, warnings and categories, in Duster's terms: one
vocabulary for every import (single files and whole eFiction archives)."""

import re

from duster.works.choices import ArchiveWarning, Category, Rating

_RATING_WORDS = {
    Rating.GENERAL: (
        "g", "general", "general audiences", "k", "k+", "pg", "all ages", "everyone", "e",
        "gen", "u", "fr7", "fr13",
    ),
    Rating.TEEN: (
        "pg-13", "pg13", "pg 13", "t", "teen", "teen and up", "teen and up audiences", "teens",
        "13+", "15", "15+", "fr15", "12", "12+", "14+",
    ),
    Rating.MATURE: ("r", "m", "mature", "16+", "16", "ma", "fr18", "17+", "nc-16"),
    Rating.EXPLICIT: (
        "nc-17", "nc17", "nc 17", "x", "xx", "xxx", "explicit", "adult", "adults only", "18+",
        "18", "fr21", "e (explicit)",
    ),
    Rating.NOT_RATED: ("not rated", "unrated", "not_rated", "none"),
}  # fmt: skip
_RATINGS = {word: rating for rating, words in _RATING_WORDS.items() for word in words}

_WARNING_WORDS = {
    "no archive warnings apply": ArchiveWarning.NONE_APPLY,
    "no warnings": ArchiveWarning.NONE_APPLY,
    "no warnings apply": ArchiveWarning.NONE_APPLY,
    "creator chose not to use archive warnings": ArchiveWarning.CHOSE_NOT_TO_WARN,
    "choose not to use archive warnings": ArchiveWarning.CHOSE_NOT_TO_WARN,
    "graphic depictions of violence": ArchiveWarning.VIOLENCE,
    "violence": ArchiveWarning.VIOLENCE,
    "graphic violence": ArchiveWarning.VIOLENCE,
    "major character death": ArchiveWarning.DEATH,
    "character death": ArchiveWarning.DEATH,
    "death": ArchiveWarning.DEATH,
    "rape/non-con": ArchiveWarning.NONCON,
    "non-con": ArchiveWarning.NONCON,
    "rape": ArchiveWarning.NONCON,
    "underage": ArchiveWarning.UNDERAGE,
    "underage sex": ArchiveWarning.UNDERAGE,
}
# In a list that holds warnings only (an eFiction "Warnings" class type), a name that
# mentions one of these is that archive warning.
_WARNING_PATTERNS = (
    (r"^(none|no warnings?|n/?a)$", ArchiveWarning.NONE_APPLY),
    (r"death", ArchiveWarning.DEATH),
    (r"violen|gore", ArchiveWarning.VIOLENCE),
    (r"rape|non-?con", ArchiveWarning.NONCON),
    (r"underage|under-age", ArchiveWarning.UNDERAGE),
    (r"chose not to warn|not to use", ArchiveWarning.CHOSE_NOT_TO_WARN),
)
_CATEGORY_WORDS = {
    **{choice.label.casefold(): choice.value for choice in Category},
    "general": Category.GEN,
    "het": Category.FM,
    "slash": Category.MM,
    "femslash": Category.FF,
    "femmeslash": Category.FF,
}


def _folded(value: str) -> str:
    return " ".join(value.split()).casefold()


def rating_from_source(value: str) -> str | None:
    """Duster's rating for a rating word (G, PG-13, "Teen And Up Audiences"...), None for a
    word it doesn't know."""
    wanted = _folded(value)
    for choice in Rating:
        if wanted in (choice.value, choice.label.casefold()):
            return choice.value
    return _RATINGS.get(wanted)


def warning_from_source(name: str, *, warnings_only: bool = False) -> str | None:
    """The archive warning a name stands for, None if it is none. `warnings_only`: the name
    comes from a list of warnings, so one that mentions a warning is that warning."""
    folded = _folded(name)
    found = _WARNING_WORDS.get(folded)
    if found is None and warnings_only:
        found = next((w for pattern, w in _WARNING_PATTERNS if re.search(pattern, folded)), None)
    return found


def warnings_settled(values: list[str]) -> list[str]:
    """Archive warnings as a work may carry them: each once, "no warnings apply" and "chose
    not to warn" only alone, "chose not to warn" when there are none."""
    found = list(dict.fromkeys(values))
    exclusive = {ArchiveWarning.CHOSE_NOT_TO_WARN, ArchiveWarning.NONE_APPLY}
    if len(found) > 1:
        found = [w for w in found if w not in exclusive] or found[:1]
    return found or [ArchiveWarning.CHOSE_NOT_TO_WARN]


def category_from_source(name: str) -> str | None:
    """The category (F/M, Gen, Slash...) a name stands for, None if it is none."""
    return _CATEGORY_WORDS.get(_folded(name))
