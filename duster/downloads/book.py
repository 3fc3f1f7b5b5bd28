"""A work as every download format sees it: its metadata, already the way
a reader may see it (an anonymous work names no creator and sits in no
series), and its posted chapters in order.

The writers (epub.py, pdf.py, html.py, txt.py) read a `Book` and nothing
else, so they share one idea of what a work's download says. `book_key`
digests everything a file is built from: a file stored under it is never
stale, and a changed work (text, notes, tags, a renamed tag or pseud, series
order, chapters) gets a new key and so a new file.
"""

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.text import slugify

from duster.tags.models import TagType
from duster.works.models import Chapter, SeriesEntry, Work, WorkState, source_fields

# Bump when any writer's output changes for the same work: every file is rebuilt.
BOOK_FORMAT_VERSION = 1

# Languages written right to left (base codes; "ar", "he", "fa"…).
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"}
)


@dataclass(frozen=True)
class BookSeries:
    title: str
    part: int
    url: str


@dataclass(frozen=True)
class BookChapter:
    number: int  # 1, 2, … among the posted chapters
    title: str  # "Chapter 2: The Storm" or "Chapter 2"
    summary: str  # sanitized HTML, as stored
    notes: str
    body: str
    end_notes: str
    published_at: datetime | None
    words: int

    @property
    def anchor(self) -> str:
        return f"chapter-{self.number}"


@dataclass
class Book:
    work_id: int
    title: str
    slug: str
    url: str
    identifier: str  # "urn:uuid:…", the same for every build of this work
    language: str
    creators: list[str]  # ["Anonymous"] for an anonymous work
    rating: str
    warnings: list[str]
    categories: list[str]
    fandoms: list[str]
    relationships: list[str]
    characters: list[str]
    tags: list[str]
    summary: str  # sanitized HTML
    notes: str
    end_notes: str
    series: list[BookSeries]
    published: datetime | None
    updated: datetime | None
    complete: bool
    words: int
    chapters_label: str  # "3/?" or "1/1"
    chapters: list[BookChapter] = field(default_factory=list)

    @property
    def direction(self) -> str:
        """ "rtl" for a language written right to left, else "ltr"."""
        return "rtl" if self.language.split("-")[0].lower() in RTL_LANGUAGES else "ltr"

    @property
    def byline(self) -> str:
        return ", ".join(self.creators)

    @property
    def is_oneshot(self) -> bool:
        return len(self.chapters) == 1

    def metadata(self) -> list[tuple[str, str]]:
        """The title page's facts as (label, plain text) in reading order,
        empty ones left out (lists joined with commas)."""
        rows: list[tuple[str, list[str] | str]] = [
            ("Rating", self.rating),
            ("Archive Warnings", self.warnings),
            ("Categories", self.categories),
            ("Fandoms", self.fandoms),
            ("Relationships", self.relationships),
            ("Characters", self.characters),
            ("Additional Tags", self.tags),
            ("Language", _language_name(self.language)),
            (
                "Series",
                [f"Part {s.part} of {s.title}" for s in self.series],
            ),
            ("Published", _day(self.published)),
            ("Updated" if not self.complete else "Completed", _day(self.updated)),
            ("Words", f"{self.words:,}"),
            ("Chapters", self.chapters_label),
        ]
        return [
            (label, value if isinstance(value, str) else ", ".join(value))
            for label, value in rows
            if value
        ]

    def render_front(self) -> str:
        """The title page as an HTML fragment: title, byline, metadata,
        summary and work notes. Well-formed enough for `xhtml.to_xhtml`."""
        return render_to_string("downloads/book/front.html", {"book": self})

    def render_chapter(self, chapter: BookChapter) -> str:
        """One chapter as an HTML fragment: heading, summary, notes, text, end notes."""
        return render_to_string("downloads/book/chapter.html", {"book": self, "chapter": chapter})

    def render_afterword(self) -> str:
        """The work's end notes, if any, and where the work lives online."""
        return render_to_string("downloads/book/afterword.html", {"book": self})


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


def _language_name(code: str) -> str:
    from duster.works.choices import LANGUAGE_NAMES

    return LANGUAGE_NAMES.get(code, code)


