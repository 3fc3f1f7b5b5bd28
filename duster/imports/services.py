"""Bringing works in from files (and, later, whole eFiction archives)."""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError

from duster.accounts.models import Pseud, User
from duster.imports.single import FORMATS, ImportedWork, read_work
from duster.imports.words import (
    category_from_source,
    rating_from_source,
    warning_from_source,
    warnings_settled,
)
from duster.lib import text
from duster.tags.services import tags_validate
from duster.works.choices import LANGUAGES
from duster.works.models import TITLE_MAX, Rating, Work
from duster.works.rules import tag_limit
from duster.works.services.works import work_create

IMPORT_FORMATS = FORMATS


class WorkImportError(Exception):
    """A one-line reason the import cannot go ahead."""


@dataclass
class WorkImport:
    work: Work
    warnings: list[str] = field(default_factory=list)


def _rating(value: str | None) -> str:
    """An explicitly chosen rating: Duster's own values and labels, or another archive's."""
    if not value:
        return Rating.NOT_RATED
    rating = rating_from_source(value)
    if rating is None:
        names = ", ".join(choice.value for choice in Rating)
        raise WorkImportError(f"Unknown rating '{value}': use one of {names}.")
    return rating


def _warnings(names: list[str]) -> tuple[list[str], list[str]]:
    """(archive warnings, names left over as additional tags)."""
    found: list[str] = []
    rest: list[str] = []
    for name in names:
        warning = warning_from_source(name)
        if warning is None:
            rest.append(name)
        else:
            found.append(warning)
    return warnings_settled(found), rest


def _categories(names: list[str]) -> list[str]:
    return list(dict.fromkeys(c for c in map(category_from_source, names) if c))


def _usable_tags(kind: str, names: list[str], warnings: list[str]) -> list[str]:
    """The names Duster accepts as tags of `kind`; the others are dropped with a warning."""
    kept: list[str] = []
    for name in names:
        try:
            tags_validate([name])
        except ValidationError as error:
            warnings.append(f"Left out the tag '{name[:60]}': {' '.join(error.messages)}")
            continue
        if name not in kept:
            kept.append(name)
    limit = tag_limit(kind)
    if len(kept) > limit:
        warnings.append(f"Kept the first {limit} of {len(kept)} {kind} (the most a work takes).")
        kept = kept[:limit]
    return kept


def work_import_file(
    *,
    path: Path,
    creator: str,
    fmt: str = "auto",
    title: str | None = None,
    fandoms: list[str] | None = None,
    relationships: list[str] | None = None,
    characters: list[str] | None = None,
    freeforms: list[str] | None = None,
    rating: str | None = None,
    summary: str = "",
    warnings: list[str] | None = None,
) -> Work:
    """A posted work from one file (every chapter it holds); nothing is created on error.
    Messages about what was left out are appended to `warnings`."""
    if fmt not in IMPORT_FORMATS:
        raise WorkImportError(f"Unknown format '{fmt}': use {', '.join(IMPORT_FORMATS)}.")
    user = User.objects.filter(username__iexact=creator, is_active=True).first()
    if user is None:
        raise WorkImportError(f"No active user named '{creator}'.")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WorkImportError(f"Cannot read {path}: {error.strerror or error}.") from error
    result = work_import(
        data=data,
        filename=path.name,
        pseud=user.default_pseud,
        fmt=fmt,
        title=title,
        fandoms=fandoms,
        relationships=relationships,
        characters=characters,
        freeforms=freeforms,
        rating=rating,
        summary=summary,
        post=True,
    )
    if warnings is not None:
        warnings.extend(result.warnings)
    return result.work


