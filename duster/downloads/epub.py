"""A work as an EPUB 3 book that EPUBCheck accepts without a warning.

Inside: a title page (the work's facts, summary and notes), one XHTML
document per chapter, an afterword (end notes and where the work lives
online), a navigation document and an NCX for older readers, one small
stylesheet, and every picture the text shows (none is fetched when the book
is read). The package metadata carries what e-readers and calibre sort by:
title, creators, language, dates, tags as subjects, and the series with its
position (the EPUB 3 collection and calibre's own series fields).

EbookLib writes the package (OPF, NCX, navigation document, the zip). The
content documents are written here as finished XHTML, because EbookLib would
parse them again with an HTML parser on the way out, which can undo the
mending `markup.book_markup` did.
"""

import io
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from ebooklib import epub

from duster.downloads.book import Book, BookChapter
from duster.downloads.images import BookImage, BookImages
from duster.downloads.markup import book_markup, fragment, xml_text
from duster.works.templatetags.scene_breaks import mark_scene_breaks

STYLESHEET_NAME = "style.css"
OPS_NAMESPACE = "http://www.idpf.org/2007/ops"
# Keeps the author's formatting (alignment stays in style attributes) with
# little else, so a reader's own settings still apply. Blocks that were inline
# tags holding paragraphs keep their look through their class (markup.mend).
STYLESHEET = """\
body { margin: 0 0.5em; line-height: 1.4; }
h1, h2, h3, h4 { line-height: 1.2; page-break-after: avoid; }
p { margin: 0 0 0.8em 0; }
em, i, .em, .i, cite, .cite { font-style: italic; }
strong, b, .strong, .b { font-weight: bold; }
u, .u, ins { text-decoration: underline; }
s, del, .s, .del { text-decoration: line-through; }
.big { font-size: larger; }
small, .small { font-size: smaller; }
.h1 { font-size: 2em; font-weight: bold; }
.h2 { font-size: 1.5em; font-weight: bold; }
.h3 { font-size: 1.17em; font-weight: bold; }
.h4, .h5, .h6 { font-weight: bold; }
.pre, pre { white-space: pre-wrap; }
.dt { font-weight: bold; }
.dd { margin: 0 2em; }
blockquote { margin: 1em 2em; }
hr { border: 0; border-top: 1px solid; width: 30%; margin: 1.5em auto; }
.scene-break { text-align: center; margin: 1.5em 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid; padding: 0.2em 0.4em; vertical-align: top; }
img { max-width: 100%; height: auto; }
.missing-image { font-style: italic; }
.title-page { margin-top: 2em; }
.work-title { text-align: center; margin-bottom: 0.3em; }
.byline { text-align: center; font-size: 1.2em; margin-bottom: 1.5em; }
.work-meta { margin: 1em 0; }
.work-meta dt { font-weight: bold; margin-top: 0.4em; }
.work-meta dd { margin: 0 1.5em; }
.summary, .notes, .end-notes { margin: 1.5em 0; }
.chapter-title { text-align: center; margin: 1em 0; }
.source { font-size: smaller; margin-top: 2em; }
"""
# A book with no date at all (never the case for a posted work) still builds the same way.
_NO_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_ZIP_EPOCH = datetime(1980, 1, 1)


class _Document(epub.EpubHtml):
    """A content document whose bytes are final: EbookLib writes them as they are."""

    def __init__(self, *, uid: str, file_name: str, title: str, content: bytes) -> None:
        super().__init__(
            uid=uid, file_name=file_name, title=title, media_type="application/xhtml+xml"
        )
        self.content = content

    def get_content(self, default=None) -> bytes:
        return self.content


class _Writer(epub.EpubWriter):
    """EbookLib's writer, with every zip entry dated `stamp`, so a build of
    the same work gives the same bytes."""

    def __init__(self, out, book: epub.EpubBook, options: dict, stamp: datetime) -> None:
        super().__init__(out, book, options)
        self.stamp = stamp

    def write(self) -> None:
        self.out = _DatedZip(self.file_name, self.stamp)
        self.out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        self._write_container()
        self._write_opf()
        self._write_items()
        self.out.close()


