"""Which reader a file needs: by its content first, its name only where content can't tell."""

import os
import re
import zipfile
from io import BytesIO

from duster.imports.single import ao3, efiction_page
from duster.imports.single.epub import looks_like_duster_html, read_duster_html, read_epub
from duster.imports.single.model import ImportedChapter, ImportedWork
from duster.lib import text
from duster.lib.text import TextFormatError

FORMATS = ("auto", "text", "markdown", "html", "docx", "epub", "efiction", "ao3")
CHAPTERS_MAX = 1_000  # chapters one file may hold
_TEXT_EXTENSIONS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown"}
_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html|<\?xml[^>]*>\s*<(?:!doctype|html))", re.I)


def read_work(filename: str, data: bytes, fmt: str = "auto") -> ImportedWork:
    """The work in an uploaded file. Raises TextFormatError (a message fit for the person who
    uploaded it) for a file of an unknown kind, damaged, too big, or without story text."""
    work = _read(filename, data, fmt)
    if len(work.chapters) > CHAPTERS_MAX:
        raise TextFormatError(
            f"This file holds {len(work.chapters):,} chapters: import at most {CHAPTERS_MAX:,}."
        )
    return work


def _read(filename: str, data: bytes, fmt: str) -> ImportedWork:
    if fmt not in FORMATS:
        raise TextFormatError(f"Unknown format '{fmt}': use {', '.join(FORMATS)}.")
    if len(data) > text.FILE_MAX_BYTES:
        megabytes = text.FILE_MAX_BYTES // 2**20
        raise TextFormatError(
            f"This file is over {megabytes} MB: upload one of {megabytes} MB or less."
        )
    if fmt == "auto":
        fmt = detect_format(filename, data)
    if fmt == "epub":
        return read_epub(data)
    if fmt in ("docx", "text", "markdown", "html"):
        body = text.file_to_html(filename, data, fmt)
        return ImportedWork(source=fmt, chapters=[ImportedChapter(body=body)])
    decoded = _decode(data)
    if fmt == "ao3":
        return ao3.read_html(decoded)
    if fmt == "duster":
        return read_duster_html(decoded)
    if _looks_like_html(filename, decoded):
        return efiction_page.read_html(decoded)
    return efiction_page.read_text(decoded)


def detect_format(filename: str, data: bytes) -> str:
    """ "epub", "docx", "ao3", "efiction", "html", "markdown" or "text"."""
    ext = os.path.splitext(filename.replace("\\", "/").rsplit("/", 1)[-1])[1].lower()
    if data[:4] == b"PK\x03\x04":
        return _zip_kind(data, ext)
    if ext in (".docx", ".epub"):
        return ext[1:]  # not a zip: its reader says so
    if not data.strip():
        raise TextFormatError("This file has no text.")
    decoded = _decode(data)
    if _looks_like_html(filename, decoded):
        if ao3.looks_like_ao3(decoded):
            return "ao3"
        if efiction_page.looks_like_html_page(decoded):
            return "efiction"
        if looks_like_duster_html(decoded):
            return "duster"  # Duster's own HTML download
        return "html"
    if efiction_page.looks_like_text_page(decoded):
        return "efiction"
    if ext in _TEXT_EXTENSIONS:
        return _TEXT_EXTENSIONS[ext]
    return text.format_for_filename(filename)  # raises for an unknown extension


def _zip_kind(data: bytes, ext: str) -> str:
    if b"mimetypeapplication/epub+zip" in data[:200]:
        return "epub"
    try:
        names = set(zipfile.ZipFile(BytesIO(data)).namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        if ext in (".docx", ".epub"):
            return ext[1:]
        raise TextFormatError("This file is a damaged zip archive.") from None
    if "META-INF/container.xml" in names:
        return "epub"
    if "word/document.xml" in names:
        return "docx"
    raise TextFormatError("This zip file is neither an EPUB book nor a .docx document.")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextFormatError("This file is not UTF-8 text.") from exc


def _looks_like_html(filename: str, decoded: str) -> bool:
    if filename.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    head = decoded[:5000]
    return bool(_HTML_START.match(head) or re.search(r"<body[\s>]", head, re.I))
