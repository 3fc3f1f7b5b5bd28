"""A work as one self-contained HTML file: the title page, a table of
contents, the chapters and the afterword in a single document with its
stylesheet inline and every picture a data: URL, so it reads the same
offline, saved anywhere, with nothing fetched from the network.

The PDF writer lays out the same document with a print stylesheet
(`render_document`), so both formats show one idea of the book.
"""

from collections.abc import Callable
from dataclasses import replace

from django.template.loader import render_to_string

from duster.downloads.book import Book, BookChapter
from duster.downloads.images import BookImage, BookImages
from duster.downloads.markup import book_markup, fragment
from duster.works.templatetags.scene_breaks import mark_scene_breaks

SCREEN_STYLESHEET = "downloads/html/screen.css"


def build(book: Book, images: BookImages) -> bytes:
    html = render_document(
        book,
        images,
        stylesheet=render_to_string(SCREEN_STYLESHEET),
        src_for=lambda image: image.data_url(),
    )
    return html.encode("utf-8")


def render_document(
    book: Book,
    images: BookImages,
    *,
    stylesheet: str,
    src_for: Callable[[BookImage], str],
) -> str:
    """The whole book as an HTML document styled by `stylesheet`; each
    picture's address comes from `src_for`. A one-shot needs no contents."""

    def markup(html: str) -> str:
        return book_markup(html, images, src_for, xhtml=False)

    context = {
        "book": book,
        "stylesheet": stylesheet,
        "front": markup(book.render_front()),
        "contents": not book.is_oneshot,
        "chapters": [markup(book.render_chapter(marked(chapter))) for chapter in book.chapters],
        "afterword": markup(book.render_afterword()),
        "description": plain_text(book.summary),
        "keywords": ", ".join(book.fandoms + book.relationships + book.characters + book.tags),
        "published": book.published.date().isoformat() if book.published else "",
        "updated": book.updated.date().isoformat() if book.updated else "",
    }
    return render_to_string("downloads/html/book.html", context)


def marked(chapter: BookChapter) -> BookChapter:
    """The chapter with its scene-break lines ("* * *", "~o~") marked for
    the stylesheet, as the EPUB marks them."""
    return replace(chapter, body=mark_scene_breaks(chapter.body))


def plain_text(html: str) -> str:
    """Stored HTML as one line of text (for a description)."""
    return " ".join(fragment(html).text_content().split())
