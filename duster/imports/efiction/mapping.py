"""What eFiction's ratings, categories, characters and classes become in Duster.

Every one of them gets a row: (kind, eFiction id, its name there, a Duster type, a Duster
value). The defaults follow the names (categories become fandoms, characters characters,
genres additional tags, warnings archive warnings where one fits); an archive owner can write
them to a CSV file with `import_efiction DUMP --write-mapping FILE`, edit it in any spreadsheet
and import with `--mapping FILE`.

Types: `fandom`, `relationship`, `character`, `freeform` (value: the tag name), `warning`
(an archive warning: no_warn, none, violence, death, noncon, underage), `category` (gen, ff,
fm, mm, multi, other), `rating` (not_rated, general, teen, mature, explicit; ratings only),
`skip` (left out).
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from duster.imports.efiction.dump import Dump
from duster.imports.efiction.text import as_int, as_text, repair_double_encoding, strip_slashes
from duster.imports.words import category_from_source, rating_from_source, warning_from_source
from duster.tags.models import MAX_TAG_LENGTH, tag_name_validate
from duster.works.choices import ArchiveWarning, Category, Rating

KINDS = ("rating", "category", "character", "class")
TAG_TYPES = ("fandom", "relationship", "character", "freeform")
FIXED_TYPES = {"warning": ArchiveWarning, "category": Category, "rating": Rating}
TYPES = (*TAG_TYPES, *FIXED_TYPES, "skip")
HEADER = ("kind", "id", "efiction_name", "type", "value")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the line."""


def clean_name(value: object) -> str:
    """A name as eFiction showed it: backslashes and entities undone, indentation dropped."""
    text = repair_double_encoding(strip_slashes(as_text(value)))
    text = html.unescape(re.sub(r"(&nbsp;|\s)+", " ", text))
    return re.sub(r"\s+", " ", text).strip()


def tag_name(name: str) -> str:
    """`name` as a usable tag name: commas (which separate tags) become spaces."""
    name = re.sub(r"\s*,\s*", " ", name).strip()
    return name[:MAX_TAG_LENGTH].strip() or "Unnamed"


@dataclass(frozen=True)
class Target:
    type: str
    value: str


@dataclass
class Mapping:
    # (kind, eFiction id) -> (eFiction name, target)
    rows: dict[tuple[str, int], tuple[str, Target]] = field(default_factory=dict)

    def target(self, kind: str, item_id: int) -> Target | None:
        row = self.rows.get((kind, item_id))
        return row[1] if row else None

    def write(self, stream: io.TextIOBase) -> None:
        out = csv.writer(stream, lineterminator="\n")
        out.writerow(HEADER)
        for (kind, item_id), (name, target) in sorted(
            self.rows.items(), key=lambda item: (KINDS.index(item[0][0]), item[0][1])
        ):
            out.writerow((kind, item_id, name, target.type, target.value))

    @property
    def digest_part(self) -> str:
        return repr(sorted((k, v[1].type, v[1].value) for k, v in self.rows.items()))


def _default_rating(name: str, warning_bits: int) -> Target:
    rating = rating_from_source(name)
    if rating is None:
        # A rating that asks for age consent is for adults.
        rating = Rating.MATURE if warning_bits & 2 else Rating.NOT_RATED
    return Target("rating", rating)


def _default_class(name: str, type_name: str) -> Target:
    kind = type_name.casefold()
    if "warning" in kind:
        warning = warning_from_source(name, warnings_only=True)
        return Target("warning", warning) if warning else Target("freeform", tag_name(name))
    category = category_from_source(name)
    pairings = any(word in kind for word in ("pairing", "relationship", "ship"))
    if category and (pairings or "categor" in kind or "orientation" in kind or kind == "type"):
        return Target("category", category)
    if pairings:
        return Target("relationship", tag_name(name))
    if "character" in kind:
        return Target("character", tag_name(name))
    return Target("freeform", tag_name(name))


def default_mapping(dump: Dump) -> Mapping:
    mapping = Mapping()
    for row in dump.rows("ratings"):
        name = clean_name(row.get("rating"))
        target = _default_rating(name, as_int(row.get("ratingwarning")))
        mapping.rows[("rating", as_int(row.get("rid")))] = (name, target)
    for row in dump.rows("categories"):
        name = clean_name(row.get("category"))
        mapping.rows[("category", as_int(row.get("catid")))] = (
            name,
            Target("fandom", tag_name(name)),
        )
    for row in dump.rows("characters"):
        name = clean_name(row.get("charname"))
        mapping.rows[("character", as_int(row.get("charid")))] = (
            name,
            Target("character", tag_name(name)),
        )
    types = {
        as_int(row.get("classtype_id")): clean_name(
            row.get("classtype_title") or row.get("classtype_name")
        )
        for row in dump.rows("classtypes")
    }
    for row in dump.rows("classes"):
        name = clean_name(row.get("class_name"))
        type_name = types.get(as_int(row.get("class_type")), "")
        mapping.rows[("class", as_int(row.get("class_id")))] = (
            name,
            _default_class(name, type_name),
        )
    return mapping


def read_mapping(stream: io.TextIOBase, dump: Dump) -> Mapping:
    """The defaults for `dump`, overridden by the file's rows; MappingError names the first
    bad line (and every other one)."""
    mapping = default_mapping(dump)
    problems = []
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None or tuple(h.strip().casefold() for h in header) != HEADER:
        raise MappingError(f"line 1: the first line must be the header {','.join(HEADER)}")
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            problems.append(f"line {line}: expected {len(HEADER)} columns, found {len(row)}")
            continue
        kind, item_id, name, target_type, value = (cell.strip() for cell in row)
        problem = _check_row(kind, item_id, target_type, value)
        if problem:
            problems.append(f"line {line}: {problem}")
            continue
        mapping.rows[(kind, int(item_id))] = (name, Target(target_type, value))
    if problems:
        raise MappingError("; ".join(problems))
    return mapping


def _check_row(kind: str, item_id: str, target_type: str, value: str) -> str | None:
    if kind not in KINDS:
        return f"unknown kind {kind!r} (use {', '.join(KINDS)})"
    if not item_id.lstrip("-").isdigit():
        return f"the id {item_id!r} is not a number"
    if kind == "rating" and target_type != "rating":
        return "a rating maps to the type rating"
    if target_type not in TYPES:
        return f"unknown type {target_type!r} (use {', '.join(TYPES)})"
    if target_type in FIXED_TYPES:
        choices = FIXED_TYPES[target_type]
        if value not in choices.values:
            return f"{value!r} is not a {target_type} (use {', '.join(choices.values)})"
    elif target_type != "skip":
        try:
            tag_name_validate(value)
        except ValidationError as error:
            return f"{value!r} is not a usable tag name: {' '.join(error.messages)}"
    return None
