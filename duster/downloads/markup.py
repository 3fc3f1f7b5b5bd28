"""A work's stored HTML (HTML5, already sanitized) made fit for a book:
parsed once with lxml, its obsolete presentational markup turned into the
HTML5 equivalent, its structure mended where browsers forgive what a
validator does not (a list nested straight inside a list, a paragraph
inside <b>, a stray <li>, a table's parts out of order), its links made
absolute, its images resolved through `BookImages`, and written back as
XHTML (EPUB) or HTML. EPUBCheck and the Nu checker accept the result.

Images that cannot be had become their alt text and a link to where they
were, never a broken reference.
"""

import re
from collections.abc import Callable
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from lxml import etree
from lxml import html as lxml_html

from duster.downloads.images import BookImage, BookImages

XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"

# Characters XML 1.0 forbids (most C0 controls) or that validators refuse in
# text (C1 controls, non-characters, lone surrogates): the HTML parser keeps them. Written as
# what is allowed, which the regex engine scans far faster.
_NOT_XML = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd"
    "\U00010000-\U0001fffd\U00020000-\U0002fffd\U00030000-\U0003fffd"
    "\U00040000-\U000efffd\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
_PERCENT = re.compile(r"^\s*\d{1,5}%\s*$")
_INTEGER = re.compile(r"^\s*\d{1,5}\s*$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST = re.compile(r"^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}\.?$|^\[[0-9A-Fa-f:.]+\]$")
_OBSOLETE_TAGS = {"center": "div", "big": "span", "strike": "s"}

# Content models, as far as the sanitizer's tags need them.


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


_PHRASING_ONLY = _tags(
    "p h1 h2 h3 h4 h5 h6 pre span em i strong b u s sub sup small q cite abbr code"
)
_TRANSPARENT = _tags("a ins del")
_FLOW_ONLY = _tags(
    "address article aside blockquote details div dl dd dt fieldset figure footer form h1 h2 h3"
    " h4 h5 h6 header hr li main nav ol p pre section table ul"
)
_LISTS = _tags("ul ol")
_TABLE_RANK = {"caption": 0, "colgroup": 1, "thead": 2, "tbody": 3, "tr": 3, "tfoot": 4}


def xml_text(text: object) -> str:
    """`text` as a string without the characters an XML document may not
    hold (escaping is the caller's)."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def fragment(markup: str) -> etree._Element:
    """`markup` parsed into the children of one <div> (returned)."""
    return lxml_html.fragment_fromstring(xml_text(markup), create_parent="div")


def modernise(root: etree._Element) -> None:
    """Obsolete markup the sanitizer keeps, in HTML5 terms: <center> a centred
    <div>, <big> a span of larger text, <strike> <s>, `align` a text-align
    style, a percentage image width a style; attribute values HTML5 refuses
    (a bad `lang`, `dir` or span count) are dropped."""
    for element in root.iter(etree.Element):
        tag = element.tag
        if tag in _OBSOLETE_TAGS:
            element.tag = _OBSOLETE_TAGS[tag]
            if tag == "center":
                _add_style(element, "text-align:center")
            elif tag == "big":
                element.set("class", "big")
        attributes = element.attrib
        align = attributes.pop("align", None)
        if align:
            _add_style(element, f"text-align:{align}")
        if "dir" in attributes:
            direction = attributes["dir"].strip().lower()
            if direction in ("ltr", "rtl", "auto"):
                attributes["dir"] = direction
            else:
                del attributes["dir"]
        if "lang" in attributes and not _LANGUAGE_TAG.match(attributes["lang"]):
            del attributes["lang"]
        if tag == "img":
            for name in ("width", "height"):
                value = element.get(name)
                if value is None:
                    continue
                del attributes[name]
                if _INTEGER.match(value):
                    attributes[name] = value.strip()
                elif _PERCENT.match(value) and name == "width":
                    _add_style(element, f"width:{value.strip()}")
        elif tag in ("td", "th"):
            _span_count(element, "colspan", 1, 1000)
            _span_count(element, "rowspan", 0, 65534)


def _span_count(element: etree._Element, name: str, least: int, most: int) -> None:
    value = element.get(name)
    if value is None:
        return
    if _INTEGER.match(value) and least <= int(value) <= most:
        element.set(name, str(int(value)))
    else:
        del element.attrib[name]


def _add_style(element: etree._Element, declaration: str) -> None:
    style = (element.get("style") or "").strip().rstrip(";")
    element.set("style", f"{style};{declaration}" if style else declaration)


# --- Structure -------------------------------------------------------------------------------


def mend(root: etree._Element) -> None:
    """Put right the structure browsers forgive and validators refuse, keeping
    every word: stray list items get a list, a list's stray children go into
    its items, a malformed definition list becomes plain blocks, inline
    elements holding blocks become blocks (with a class that keeps their
    look), a table's parts are put in order, and an id is used once."""
    _wrap_stray_items(root)
    for element in list(root.iter(*_LISTS)):
        _mend_list(element)
    for element in list(root.iter("dl", "dt", "dd")):
        _mend_definitions(element)
    _blocks_in_inlines(root)
    for element in list(root.iter("table")):
        _mend_table(element)
    _unique_ids(root)


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


