"""Real files for tests: a minimal .docx that mammoth (and Word) can read."""

import io
import zipfile
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="word/document.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
_DOCUMENT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body>{body}</w:body>
</w:document>"""


def make_docx(*paragraphs: str, document: str | None = None) -> bytes:
    """A .docx with one paragraph per string (a `**bold**` string becomes a bold
    run), or with the given raw word/document.xml."""
    if document is None:
        runs = []
        for paragraph in paragraphs:
            if paragraph.startswith("**") and paragraph.endswith("**"):
                run = f"<w:r><w:rPr><w:b/></w:rPr><w:t>{escape(paragraph[2:-2])}</w:t></w:r>"
            else:
                run = f'<w:r><w:t xml:space="preserve">{escape(paragraph)}</w:t></w:r>'
            runs.append(f"<w:p>{run}</w:p>")
        document = _DOCUMENT.format(body="".join(runs))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()
