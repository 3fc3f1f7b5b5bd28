"""What a parser makes of a file: a work and its chapters, as the source described them."""

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class ImportedChapter:
    title: str = ""
    body: str = ""  # HTML, not yet sanitized (RichTextModel does that on save)
    notes: str = ""
    end_notes: str = ""
    summary: str = ""
    published: dt.date | None = None


@dataclass
class ImportedWork:
    """A work as the file describes it. Ratings, warnings and categories are the source's
    own words (services map them to Duster's); HTML fields are not yet sanitized."""

    source: str  # "text", "markdown", "html", "docx", "epub", "efiction", "ao3", ...
    title: str = ""
    summary: str = ""
    notes: str = ""
    end_notes: str = ""
    rating: str = ""
    warnings: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    fandoms: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    freeforms: list[str] = field(default_factory=list)
    language: str = ""
    complete: bool | None = None
    expected_chapters: int | None = None
    published: dt.date | None = None
    updated: dt.date | None = None
    chapters: list[ImportedChapter] = field(default_factory=list)