def _as_block(element: etree._Element, tag: str = "div") -> None:
    old = element.tag
    element.tag = tag
    classes = (element.get("class") or "").split()
    element.set("class", " ".join([*classes, old]))


def _wrap_stray_items(root: etree._Element) -> None:
    """Each run of <li> outside a list goes into a <ul> of its own."""
    for item in list(root.iter("li")):
        parent = item.getparent()
        if parent is None or parent.tag in _LISTS or parent.tag == "menu":
            continue
        wrapper = etree.Element("ul")
        item.addprevious(wrapper)
        sibling: etree._Element | None = item
        while sibling is not None and sibling.tag == "li":
            following = sibling.getnext()
            last = _blank(sibling.tail)
            wrapper.append(sibling)
            if not last:
                break
            sibling = following
        # Text after the last item belongs after the list, not inside it.
        last_item = wrapper[-1]
        wrapper.tail, last_item.tail = last_item.tail, None


def _mend_list(element: etree._Element) -> None:
    """A list holds only items: text and elements between items go into the
    item before them (a list nested without its own item, above all), or
    into a new item when there is none before."""
    if not _blank(element.text):
        item = etree.Element("li")
        item.text, element.text = element.text, None
        element.insert(0, item)
    current: etree._Element | None = None
    for child in list(element):
        if child.tag == "li":
            current = child
        elif child.tag is etree.Comment or child.tag is etree.PI:
            _drop(child)
            continue
        else:
            if current is None:
                current = etree.Element("li")
                child.addprevious(current)
            current.append(child)  # its tail comes along
            continue
        if not _blank(current.tail):
            _append_text(current, current.tail or "")
            current.tail = None


