"""A work as plain text: the title page (title, byline, the metadata lines,
summary and notes), each chapter with its heading, notes, text and end
notes, then the afterword. UTF-8 without a byte-order mark, "\\n" line
endings, lines wrapped at 78 columns.

The stored HTML is walked with lxml and set out the way plain-text books
usually are: a blank line between paragraphs, <br> a line break, list items
after "- " or their number, a scene break a centred "* * *", headings on
lines of their own, a centred line (a scene break like "~o~" too) still
centred, italics between underscores, a picture "[Image: alt]"
and a link's address after its text. Words and addresses longer than a
line are never cut; they stick out instead.

Pictures are not fetched: a text file cannot show them.
"""

import re
import textwrap

from lxml import etree

from duster.downloads.book import Book, BookChapter
from duster.downloads.images import BookImages
from duster.downloads.markup import fragment
from duster.lib.text import is_scene_break

WIDTH = 78
SCENE_BREAK = "* * *".center(WIDTH).rstrip()

# Elements that start a block of their own; everything else flows in a line.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "details", "div", "dl",
        "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "ul",
        "caption", "tbody", "thead", "tfoot", "tr",
    }
)  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_ITALIC = frozenset({"em", "i", "cite"})
_BOLD = frozenset({"strong", "b"})
_SKIPPED = frozenset({"script", "style", "template", "head", "title"})
_SPACES = re.compile(r"[ \t\n\r\f\v]+")  # HTML whitespace; a no-break space is kept
_BREAK = "\x00"  # a <br> while a line is being put together
_QUOTE = "\u201c", "\u201d"


def build(book: Book, images: BookImages) -> bytes:
    return render(book).encode("utf-8")


def render(book: Book) -> str:
    parts = [_front(book)]
    parts.extend(_chapter(chapter) for chapter in book.chapters)
    parts.append(_afterword(book))
    text = "\n\n\n".join(part for part in parts if part)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"


def _front(book: Book) -> str:
    parts = [_heading(book.title, "="), _wrap(f"by {book.byline}")]
    parts.append(
        "\n".join(_wrap(f"{label}: {value}", hang="    ") for label, value in book.metadata())
    )
    parts.extend(_section("Summary", book.summary, "-"))
    parts.extend(_section("Notes", book.notes, "-"))
    parts.append(_wrap(f"Read online: {book.url}"))
    return "\n\n".join(parts)


def _chapter(chapter: BookChapter) -> str:
    parts = [_heading(chapter.title, "=")]
    parts.extend(_section("Summary", chapter.summary, "-"))
    parts.extend(_section("Notes", chapter.notes, "-"))
    parts.append(html_to_text(chapter.body))
    parts.extend(_section("End Notes", chapter.end_notes, "-"))
    return "\n\n".join(part for part in parts if part)


def _afterword(book: Book) -> str:
    parts = list(_section("End Notes", book.end_notes, "="))
    parts.append(_wrap(f"{book.title} by {book.byline}: {book.url}"))
    return "\n\n".join(parts)


def _section(title: str, html: str, underline: str) -> list[str]:
    """A titled part (notes, a summary), or nothing when it has no text."""
    text = html_to_text(html)
    return [_heading(title, underline), text] if text else []


def _heading(title: str, underline: str) -> str:
    lines = _wrap(title).split("\n")
    return "\n".join([*lines, underline * min(WIDTH, max(len(line) for line in lines))])


def _wrap(text: str, indent: str = "", hang: str | None = None) -> str:
    """`text` (one paragraph) wrapped at WIDTH after `indent`; `hang` indents
    the lines after the first instead."""
    return "\n".join(
        textwrap.wrap(
            _SPACES.sub(" ", text).strip(),
            width=WIDTH,
            initial_indent=indent,
            subsequent_indent=indent if hang is None else hang,
            break_long_words=False,
            break_on_hyphens=False,
            # Whitespace is collapsed above: no tab or newline is left.
            expand_tabs=False,
            replace_whitespace=False,
        )
    )


# --- HTML to text -----------------------------------------------------------------------------


def html_to_text(html: str) -> str:
    """Stored HTML as wrapped plain text, blocks separated by blank lines."""
    if not html or not html.strip():
        return ""
    return "\n\n".join(_blocks(fragment(html), ""))


def _blocks(parent: etree._Element, indent: str) -> list[str]:
    """The blocks inside `parent` as text, each line starting with `indent`:
    runs of inline content become wrapped paragraphs, block children their
    own blocks."""
    blocks: list[str] = []
    line: list[str] = [_flow(parent.text)]

    def flush() -> None:
        block = _paragraph("".join(line), indent)
        line.clear()
        if block:
            blocks.append(block)

    for child in parent:
        if isinstance(child.tag, str) and child.tag in _BLOCKS:
            flush()
            blocks.extend(_block(child, indent))
        else:
            line.append(_inline(child))
        line.append(_flow(child.tail))
    flush()
    return blocks


