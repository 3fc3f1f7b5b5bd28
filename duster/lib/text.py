"""Turn user-supplied text (typed-in or uploaded) into safe HTML, and count its words."""

import io
import os
import re
from html import escape
from html.parser import HTMLParser

import mammoth
import nh3
from markdown_it import MarkdownIt

FORMATS = ("html", "markdown", "text")


class TextFormatError(ValueError):
    """Input that cannot be turned into HTML; str() is a message fit for the end user."""


# --- Sanitizing -----------------------------------------------------------------------------

_TAGS = {
    "p", "br", "hr", "em", "i", "strong", "b", "u", "s", "strike", "del", "ins", "sub", "sup",
    "small", "big", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "blockquote", "q", "cite", "abbr", "code", "pre", "span", "div", "a", "img", "table",
    "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "col", "colgroup", "center",
}  # fmt: skip
_ALIGNED = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6")
_ATTRIBUTES = {
    "*": {"dir", "lang", "style"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    **{tag: {"align"} for tag in _ALIGNED},
}
# Dropped together with everything inside them: their content is code or markup, not prose.
_DROP_CONTENT = {"script", "style", "svg", "math", "template", "noscript", "iframe", "object"}

_ALIGN_VALUES = {"left", "right", "center", "justify"}
_TEXT_ALIGN = re.compile(
    r"(?:^|;)\s*text-align\s*:\s*(left|right|center|justify|start|end)\s*(?:;|$)", re.I
)
_VALID = {
    "dir": re.compile(r"ltr|rtl|auto", re.I),
    "lang": re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*"),
    "type": re.compile(r"[1aAiI]"),
    "start": re.compile(r"-?\d{1,9}"),
    **dict.fromkeys(("colspan", "rowspan", "width", "height"), re.compile(r"\d{1,5}%?")),
}


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    # nh3 keeps any *value* of an allowed attribute (even text-align:url(...)), so validate here.
    if name == "style":
        match = _TEXT_ALIGN.search(value)
        return f"text-align:{match.group(1).lower()}" if match else None
    if name == "align":
        return value.lower() if value.lower() in _ALIGN_VALUES else None
    pattern = _VALID.get(name)
    if pattern is not None:
        return value.strip() if pattern.fullmatch(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROP_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel="nofollow ugc",
    url_schemes={"http", "https", "mailto"},
    filter_style_properties={"text-align"},
)


def sanitize_html(html: str) -> str:
    """The one place untrusted HTML becomes trusted: allowlist tags, attributes and URL schemes."""
    result = _CLEANER.clean(html)
    # One pass is not always stable: stripping tags can leave markup that re-parses differently
    # ("<p><select><select><select><p>" gives "<p><p></p></p>"), so clean until it is.
    for _ in range(4):
        again = _CLEANER.clean(result)
        if again == result:
            break
        result = again
    return result


# --- Plain text -----------------------------------------------------------------------------

# A scene break is either a line of 3+ mark characters (spaces allowed between them), e.g.
# "***", "* * *", "~*~", "<><><>", or an o/x ornament whose letters are one family (o/O/0 or
# x/X) with adjacent letters differing: bare and 3-9 long ("oOo", "XxX", "o0o"), or wrapped in
# marks on both sides ("-x-", "~o~", "-oOo-"). So "Oh.", "ooh", "xx", "OK", "Ooo", "xoxo" and
# "--" stay text.
_MARKS = r"~*\-_=#+<>.·•/\\"
_MARK_LINE = re.compile(rf"(?:[{_MARKS}]\s*){{3,}}")
_ORNAMENT = re.compile(rf"([{_MARKS}]*)([oO0]{{1,9}}|[xX]{{1,9}})([{_MARKS}]*)")


def _is_scene_break(line: str) -> bool:
    if _MARK_LINE.fullmatch(line.strip()):
        return True
    match = _ORNAMENT.fullmatch(re.sub(r"\s+", "", line))
    if not match:
        return False
    lead, core, trail = match.groups()
    if any(a == b for a, b in zip(core, core[1:], strict=False)):
        return False
    if lead and trail:
        return len(core) != 2
    return not lead and not trail and len(core) >= 3


def text_to_html(text: str) -> str:
    """Plain text to HTML: blank lines split paragraphs, newlines become <br>, marks become <hr>."""
    # Written by hand: no converter library knows fan fiction scene-break conventions.
    blocks: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            flush()
        elif _is_scene_break(line):
            flush()
            blocks.append("<hr>")
        else:
            paragraph.append(escape(line.rstrip(), quote=False))
    flush()
    return sanitize_html("\n".join(blocks))


# --- Markdown, docx, dispatch ---------------------------------------------------------------

_MARKDOWN = (
    MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)


def markdown_to_html(text: str) -> str:
    """CommonMark plus tables and ~~strikethrough~~; raw HTML is allowed, then sanitized."""
    return sanitize_html(_MARKDOWN.render(text).strip())


def docx_to_html(data: bytes) -> str:
    """Convert a Word .docx document's body to sanitized HTML."""
    try:
        result = mammoth.convert_to_html(io.BytesIO(data))
    except Exception as exc:  # a corrupt upload can fail in zip, XML or mammoth
        raise TextFormatError("This file is not a valid .docx document.") from exc
    return sanitize_html(result.value)


def to_html(text: str, fmt: str) -> str:
    """Convert typed-in text in one of FORMATS to sanitized HTML."""
    if fmt == "html":
        return sanitize_html(text)
    if fmt == "markdown":
        return markdown_to_html(text)
    if fmt == "text":
        return text_to_html(text)
    raise TextFormatError(f"Unknown text format '{fmt}': use text, markdown or html.")


_EXTENSIONS = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".docx": "docx",
}