class _DatedZip(zipfile.ZipFile):
    """A zip whose entries written by name all carry one date (zip dates
    start in 1980, so an older work's entries carry 1980's first day)."""

    def __init__(self, out, stamp: datetime) -> None:
        super().__init__(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6)
        self.date_time = max(stamp, _ZIP_EPOCH).timetuple()[:6]

    def writestr(self, name, data, compress_type=None, compresslevel=None) -> None:
        if isinstance(name, str):
            info = zipfile.ZipInfo(name, date_time=self.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED if compress_type is None else compress_type
            info.external_attr = 0o644 << 16
            name = info
        super().writestr(name, data, compress_type=compress_type, compresslevel=compresslevel)


def build(book: Book, images: BookImages) -> bytes:
    """The EPUB file of `book`, pictures from `images` embedded."""
    package = epub.EpubBook()
    _describe(package, book)
    stylesheet = epub.EpubItem(
        uid="style",
        file_name=STYLESHEET_NAME,
        media_type="text/css",
        content=STYLESHEET.encode("utf-8"),
    )
    package.add_item(stylesheet)

    width = max(3, len(str(len(book.chapters))))
    front = _document(book, images, "title-page", "title.xhtml", _title(book), book.render_front())
    chapters = [
        _document(
            book,
            images,
            f"chapter-{chapter.number:0{width}d}",
            f"chapter-{chapter.number:0{width}d}.xhtml",
            chapter.title,
            book.render_chapter(_marked(chapter)),
        )
        for chapter in book.chapters
    ]
    afterword = _document(
        book, images, "afterword", "afterword.xhtml", "Afterword", book.render_afterword()
    )
    documents = [front, *chapters, afterword]
    for document in documents:
        package.add_item(document)
    for number, image in enumerate(sorted(images.all(), key=lambda i: i.name), start=1):
        package.add_item(
            epub.EpubImage(
                uid=f"image-{number}",
                file_name=image.name,
                media_type=image.media_type,
                content=image.data,
            )
        )

    package.toc = documents
    package.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents", direction=book.direction if _rtl(book) else None)
    nav.add_item(stylesheet)
    package.add_item(nav)
    package.spine = documents
    if chapters:
        package.guide = [
            {"type": "text", "title": chapters[0].title, "href": chapters[0].file_name}
        ]
    if _rtl(book):
        package.set_direction("rtl")

    out = io.BytesIO()
    stamp = _modified(book)
    writer = _Writer(out, package, {"mtime": stamp, "epub3_pages": False}, stamp)
    writer.process()
    writer.write()
    return out.getvalue()


def _title(book: Book) -> str:
    return " ".join(xml_text(book.title).split()) or "Untitled"


def _language(book: Book) -> str:
    return book.language or "und"  # "undetermined", should a work ever have none


def _rtl(book: Book) -> bool:
    return book.direction == "rtl"


def _modified(book: Book) -> datetime:
    moment = book.updated or book.published or _NO_DATE
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _describe(package: epub.EpubBook, book: Book) -> None:
    """The package metadata: Dublin Core, the EPUB 3 series collection and calibre's."""
    package.set_identifier(book.identifier)
    package.set_title(_title(book))
    package.set_language(_language(book))
    for number, creator in enumerate(book.creators, start=1):
        package.add_author(xml_text(creator), uid=f"creator-{number}", role="aut")
    if book.published:
        package.add_metadata("DC", "date", _timestamp(book.published))
    description = _plain(book.summary)
    if description:
        package.add_metadata("DC", "description", description)
    package.add_metadata("DC", "publisher", xml_text(settings.SITE_NAME))
    package.add_metadata("DC", "source", book.url)
    subjects = dict.fromkeys(book.fandoms + book.relationships + book.characters + book.tags)
    for subject in subjects:
        package.add_metadata("DC", "subject", xml_text(subject))
    for number, series in enumerate(book.series, start=1):
        uid = f"series-{number}"
        package.add_metadata(
            None, "meta", xml_text(series.title), {"property": "belongs-to-collection", "id": uid}
        )
        package.add_metadata(
            None, "meta", "series", {"refines": f"#{uid}", "property": "collection-type"}
        )
        package.add_metadata(
            None, "meta", str(series.part), {"refines": f"#{uid}", "property": "group-position"}
        )
    if book.series:
        first = book.series[0]
        package.add_metadata(
            None, "meta", "", {"name": "calibre:series", "content": xml_text(first.title)}
        )
        package.add_metadata(
            None, "meta", "", {"name": "calibre:series_index", "content": str(first.part)}
        )


def _plain(html: str) -> str:
    """Stored HTML as plain text, a blank line between its paragraphs."""
    if not html:
        return ""
    root = fragment(html)
    parts = [root.text or ""] + ["".join(child.itertext()) + (child.tail or "") for child in root]
    paragraphs = (" ".join(part.split()) for part in parts)
    return xml_text("\n\n".join(p for p in paragraphs if p))


def _marked(chapter: BookChapter) -> BookChapter:
    """The chapter with its scene-break lines ("* * *") marked for the stylesheet."""
    return replace(chapter, body=mark_scene_breaks(chapter.body))


def _document(
    book: Book, images: BookImages, uid: str, file_name: str, title: str, markup: str
) -> _Document:
    body = book_markup(markup, images, _image_src, xhtml=True)
    language = quoteattr(_language(book))
    direction = ' dir="rtl"' if _rtl(book) else ""
    content = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<!DOCTYPE html>\n"
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="{OPS_NAMESPACE}"'
        f" lang={language} xml:lang={language}{direction}>\n"
        "<head>\n"
        f"<title>{escape(xml_text(title))}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{STYLESHEET_NAME}"/>\n'
        "</head>\n"
        f"<body{direction}>\n{body}\n</body>\n"
        "</html>\n"
    )
    return _Document(uid=uid, file_name=file_name, title=xml_text(title), content=content.encode())


def _image_src(image: BookImage) -> str:
    return image.name
