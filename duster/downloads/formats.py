"""The download formats, by file extension: what the menu offers and which
writer builds each. AZW3 and MOBI are offered only when calibre's
`ebook-convert` is installed (they are converted from the EPUB)."""

import shutil
from dataclasses import dataclass
from importlib import import_module

from duster.downloads.book import Book
from duster.downloads.images import BookImages


@dataclass(frozen=True)
class Format:
    extension: str
    label: str
    media_type: str
    writer: str  # module under duster.downloads with build(book, images) -> bytes
    needs_calibre: bool = False

    def build(self, book: Book, images: BookImages) -> bytes:
        if self.needs_calibre:
            from duster.downloads.calibre import build_as

            return build_as(book, images, self.extension)
        return import_module(f"duster.downloads.{self.writer}").build(book, images)

    def available(self) -> bool:
        return not self.needs_calibre or calibre_installed()


FORMATS = {
    f.extension: f
    for f in (
        Format("epub", "EPUB", "application/epub+zip", "epub"),
        Format("pdf", "PDF", "application/pdf", "pdf"),
        Format("html", "HTML", "text/html; charset=utf-8", "html"),
        Format("txt", "Plain text", "text/plain; charset=utf-8", "txt"),
        Format("azw3", "AZW3", "application/vnd.amazon.ebook", "calibre", needs_calibre=True),
        Format("mobi", "MOBI", "application/x-mobipocket-ebook", "calibre", needs_calibre=True),
    )
}


def calibre_installed() -> bool:
    return shutil.which("ebook-convert") is not None


def offered() -> list[Format]:
    """The formats this archive can build now, in menu order."""
    return [f for f in FORMATS.values() if f.available()]