def format_for_filename(filename: str) -> str:
    """Guess the format of an uploaded file from its extension."""
    basename = filename.replace("\\", "/").rsplit("/", 1)[-1]
    ext = os.path.splitext(basename)[1].lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if not ext:
        raise TextFormatError("This file has no extension: upload .txt, .md, .html or .docx.")
    raise TextFormatError(f"Unsupported file type '{ext[:20]}': upload .txt, .md, .html or .docx.")


def file_to_html(filename: str, data: bytes, fmt: str = "auto") -> str:
    """Convert an uploaded file to sanitized HTML; fmt "auto" goes by the file name."""
    if fmt == "auto":
        fmt = format_for_filename(filename)
    elif fmt not in (*FORMATS, "docx"):
        raise TextFormatError(
            f"Unknown text format '{fmt}': use auto, text, markdown, html or docx."
        )
    if fmt == "docx":
        result = docx_to_html(data)
    else:
        try:
            text = data.decode("utf-8-sig")  # -sig: drop a BOM left by Windows editors
        except UnicodeDecodeError as exc:
            raise TextFormatError("This file is not UTF-8 text.") from exc
        result = to_html(text, fmt)
    # Images alone count as content; markup with no text and no image does not.
    if not _visible_text(result).strip() and "<img" not in result:
        raise TextFormatError("This file has no text.")
    return result


# --- Word count -----------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "br", "hr", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr",
    "blockquote", "ul", "ol", "dl", "dt", "dd", "pre", "table", "caption", "thead", "tbody",
    "tfoot", "center", "img",
}  # fmt: skip
# Han (incl. extensions and compatibility), Hiragana, Katakana, Hangul syllables; no punctuation.
_CJK = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d"
    "\uac00-\ud7a3]"
)


class _TextExtractor(HTMLParser):
    # html.parser rather than nh3: block tags must become word boundaries, inline ones not.
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def word_count(html: str) -> int:
    """Words in an HTML body: each CJK character is a word, other text splits on whitespace."""
    text = _visible_text(html)
    cjk = len(_CJK.findall(text))
    tokens = _CJK.sub(" ", text).split()
    # A token of punctuation alone ("—", "...", "*") is not a word.
    return cjk + sum(1 for token in tokens if any(ch.isalnum() for ch in token))
