"""AZW3 and MOBI, converted from the EPUB by calibre's `ebook-convert`."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from duster.downloads import epub
from duster.downloads.book import Book
from duster.downloads.images import BookImages

CONVERT_SECONDS = 300


def build_as(book: Book, images: BookImages, extension: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="duster-calibre-") as folder:
        source = Path(folder) / "book.epub"
        target = Path(folder) / f"book.{extension}"
        source.write_bytes(epub.build(book, images))
        program = shutil.which("ebook-convert") or "ebook-convert"
        subprocess.run(  # noqa: S603 - our own program and temporary paths, no shell
            [program, str(source), str(target)],
            check=True,
            capture_output=True,
            timeout=CONVERT_SECONDS,
        )
        return target.read_bytes()
