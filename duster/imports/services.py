"""Bringing works in from files (and, later, whole eFiction archives)."""

from pathlib import Path

from django.core.exceptions import ValidationError

from duster.accounts.models import User
from duster.lib import text
from duster.works.models import ArchiveWarning, Rating, Work
from duster.works.services.works import work_create

IMPORT_FORMATS = ("auto", "text", "markdown", "html", "docx")


class WorkImportError(Exception):
    """A one-line reason the import cannot go ahead."""


def _rating(value: str | None) -> str:
    if not value:
        return Rating.NOT_RATED
    wanted = value.strip().casefold()
    for choice in Rating:
        if wanted in (choice.value, choice.label.casefold()):
            return choice.value
    names = ", ".join(choice.value for choice in Rating)
    raise WorkImportError(f"Unknown rating '{value}': use one of {names}.")


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
) -> Work:
    """A posted one-chapter work from one file; nothing is created on error."""
    if fmt not in IMPORT_FORMATS:
        raise WorkImportError(f"Unknown format '{fmt}': use {', '.join(IMPORT_FORMATS)}.")
    user = User.objects.filter(username__iexact=creator, is_active=True).first()
    if user is None:
        raise WorkImportError(f"No active user named '{creator}'.")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WorkImportError(f"Cannot read {path}: {error.strerror or error}.") from error
    try:
        body = text.file_to_html(path.name, data, fmt)
    except text.TextFormatError as error:
        raise WorkImportError(f"{path.name}: {error}") from error
    fields = {
        "title": (title or path.stem.replace("_", " ").strip() or "Untitled")[:255],
        "summary": text.text_to_html(summary) if summary else "",
        "rating": _rating(rating),
        "warnings": [ArchiveWarning.CHOSE_NOT_TO_WARN],
        "expected_chapters": 1,
        "language": "en",
    }
    try:
        return work_create(
            pseuds=[user.default_pseud],
            fields=fields,
            tags={
                "fandoms": fandoms or ["Unsorted"],
                "relationships": relationships or [],
                "characters": characters or [],
                "freeforms": freeforms or [],
            },
            chapter={"title": "", "body": body},
            post=True,
        )
    except ValidationError as error:
        messages = (
            "; ".join(f"{field}: {' '.join(errs)}" for field, errs in error.message_dict.items())
            if hasattr(error, "error_dict")
            else " ".join(error.messages)
        )
        raise WorkImportError(f"The work is not valid: {messages}") from error