def _block(element: etree._Element, indent: str) -> list[str]:
    tag = element.tag
    if tag == "hr":
        return [SCENE_BREAK]
    if tag in _HEADINGS:
        heading = _paragraph(_inline_children(element), indent)
        return [heading] if heading else []
    if tag in ("ul", "ol"):
        return _list(element, indent)
    if tag == "blockquote":
        return _blocks(element, indent + "    ")
    if tag == "pre":
        text = "".join(element.itertext()).strip("\n")
        return ["\n".join(indent + row.rstrip() for row in text.split("\n"))] if text else []
    if tag == "table":
        return _table(element, indent)
    if tag == "dd":
        return _blocks(element, indent + "    ")
    if tag == "li":  # a list item outside a list
        return _list_item(element, indent, "- ")
    if any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in element):
        return _blocks(element, indent)
    text = _inline_children(element)
    centred = _centred(element)
    if _BREAK not in text and (centred or (tag == "p" and len(text) <= 2 * WIDTH)):
        single = _SPACES.sub(" ", text).strip()
        room = WIDTH - len(indent)
        if single and len(single) <= room and (centred or is_scene_break(single)):
            return [indent + single.center(room).rstrip()]
    paragraph = _paragraph(text, indent)
    return [paragraph] if paragraph else []


def _centred(element: etree._Element) -> bool:
    """A short centred line (<center>, align or a text-align style) stays centred."""
    if element.tag == "center" or (element.get("align") or "").lower() == "center":
        return True
    return "text-align:center" in (element.get("style") or "").replace(" ", "").lower()


def _list(element: etree._Element, indent: str) -> list[str]:
    """One block: each item after "- " (or its number), items on adjacent lines."""
    numbered = element.tag == "ol"
    try:
        number = int(element.get("start") or 1)
    except ValueError:
        number = 1
    items = []
    for child in element:
        if child.tag != "li":
            continue
        marker = f"{number}. " if numbered else "- "
        number += 1
        items.extend(_list_item(child, indent, marker))
    return ["\n".join(items)] if items else []


def _list_item(item: etree._Element, indent: str, marker: str) -> list[str]:
    inner = indent + " " * len(marker)
    blocks = _blocks(item, inner)
    if not blocks:
        return [(indent + marker).rstrip()]
    first = blocks[0]
    if first.startswith(inner):
        blocks[0] = indent + marker + first[len(inner) :]
    else:  # a block that keeps its own layout (a scene break)
        blocks.insert(0, (indent + marker).rstrip())
    return ["\n\n".join(blocks)]


def _table(table: etree._Element, indent: str) -> list[str]:
    """Each row a line (wrapped if long), its cells separated by " | "."""
    rows = []
    caption = table.find("caption")
    if caption is not None:
        rows.append(_paragraph(_inline_children(caption), indent))
    for row in table.iter("tr"):
        cells = [
            _SPACES.sub(" ", _inline_children(cell).replace(_BREAK, " ")).strip()
            for cell in row
            if cell.tag in ("td", "th")
        ]
        if any(cells):
            rows.append(_wrap(" | ".join(cells), indent, indent + "  "))
    return ["\n".join(row for row in rows if row)] if rows else []


def _paragraph(text: str, indent: str) -> str:
    """Inline text (with _BREAK for each <br>) wrapped into lines; empty
    when there is only whitespace (a spacer paragraph of no-break spaces)."""
    lines = text.split(_BREAK)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return ""
    return "\n".join(_wrap(line, indent) if line.strip() else "" for line in lines)


def _flow(text: str | None) -> str:
    return text or ""  # whitespace is collapsed once per line, in _paragraph


def _inline_children(element: etree._Element) -> str:
    pieces = [_flow(element.text)]
    for child in element:
        pieces.append(_inline(child))
        pieces.append(_flow(child.tail))
    return "".join(pieces)


def _inline(element: etree._Element) -> str:
    """An element inside a line as text (its tail is not included)."""
    tag = element.tag
    if not isinstance(tag, str) or tag in _SKIPPED:
        return ""
    if tag == "br":
        return _BREAK
    if tag == "img":
        alt = " ".join((element.get("alt") or element.get("title") or "").split())
        return f"[Image: {alt}]" if alt else "[Image]"
    inner = _inline_children(element)
    if tag in _BLOCKS:  # a block inside a line: keep its text on lines of its own
        return f"{_BREAK}{inner}{_BREAK}"
    if not inner.strip():
        return inner
    if tag in _ITALIC:
        return _around(inner, "_", "_")
    if tag in _BOLD:
        return _around(inner, "*", "*")
    if tag == "q":
        return _around(inner, *_QUOTE)
    if tag == "a":
        href = (element.get("href") or "").strip()
        shown = " ".join(inner.split())
        if href.lower().startswith(("http://", "https://", "mailto:")) and href not in (
            shown,
            f"mailto:{shown}",
        ):
            return f"{inner} <{href}>"
    return inner


def _around(text: str, before: str, after: str) -> str:
    """`text` marked, the marks inside any spaces at its ends."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return f"{text[:start]}{before}{text[start:end]}{after}{text[end:]}"