def work_for_download(pk: int, user) -> Work | None:
    """The work if `user` may download it: posted (never a draft or a hidden
    work, not even for its creators), restricted ones only when logged in."""
    return (
        Work.objects.visible_to(user)
        .filter(state=WorkState.POSTED)
        .for_reading()
        .filter(pk=pk)
        .first()
    )


def book_slug(work: Work) -> str:
    return slugify(work.title)[:80].strip("-") or f"work-{work.pk}"


def book_for(work: Work, *, with_chapters: bool = True) -> Book:
    """Everything a download of `work` shows. `work` comes from
    `work_for_download` (credits and tags prefetched). Without chapters it
    costs two queries more, enough for `book_key`."""
    url = absolute_url(work.get_absolute_url())
    by_type = {kind: [tag.name for tag in work.tags_of(kind)] for kind in TagType.values}
    book = Book(
        work_id=work.pk,
        title=work.title,
        slug=book_slug(work),
        url=url,
        identifier=work_identifier(work),
        language=work.language,
        creators=["Anonymous"]
        if work.anonymous
        else [str(pseud) for pseud in work.credited_pseuds()] or ["Orphan"],
        rating=work.get_rating_display(),
        warnings=list(work.warning_labels),
        categories=list(work.category_labels),
        fandoms=by_type.get(TagType.FANDOM, []),
        relationships=by_type.get(TagType.RELATIONSHIP, []),
        characters=by_type.get(TagType.CHARACTER, []),
        tags=by_type.get(TagType.FREEFORM, []),
        summary=work.summary or "",
        notes=work.notes or "",
        end_notes=work.end_notes or "",
        series=_series(work),
        published=work.published_at,
        updated=work.updated_at or work.published_at,
        complete=work.complete,
        words=work.word_count,
        chapters_label=work.chapters_label,
    )
    if with_chapters:
        book.chapters = _chapters(work)
    return book


def _series(work: Work) -> list[BookSeries]:
    """ "Part N of" each series, counting the parts any logged-in reader sees
    (posted works that are not anonymous); an anonymous work is in none."""
    if work.anonymous:
        return []
    entries = (
        SeriesEntry.objects.filter(
            series__entries__work=work,
            work__state=WorkState.POSTED,
            work__anonymous=False,
        )
        .select_related("series")
        .only("position", "work_id", "series__id", "series__title")
        .order_by("series__title", "series_id", "position")
    )
    parts: dict[int, list[SeriesEntry]] = {}
    for entry in entries:
        parts.setdefault(entry.series_id, []).append(entry)
    places = []
    for series_entries in parts.values():
        for index, entry in enumerate(series_entries):
            if entry.work_id == work.pk:
                series = entry.series
                places.append(
                    BookSeries(series.title, index + 1, absolute_url(series.get_absolute_url()))
                )
                break
    return places


def _chapters(work: Work) -> list[BookChapter]:
    rows = (
        Chapter.objects.filter(work=work, posted=True)
        .defer(*source_fields(Chapter))
        .order_by("position")
    )
    chapters = []
    for number, chapter in enumerate(rows, start=1):
        title = f"Chapter {number}: {chapter.title}" if chapter.title else f"Chapter {number}"
        chapters.append(
            BookChapter(
                number=number,
                title=title,
                summary=chapter.summary or "",
                notes=chapter.notes or "",
                body=chapter.body or "",
                end_notes=chapter.end_notes or "",
                published_at=chapter.published_at,
                words=chapter.word_count,
            )
        )
    return chapters


def book_key(book: Book, work: Work) -> str:
    """A digest of everything a download of this work is built from: the
    metadata (names of tags, creators and series included), each posted
    chapter's last change, the site address, and the writers' version."""
    stamps = list(
        Chapter.objects.filter(work=work, posted=True)
        .order_by("position")
        .values_list("pk", "modified_at")
    )
    facts = asdict(book) | {"chapters": None}
    digest = hashlib.blake2b(digest_size=12)
    digest.update(repr((BOOK_FORMAT_VERSION, work.modified_at, facts, stamps)).encode())
    return digest.hexdigest()


def work_identifier(work: Work) -> str:
    """The work's `urn:uuid` in its books and catalog entries: made from its
    address on this site, so it stays the same across rebuilds."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, absolute_url(work.get_absolute_url()))}"


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path