def work_import(
    *,
    data: bytes,
    filename: str,
    pseud: Pseud,
    fmt: str = "auto",
    title: str | None = None,
    fandoms: list[str] | None = None,
    relationships: list[str] | None = None,
    characters: list[str] | None = None,
    freeforms: list[str] | None = None,
    rating: str | None = None,
    summary: str = "",
    post: bool,
) -> WorkImport:
    """A work credited to `pseud` from an uploaded file, posted or as a draft. What is given
    here overrides what the file says. Raises WorkImportError, creating nothing."""
    if fmt not in IMPORT_FORMATS:
        raise WorkImportError(f"Unknown format '{fmt}': use {', '.join(IMPORT_FORMATS)}.")
    chosen_rating = _rating(rating) if rating else None
    try:
        imported = read_work(filename, data, fmt)
    except text.TextFormatError as error:
        raise WorkImportError(f"{filename}: {error}") from error
    notes: list[str] = []
    fields = _work_fields(imported, filename, title, chosen_rating, summary, notes)
    archive_warnings, other_warnings = _warnings(imported.warnings)
    fields["warnings"] = archive_warnings
    from_file = {
        "fandoms": imported.fandoms,
        "relationships": imported.relationships,
        "characters": imported.characters,
        "freeforms": [*imported.freeforms, *other_warnings],
    }
    given = {
        "fandoms": fandoms,
        "relationships": relationships,
        "characters": characters,
        "freeforms": freeforms,
    }
    # Tags given here must be valid (work_create says why not); the file's are dropped.
    tags = {
        kind: given[kind] or _usable_tags(kind, names, notes) for kind, names in from_file.items()
    }
    tags["fandoms"] = tags["fandoms"] or ["Unsorted"]
    try:
        work = _create(imported, fields, tags, pseud, post)
    except ValidationError as error:
        raise WorkImportError(f"The work is not valid: {validation_text(error)}") from error
    return WorkImport(work=work, warnings=notes)


def validation_text(error: ValidationError) -> str:
    """A ValidationError's messages on one line, each field's named."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(errs)}" for name, errs in error.message_dict.items())
    return " ".join(error.messages)


def _work_fields(
    imported: ImportedWork,
    filename: str,
    title: str | None,
    rating: str | None,
    summary: str,
    notes: list[str],
) -> dict:
    stem = Path(filename).stem.replace("_", " ").strip()
    work_title = " ".join((title or imported.title or stem or "Untitled").split())
    if rating is None:
        rating = rating_from_source(imported.rating) if imported.rating else Rating.NOT_RATED
        if rating is None:
            notes.append(f"Unknown rating '{imported.rating[:40]}': the work is not rated.")
            rating = Rating.NOT_RATED
    chapters = len(imported.chapters)
    if imported.source in ("text", "markdown", "html", "docx"):
        expected: int | None = 1
    elif imported.expected_chapters:
        expected = max(imported.expected_chapters, chapters)
    elif imported.complete:
        expected = chapters
    else:
        expected = None
    return {
        "title": work_title[:TITLE_MAX],
        "summary": text.text_to_html(summary) if summary else imported.summary,
        "notes": imported.notes,
        "end_notes": imported.end_notes,
        "text_format": "html",
        "rating": rating,
        "categories": _categories(imported.categories),
        "expected_chapters": expected,
        "language": _language(imported.language),
    }


def _language(name: str) -> str:
    wanted = name.strip().casefold()
    for code, label in LANGUAGES:
        if wanted in (code.casefold(), str(label).casefold()):
            return code
    return "en"


def _published(imported: ImportedWork, number: int) -> dt.date | None:
    if number == 0:
        return imported.chapters[0].published or imported.published
    return imported.chapters[number].published or imported.updated or imported.published


def _create(imported: ImportedWork, fields: dict, tags: dict, pseud: Pseud, post: bool) -> Work:
    """The work with all its chapters in one service call (one recount, not one a chapter)."""
    chapters = [
        {**_chapter_fields(chapter), "published_at": _published(imported, number)}
        for number, chapter in enumerate(imported.chapters)
    ]
    return work_create(
        pseuds=[pseud],
        fields=fields,
        tags=tags,
        chapter=chapters[0],
        more_chapters=chapters[1:],
        published_on=chapters[0]["published_at"],
        post=post,
    )


def _chapter_fields(chapter) -> dict:
    return {
        "title": " ".join(chapter.title.split())[:TITLE_MAX],
        "summary": chapter.summary,
        "notes": chapter.notes,
        "end_notes": chapter.end_notes,
        "body": chapter.body,
        "text_format": "html",
    }
