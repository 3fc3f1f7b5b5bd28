"""EPUB files: Duster's own (a title page, one XHTML document per chapter, an afterword),
AO3's (a preface document, then the chapters) or any other (one chapter per document).

The zip is read with limits like the .docx guards in duster.lib.text: only the parts the
book needs are unpacked, each no larger than it claims and than the limits, so a zip bomb
or a damaged file is refused with a TextFormatError instead of filling the memory.
"""

import posixpath
import re
import zipfile
from io import BytesIO

from lxml import etree

from duster.imports.single import ao3
from duster.imports.single.common import drop_chrome, parse_html, text_of
from duster.imports.single.model import ImportedChapter, ImportedWork
from duster.lib.text import TextFormatError

EPUB_PARTS_MAX = 2_000  # entries in the zip
EPUB_UNPACKED_MAX_BYTES = 40 * 1024 * 1024  # the parts read, unpacked
EPUB_PART_MAX_BYTES = 10 * 1024 * 1024  # one part, unpacked
EPUB_RATIO_MAX = 200  # unpacked / packed size of a part over 1 MB
EPUB_DOCUMENTS_MAX = 1_000  # documents in the spine

NOT_EPUB = "This file is not a valid EPUB book (it may be damaged or in another format)."
_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}


class _Book:
    """The parts of an EPUB, read within the limits."""

    def __init__(self, data: bytes) -> None:
        try:
            self.archive = zipfile.ZipFile(BytesIO(data))
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise TextFormatError(NOT_EPUB) from exc
        if len(infos) > EPUB_PARTS_MAX:
            raise TextFormatError(f"This EPUB has more than {EPUB_PARTS_MAX:,} parts.")
        self.infos = {info.filename: info for info in infos}
        self.unpacked = 0

    def read(self, name: str) -> bytes:
        info = self.infos.get(name)
        if info is None:
            raise TextFormatError(f"{NOT_EPUB[:-1]}: a part it names is missing.")
        bomb = "it looks like a zip bomb, not a book"
        if info.file_size > EPUB_PART_MAX_BYTES:
            raise TextFormatError(f"This EPUB has a part over 10 MB unpacked: {bomb}.")
        if info.file_size > 2**20 and info.file_size > EPUB_RATIO_MAX * max(info.compress_size, 1):
            raise TextFormatError(
                f"This EPUB has a part that unpacks {EPUB_RATIO_MAX}× or more: {bomb}."
            )
        try:
            with self.archive.open(info) as stream:
                # Never trust the sizes in the zip's directory: read at most what it claims.
                data = stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise TextFormatError(NOT_EPUB) from exc
        except (zipfile.LargeZipFile, ValueError, UnicodeError) as exc:
            raise TextFormatError(NOT_EPUB) from exc
        if len(data) > info.file_size:
            raise TextFormatError(f"This EPUB has a part larger than it claims: {bomb}.")
        self.unpacked += len(data)
        if self.unpacked > EPUB_UNPACKED_MAX_BYTES:
            raise TextFormatError(f"This EPUB unpacks to more than 40 MB: {bomb}.")
        return data

    def xml(self, name: str):
        data = self.read(name)
        if b"<!ENTITY" in data or b"\0" in data:
            raise TextFormatError(NOT_EPUB)
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            return etree.fromstring(data, parser=parser)
        except etree.XMLSyntaxError as exc:
            raise TextFormatError(NOT_EPUB) from exc

    def text(self, name: str) -> str:
        data = self.read(name)
        if b"<!ENTITY" in data:
            raise TextFormatError(NOT_EPUB)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TextFormatError("This EPUB has a document that is not UTF-8.") from exc


def is_epub(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" and b"mimetypeapplication/epub+zip" in data[:200]


def read_epub(data: bytes) -> ImportedWork:
    book = _Book(data)
    container = book.xml("META-INF/container.xml")
    rootfile = container.find(".//c:rootfile", _NS)
    opf_path = rootfile.get("full-path") if rootfile is not None else None
    if not opf_path:
        raise TextFormatError(NOT_EPUB)
    opf = book.xml(opf_path)
    base = posixpath.dirname(opf_path)
    manifest = {item.get("id"): item for item in opf.iterfind(".//opf:manifest/opf:item", _NS)}
    names = []
    for itemref in opf.iterfind(".//opf:spine/opf:itemref", _NS):
        item = manifest.get(itemref.get("idref"))
        if item is None or "html" not in (item.get("media-type") or ""):
            continue
        if "nav" in (item.get("properties") or "").split():
            continue
        names.append(posixpath.normpath(posixpath.join(base, item.get("href") or "")))
    if not names:
        raise TextFormatError("This EPUB has no chapters.")
    if len(names) > EPUB_DOCUMENTS_MAX:
        raise TextFormatError(f"This EPUB has more than {EPUB_DOCUMENTS_MAX:,} documents.")
    bodies = []
    for name in names:
        root = parse_html(book.text(name))
        drop_chrome(root)
        body = root.find("body")
        bodies.append(body if body is not None else root)
    work = ImportedWork(source="epub")
    title = opf.find(".//dc:title", _NS)
    work.title = text_of(title) if title is not None else ""
    read_documents(work, bodies)
    if not work.summary:
        description = opf.find(".//dc:description", _NS)
        if description is not None and text_of(description):
            work.summary = f"<p>{_escape(text_of(description))}</p>"
    return ao3.finish(work, "This EPUB has no chapter text.")


def read_documents(work: ImportedWork, bodies: list) -> None:
    """Fill the work from a book's documents in reading order: a preface or title page, the
    chapters, an afterword."""
    for body in bodies:
        if _is_preface(body):
            ao3.read_preface(work, body)
        elif _is_afterword(body):
            notes = ao3._sections(body).get("end_notes", "")
            work.end_notes = notes or work.end_notes
        else:
            parts = ao3._chapter_parts(body)
            work.chapters.extend(_chapter(part) for part in parts)


def looks_like_duster_html(markup: str) -> bool:
    """Duster's own HTML download: its title page, then a section per chapter."""
    sample = markup[:200_000]
    return 'class="title-page"' in sample and 'class="work-meta"' in sample


def read_duster_html(markup: str) -> ImportedWork:
    root = parse_html(markup)
    drop_chrome(root)
    sections = [
        element
        for element in root.iter("section")
        if set((element.get("class") or "").split()) & {"title-page", "chapter", "afterword"}
    ]
    work = ImportedWork(source="html")
    read_documents(work, sections)
    return ao3.finish(work, "This file has no chapter text.")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_preface(body) -> bool:
    if ao3._by_id(body, "preface") is not None:
        return True
    classes = " ".join(e.get("class") or "" for e in body.iter() if isinstance(e.tag, str))
    return bool(re.search(r"\btitle-page\b|\bwork-meta\b", classes)) or any(
        "tags" in (dl.get("class") or "") for dl in body.iter("dl")
    )


def _is_afterword(body) -> bool:
    if ao3._by_id(body, "afterword") is not None:
        return True
    return any("afterword" in (e.get("class") or "") for e in body.iter("section", "div"))


def _chapter(part) -> ImportedChapter:
    chapter = ao3.read_chapter(part)
    if not chapter.title:
        heading = next(iter(part.iter("h1", "h2", "h3")), None)
        if heading is not None and not ao3._section_key(heading):
            chapter.title = ao3.chapter_title(text_of(heading))
            if chapter.body.count(text_of(heading)) and heading.getparent() is not None:
                heading.drop_tree()
                chapter.body = ao3.read_chapter(part).body
    return chapter
