"""Reading one work from one file: plain text, Markdown, HTML, .docx, EPUB, a story page
saved from an eFiction archive, or an AO3 download. `read_work` is the entry point."""

from duster.imports.single.detect import FORMATS, read_work
from duster.imports.single.model import ImportedChapter, ImportedWork

__all__ = ["FORMATS", "ImportedChapter", "ImportedWork", "read_work"]
