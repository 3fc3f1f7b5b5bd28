"""Helpers the parsers share: reading HTML with lxml, dates, tag lists."""

import datetime as dt
import re

import lxml.html
from lxml import etree

from duster.lib.text import TextFormatError

# Tags whose content is never story text: scripts, styles and the controls of a page.
CHROME_TAGS = ("script", "style", "noscript", "iframe", "object", "form", "select", "textarea",
               "button", "input", "template", "svg", "math", "head", "nav")  # fmt: skip


def parse_html(markup: str) -> lxml.html.HtmlElement:
    """A whole page as an lxml tree (libxml2's HTML parser: linear, never fetches anything)."""
    if not markup.strip():
        raise TextFormatError("This file has no text.")
    # lxml refuses a str that declares its encoding (XHTML from an EPUB does).
    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup, count=1)
    parser = lxml.html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, recover=True
    )
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise TextFormatError("This file is not HTML that can be read.") from exc
    if root is None:
        raise TextFormatError("This file has no text.")
    return root


def drop_chrome(root: lxml.html.HtmlElement) -> None:
    """Take out scripts, styles and form controls, keeping what follows them."""
    for element in list(root.iter(*CHROME_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()


def squash(text: str | None) -> str:
    return " ".join((text or "").replace("\u00a0", " ").split())


def text_of(element) -> str:
    return squash("".join(element.itertext())) if element is not None else ""


def inner_html(element) -> str:
    """The HTML inside an element (its text and children, without the element itself)."""
    if element is None:
        return ""
    parts = [escape_text(element.text or "")]
    parts += [lxml.html.tostring(child, encoding="unicode") for child in element]
    return "".join(parts).strip()


def nodes_html(nodes: list, lead: str = "") -> str:
    """The HTML of a run of sibling elements, with the text before the first of them."""
    parts = [escape_text(lead)]
    parts += [lxml.html.tostring(node, encoding="unicode") for node in nodes]
    return "".join(parts).strip()


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def has_text(html: str) -> bool:
    if not html.strip():
        return False
    if "<img" in html:
        return True
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return False
    return bool(text_of(fragment))


_DATE_FORMATS = (
    "%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y",
    "%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d.%m.%Y", "%d.%m.%y", "%d %b %y", "%Y/%m/%d",
)  # fmt: skip


def parse_date(value: str) -> dt.date | None:
    """A date as archives print it (eFiction's date format is the admin's choice)."""
    value = squash(value).strip(" .,")
    value = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", value)
    for fmt in _DATE_FORMATS:
        try:
            day = dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return day if day <= dt.date.today() else None
    return None


def split_list(value: str) -> list[str]:
    """Tag names from "A, B, C" ("None" and empty items dropped, order and case kept)."""
    names: list[str] = []
    for item in value.split(","):
        name = squash(item)
        if name and name.casefold() not in ("none", "none.", "n/a") and name not in names:
            names.append(name)
    return names