def _drop(node: etree._Element) -> None:
    """Remove a node (a comment), keeping the text that follows it."""
    parent, previous = node.getparent(), node.getprevious()
    if node.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _append_text(element: etree._Element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _mend_definitions(element: etree._Element) -> None:
    """A <dl> is groups of terms then descriptions; one that is not (or a
    <dt>/<dd> outside any) becomes plain blocks classed "dl", "dt", "dd"."""
    if element.tag == "dl":
        if not _valid_definitions(element):
            _as_block(element)
    elif element.getparent() is None or element.getparent().tag != "dl":
        _as_block(element)


def _valid_definitions(element: etree._Element) -> bool:
    if not _blank(element.text):
        return False
    tags = []
    for child in element:
        if child.tag not in ("dt", "dd") or not _blank(child.tail):
            return False
        tags.append(child.tag)
    return not tags or (tags[0] == "dt" and tags[-1] == "dd")


def _blocks_in_inlines(root: etree._Element) -> None:
    """An element that may hold only phrasing (<span>, <em>, <p>, a heading…)
    but holds a block becomes a <div>; links and <ins>/<del> take the
    content model of their parent, so they pass the question up."""
    holds_block: set[etree._Element] = set()
    elements = list(root.iter(etree.Element))  # keeps every proxy alive: stable identity
    for element in reversed(elements):  # each element after all of its descendants
        tag = element.tag
        blocky = any(
            child.tag in _FLOW_ONLY or (child.tag in _TRANSPARENT and child in holds_block)
            for child in element
        )
        if not blocky:
            continue
        if tag in _PHRASING_ONLY:
            _as_block(element)
        elif tag in _TRANSPARENT:
            holds_block.add(element)


def _mend_table(table: etree._Element) -> None:
    """A table's parts in the order HTML requires (caption, column groups,
    head, body, foot), each at most once where it must be; anything else
    goes before the table, as a browser shows it."""
    if not _blank(table.text):
        _text_before(table, table.text or "")
    table.text = None
    loose = []
    parts = []
    for child in list(table):
        if child.tag in _TABLE_RANK:
            parts.append(child)
        elif child.tag is etree.Comment or child.tag is etree.PI:
            _drop(child)
        else:
            table.addprevious(child)
    seen: set[str] = set()
    for part in parts:
        if part.tag in ("caption", "thead", "tfoot") and part.tag in seen:
            if part.tag == "caption":
                table.addprevious(part)
                _as_block(part)
                continue
            part.tag = "tbody"
        seen.add(part.tag)
    kept = [part for part in parts if part.getparent() is table]
    for part in kept:
        if not _blank(part.tail):
            loose.append(part.tail or "")
            part.tail = None
    if loose:
        _text_before(table, " ".join(loose))
    kept.sort(key=lambda part: _TABLE_RANK[part.tag])
    if any(part.tag == "tbody" for part in kept):
        kept = _rows_in_bodies(kept)
    for part in kept:
        table.append(part)


def _text_before(element: etree._Element, text: str) -> None:
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent = element.getparent()
        parent.text = (parent.text or "") + text


def _rows_in_bodies(parts: list[etree._Element]) -> list[etree._Element]:
    """Bare rows beside row groups go into a <tbody> of their own."""
    result: list[etree._Element] = []
    made: etree._Element | None = None  # the <tbody> the rows just before went into
    for part in parts:
        if part.tag != "tr":
            result.append(part)
            made = None
            continue
        if made is None:
            made = etree.Element("tbody")
            result.append(made)
        made.append(part)
    return result


def _unique_ids(root: etree._Element) -> None:
    seen: set[str] = set()
    for element in root.iter(etree.Element):
        identifier = element.get("id")
        if identifier is None:
            continue
        if identifier in seen or not identifier.strip() or any(c.isspace() for c in identifier):
            del element.attrib["id"]
        else:
            seen.add(identifier)


# --- Links and images ------------------------------------------------------------------------


def resolve_links(root: etree._Element) -> None:
    """Links point at absolute web addresses (a relative one is the
    archive's), in a form validators accept; a link to a place in the text
    (whose target the sanitizer removed) or one that is no address is kept
    as its text."""
    base = settings.SITE_URL
    for link in root.iter("a"):
        href = link.get("href")
        address = _web_address(href, base) if href is not None else None
        if address is None:
            # A link without an address may carry none of a link's attributes.
            for name in ("href", "rel", "target", "hreflang", "type", "download", "ping"):
                link.attrib.pop(name, None)
        else:
            link.set("href", address)


def _web_address(href: str, base: str) -> str | None:
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        address = urljoin(base, href)
        parts = urlsplit(address)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        return "mailto:" + _escape_url(parts.path)
    if scheme not in ("http", "https") or not parts.netloc:
        return None
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not host or not _HOST.match(host if ":" not in host else f"[{host}]"):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    rest = _escape_url(parts.path or "/")
    if parts.query:
        rest += "?" + _escape_url(parts.query)
    if parts.fragment:
        rest += "#" + _escape_url(parts.fragment)
    return f"{scheme}://{netloc}{rest}"


def _escape_url(part: str) -> str:
    return quote(_BAD_PERCENT.sub("%25", part), safe="/?#[]@!$&'()*+,;=:~%-._")


def resolve_images(
    root: etree._Element, images: BookImages, src_for: Callable[[BookImage], str]
) -> None:
    """Each <img> shows its picture from `src_for(image)`; one that cannot be
    had becomes "[Image: alt]" linking to its address (plain text when the
    address is no web link, or the image is already inside a link)."""
    for img in list(root.iter("img")):
        src = img.get("src") or ""
        image = images.get(src) if src else None
        if image is not None:
            img.set("src", src_for(image))
            if img.get("alt") is None:
                img.set("alt", "")
            continue
        alt = (img.get("alt") or img.get("title") or "").strip()
        label = f"[Image: {alt}]" if alt else "[Image]"
        inside_link = any(parent.tag == "a" for parent in img.iterancestors())
        address = _web_address(src, settings.SITE_URL) if src else None
        if address is not None and not inside_link:
            replacement = etree.Element("a", href=address)
        else:
            replacement = etree.Element("span")
        replacement.set("class", "missing-image")
        replacement.text = label
        replacement.tail = img.tail
        img.getparent().replace(img, replacement)


# --- Writing ---------------------------------------------------------------------------------


def inner_xhtml(root: etree._Element) -> str:
    """The children of `root` as XHTML, to sit inside an XHTML document
    whose default namespace is XHTML's."""
    parts = [_escape_text(root.text)] if root.text else []
    parts.extend(etree.tostring(child, method="xml", encoding="unicode") for child in root)
    return xml_text("".join(parts))


def inner_html(root: etree._Element) -> str:
    """The children of `root` as HTML."""
    parts = [_escape_text(root.text)] if root.text else []
    parts.extend(etree.tostring(child, method="html", encoding="unicode") for child in root)
    return "".join(parts)


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def book_markup(
    markup: str,
    images: BookImages,
    src_for: Callable[[BookImage], str],
    *,
    xhtml: bool,
) -> str:
    """Stored HTML as it goes into a book: modernised, mended, links and
    images resolved, as XHTML or HTML."""
    root = fragment(markup)
    modernise(root)
    mend(root)
    resolve_links(root)
    resolve_images(root, images, src_for)
    return inner_xhtml(root) if xhtml else inner_html(root)
