"""Files the single-work import tests share: fixtures on disk and EPUBs made in memory."""

import io
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "single"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""


def _xhtml(title: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>'
        f"{title}</title></head><body>{body}</body></html>"
    )


def make_epub(documents: list[tuple[str, str]], *, title: str = "A Book", extra=()) -> bytes:
    """An EPUB with these (file name, body HTML) documents in its spine, in order."""
    items = "".join(
        f'<item id="d{n}" href="{name}" media-type="application/xhtml+xml"/>'
        for n, (name, _body) in enumerate(documents)
    )
    spine = "".join(f'<itemref idref="d{n}"/>' for n in range(len(documents)))
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:identifier id="id">urn:uuid:1</dc:identifier><dc:title>{title}</dc:title>'
        "<dc:language>en</dc:language></metadata>"
        f"<manifest>{items}</manifest><spine>{spine}</spine></package>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", _CONTAINER)
        archive.writestr("OEBPS/content.opf", opf)
        for name, body in documents:
            archive.writestr(f"OEBPS/{name}", _xhtml(name, body))
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


AO3_PREFACE = """<div id="preface"><p class="message"><b>Nine Bells for Pim</b><br/>Posted originally
on the <a href="https://archiveofourown.org/">Archive of Our Own</a>.</p>
<div class="meta"><dl class="tags">
<dt>Rating:</dt><dd><a href="#">Mature</a></dd>
<dt>Archive Warning:</dt><dd><a href="#">No Archive Warnings Apply</a></dd>
<dt>Fandom:</dt><dd><a href="#">Clockwork Harbour</a></dd>
<dt>Character:</dt><dd><a href="#">Pim</a></dd>
<dt>Additional Tags:</dt><dd><a href="#">Bells</a>, <a href="#">Not, A, Tag</a></dd>
<dt>Stats:</dt><dd>Published: 2018-12-01 Completed: 2019-01-05 Words: 300 Chapters: 2/2</dd>
</dl>
<h1>Nine Bells for Pim</h1><div class="byline">by <a rel="author" href="#">Quillfeather</a></div>
<p>Summary</p><blockquote class="userstuff"><p>Nine bells, one thief.</p></blockquote>
</div></div>"""


def ao3_epub() -> bytes:
    """An EPUB laid out as AO3 makes them: a preface document, then one per chapter."""
    return make_epub(
        [
            ("preface.xhtml", AO3_PREFACE),
            (
                "chapter1.xhtml",
                '<div class="meta group"><h2 class="heading">Chapter 1: The First Bell</h2>'
                '<p>Chapter Notes</p><blockquote class="userstuff"><p>Bell one.</p></blockquote>'
                '</div><div class="userstuff"><p>The first bell rang at dawn.</p></div>',
            ),
            (
                "chapter2.xhtml",
                '<div class="meta group"><h2 class="heading">Chapter 2: The Ninth Bell</h2></div>'
                '<div class="userstuff"><p>The ninth bell never rang.</p><hr/>'
                "<p>Pim kept it.</p></div>",
            ),
            (
                "afterword.xhtml",
                '<div id="afterword"><div class="meta"><p>End Notes</p><blockquote '
                'class="userstuff"><p>Thanks for reading.</p></blockquote></div></div>',
            ),
        ],
        title="Nine Bells for Pim",
    )
