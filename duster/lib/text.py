"""Turn user-supplied text (typed-in or uploaded) into safe HTML, and count its words.

Every conversion here is bounded in time and memory, whatever it is given: pathological
input is refused with a TextFormatError whose message can be shown at the form field, or
(for nesting too deep to matter) flattened. The entry points callers use are `to_html`,
`file_to_html` and `file_to_source`; they refuse a result over BODY_MAX characters unless
told otherwise.
"""

import io
import os
import re
import zipfile
from html import escape, unescape
from html.parser import HTMLParser

import mammoth
import nh3
from markdown_it import MarkdownIt

FORMATS = ("html", "markdown", "text")

# --- Limits ---------------------------------------------------------------------------------

BODY_MAX = 500_000  # characters of chapter HTML
FILE_MAX_BYTES = 10 * 1024 * 1024  # an uploaded file
HTML_TAGS_MAX = 250_000  # start tags in HTML a conversion hands to the sanitizer
HTML_DEPTH_MAX = 100  # elements nested deeper than this are unwrapped (their text is kept)
DOCX_UNPACKED_MAX_BYTES = 20 * 1024 * 1024  # all parts of a .docx, unpacked
DOCX_XML_MAX_BYTES = 10 * 1024 * 1024  # one XML part (word/document.xml...), unpacked
DOCX_TAGS_MAX = 150_000  # XML tags in all parts: mammoth takes ~25 µs a tag
DOCX_RATIO_MAX = 200  # unpacked / packed size of a part over 1 MB


class TextFormatError(ValueError):
    """Input that cannot be turned into HTML; str() is a message fit for the end user."""


def _too_long(what: str, limit: int) -> TextFormatError:
    return TextFormatError(
        f"This {what} is too long: as HTML it comes to more than {limit:,} characters. "
        "Split it into shorter chapters."
    )


def _too_much_markup(what: str) -> TextFormatError:
    return TextFormatError(
        f"This {what} has too much markup to convert (more than {HTML_TAGS_MAX:,} HTML tags). "
        "Split it into shorter chapters."
    )


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
    """The one place untrusted HTML becomes trusted: allowlist tags, attributes and URL schemes.

    Never raises; time and memory grow linearly with the input. Elements nested more than
    HTML_DEPTH_MAX deep are unwrapped, keeping their text."""
    return _sanitize(html)


def _sanitize(html: str, *, tag_limit: int | None = None, what: str = "HTML") -> str:
    result = _CLEANER.clean(_parser_ready(html, tag_limit, what))
    # One pass is not always stable: stripping tags can leave markup that re-parses differently
    # ("<p><select><select><select><p>" gives "<p><p></p></p>"), so clean until it is.
    for _ in range(4):
        again = _CLEANER.clean(_parser_ready(result, None, what))
        if again == result:
            break
        result = again
    return result


# --- Keeping HTML linear for the parser -----------------------------------------------------
#
# nh3 parses with html5ever, which follows the HTML standard. Two of its steps cost more than
# linear time on hostile input: checking whether an element is "in scope" walks the stack of
# open elements (100,000 nested <div>s take 100,000² steps), and formatting elements closed
# implicitly are re-opened before later text (1,000 unclosed <b title=N> then 10,000 <p>x make
# ten million elements). So before nh3 sees HTML, a linear pass (_plain_shape) checks that the
# parser takes neither path: each end tag closes the element opened last (or that element
# through ones whose end tags may be left out, like <p> and <li>), no start tag closes an
# element implicitly while a formatting element is open above it, tables are built in order,
# and nesting stays under 2 * HTML_DEPTH_MAX. HTML that fails a check is rebuilt (_rebuild):
# written out again with only allowlisted tags, every end tag explicit, and elements nested
# deeper than HTML_DEPTH_MAX unwrapped. Rebuilt HTML passes the check.


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VOID = _names(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param"
    " source track wbr"
)
_FORMATTING = _names("a b big code em font i nobr s small strike strong tt u")
# The standard's "special" elements, less "search" (new): smaller is the safe side here.
_SPECIAL = _names(
    "address applet area article aside base basefont bgsound blockquote body br button caption"
    " center col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form"
    " frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li"
    " link listing main marquee menu meta nav noembed noframes noscript object ol p param"
    " plaintext pre script section select source style summary table tbody td template"
    " textarea tfoot th thead title tr track ul wbr xmp"
)
_SCOPE = _names("applet caption html table td th marquee object template")
_IMPLIED_END = _names("dd dt li optgroup option p rb rp rt rtc")
# Start tags that close an open <p> (html5ever's list; a test checks it).
_CLOSES_P = _names(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption"
    " figure footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5"
    " h6 pre listing li dd dt hr xmp table form plaintext"
)
# End tags that close their element through open elements with optional end tags (a test
# checks these too).
_CLOSED_THROUGH = _names(
    "address article aside blockquote center details dir div dl fieldset figcaption figure"
    " footer header hgroup listing main menu nav ol pre section summary ul li dd dt p"
)
_HEADINGS = _names("h1 h2 h3 h4 h5 h6")
_RAW_TEXT = _names("script style noscript iframe noembed noframes xmp textarea title plaintext")
_TABLE_PARTS = _names("caption colgroup col tbody thead tfoot tr td th")
_TABLE_ENDS = _names("table caption colgroup tbody thead tfoot tr td th")
# The check leaves these to the rebuild: the parser treats them in ways it does not follow.
_NOT_PLAIN = _names(
    "svg math template html head body frameset select option optgroup datalist button form"
    " plaintext isindex menuitem rb rp rt rtc"
)
_GROUPS = {
    "#special": _SPECIAL,
    "#scope": _SCOPE,
    "#liscope": _SCOPE | {"ol", "ul"},
    "#bscope": _SCOPE | {"button"},
    "#marker": _names("applet caption marquee object template td th"),
    "#cell": _names("td th caption"),
    "#tdth": _names("td th"),
    "#rowgroup": _names("tbody thead tfoot"),
    "#heading": _HEADINGS,
    "#ddt": _names("dd dt"),
    "#listop": _SPECIAL - {"address", "div", "p", "li"},
    "#ddstop": _SPECIAL - {"address", "div", "p", "dd", "dt"},
}
# The check marks elements the parser adds by itself (<table><td> gets a tbody and a tr) with
# a trailing space, which no tag name can have.
_IMPLIED = ("tbody ", "tr ", "colgroup ")


def _keys_for(name: str) -> tuple[str, ...]:
    base = name.rstrip()
    keys = [name] if base == name else [name, base]
    keys += [group for group, members in _GROUPS.items() if base in members]
    if base not in _IMPLIED_END:
        keys.append("#solid")
    return tuple(keys)


_KEYS = {
    name: _keys_for(name)
    for name in frozenset().union(*_GROUPS.values(), _IMPLIED_END, _FORMATTING, _TAGS, _IMPLIED)
}


class _Open:
    """The stack of open elements, with the positions of each name and group in it."""

    __slots__ = ("names", "at")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.at: dict[str, list[int]] = {}

    def push(self, name: str) -> None:
        at = self.at
        position = len(self.names)
        self.names.append(name)
        for key in _KEYS.get(name) or (name, "#solid"):
            if key in at:
                at[key].append(position)
            else:
                at[key] = [position]

    def pop(self) -> str:
        name = self.names.pop()
        at = self.at
        for key in _KEYS.get(name) or (name, "#solid"):
            positions = at[key]
            positions.pop()
            if not positions:
                del at[key]
        return name

    def last(self, key: str) -> int:
        """Position of the innermost open element with this name or in this group, or -1."""
        positions = self.at.get(key)
        return positions[-1] if positions else -1


# What starts a token, read the way html5ever's tokenizer reads from the start of the input:
# a tag (a ">" inside a quoted attribute value does not end it, and a tag that runs to the
# end of the input ends there), a comment, or a bogus comment (<!DOCTYPE>, <?...>, </ ...>).
# A "<" followed by anything else is text, which the search skips. Possessive quantifiers
# keep it linear.
_TOKEN = re.compile(
    r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*+)"
    r"(?:[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r />=]*+"  # an attribute name, then
    r"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"  # "=" and a value: quoted, unquoted or none
    r"(?:\"[^\"]*+(?:\"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >\"'][^\t\n\f\r >]*+|(?=>)|\Z)"
    r"|(?![\t\n\f\r ]*+=)))*+(>|\Z)"
    r"|(!--)|[!?]|/(?=[^A-Za-z]))"
)
_COMMENT_END = re.compile(r"--!?>")
_RAW_END = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.I | re.A) for name in _RAW_TEXT}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _tokens(html: str):
    """Yield (kind, start, end, name) for "text", "start", "end", "raw" (the text inside
    <script>, <textarea>... up to its end tag), "comment" and "cdata", split where html5ever's
    tokenizer splits them when it reads the HTML from the start."""
    size = len(html)
    text_start = 0
    search = _TOKEN.search
    while match := search(html, text_start):
        lt, end = match.span()
        if lt > text_start:
            yield "text", text_start, lt, ""
        name = match.group(2)
        if name is not None:
            if not match.group(3):  # the tag runs to the end: html5ever drops it
                return
            name = name.lower() if name.isascii() else name.translate(_ASCII_LOWER)
            if match.group(1):
                yield "end", lt, end, name
            else:
                yield "start", lt, end, name
                if name in _RAW_TEXT:
                    if name == "script":
                        raw_end = _script_end(html, end)
                    else:
                        close = None if name == "plaintext" else _RAW_END[name].search(html, end)
                        raw_end = close.start() if close else size
                    yield "raw", end, raw_end, name
                    end = raw_end
        elif match.group(4):  # <!--
            if html.startswith(">", end) or html.startswith("->", end):
                end = html.find(">", end) + 1
            else:
                close = _COMMENT_END.search(html, end)
                end = close.end() if close else size
            yield "comment", lt, end, ""
        else:  # <!DOCTYPE>, <?...>, </ ...> and (outside SVG and MathML) <![CDATA[...>
            close_at = html.find(">", lt + 2)
            end = close_at + 1 if close_at >= 0 else size
            yield ("cdata" if html.startswith("<![CDATA[", lt) else "comment"), lt, end, ""
        text_start = end
    if size > text_start:
        yield "text", text_start, size, ""


_SCRIPT_MARKS = re.compile(r"<!--|-->|<(/?)script[\t\n\f\r />]", re.I | re.A)


def _script_end(html: str, start: int) -> int:
    """Where a <script>'s text ends: at "</script", unless "<!--<script" hid it."""
    state = "data"  # or "escaped" after <!--, "double" after <!--<script
    position = start
    while mark := _SCRIPT_MARKS.search(html, position):
        position = mark.end()
        if mark.group(0) == "<!--":
            if state == "data":
                state = "escaped"
                position = mark.start() + 2  # "<!-->" ends it at once
        elif mark.group(0) == "-->":
            state = "data"
        elif mark.group(1):
            if state != "double":
                return mark.start()
            state = "escaped"
        elif state == "escaped":
            state = "double"
    return len(html)


def _parser_ready(html: str, tag_limit: int | None, what: str) -> str:
    """The HTML itself if html5ever parses it in linear time, else the HTML rebuilt so it does.
    Raises TextFormatError when it has more than tag_limit start tags."""
    if "<" not in html:
        return html
    plain, tags = _plain_shape(html, tag_limit)
    if plain:
        return html
    return _rebuild(html, tag_limit, what)


def _plain_shape(html: str, tag_limit: int | None = None) -> tuple[bool, int]:
    """(True, start tags) when html5ever can parse this HTML as it is without any step that
    grows faster than the input; (False, start tags so far) as soon as it cannot be sure."""
    open_ = _Open()
    names = open_.names
    last = open_.last
    tags = 0
    depth_max = 2 * HTML_DEPTH_MAX
    for kind, start, end, name in _tokens(html):
        if kind == "start":
            tags += 1
            if name in _NOT_PLAIN or (tag_limit is not None and tags > tag_limit):
                return False, tags
            if (name == "a" and last("a") > last("#marker")) or (
                name == "nobr" and last("nobr") >= 0
            ):
                return False, tags
            if name == "li":
                found = last("li")
                if found > last("#listop"):
                    if last("#solid") > found:
                        return False, tags
                    _pop_to(open_, found)
            elif name == "dd" or name == "dt":
                found = last("#ddt")
                if found > last("#ddstop"):
                    if last("#solid") > found:
                        return False, tags
                    _pop_to(open_, found)
            if name in _CLOSES_P:
                found = last("p")
                if found > last("#bscope"):
                    if last("#solid") > found:
                        return False, tags
                    _pop_to(open_, found)
                if name in _HEADINGS and names and names[-1] in _HEADINGS:
                    open_.pop()  # as html5ever does: <h2>a<h3> closes the h2
                if name == "table" and last("table") > last("#cell"):
                    return False, tags
            if name in _TABLE_PARTS and not _plain_table_part(open_, name):
                return False, tags
            if name in _VOID:
                continue
            open_.push(name)
            if len(names) > depth_max:
                return False, tags
        elif kind == "end":
            if names and names[-1] == name:
                open_.pop()
                continue
            if name in _TABLE_ENDS:
                while names and names[-1] in _IMPLIED and names[-1] != name + " ":
                    open_.pop()
                if names and names[-1] in (name, name + " "):
                    open_.pop()
                    continue
                return False, tags
            if name in _CLOSED_THROUGH:
                found = last(name)
                if found >= 0 and last("#solid") <= found:
                    _pop_to(open_, found)
                    continue
            return False, tags
        elif kind == "raw":
            if html.find("<", start, end) >= 0:
                return False, tags
        elif kind == "cdata":
            return False, tags
    return True, tags


def _pop_to(open_: _Open, position: int) -> None:
    while len(open_.names) > position:
        open_.pop()


def _plain_table_part(open_: _Open, name: str) -> bool:
    """Add the rows and groups html5ever would add; False if the part is out of place."""
    names = open_.names
    parent = names[-1] if names else ""
    if parent == "colgroup " and name != "col":
        open_.pop()
        parent = names[-1] if names else ""
    if name in ("td", "th"):
        if parent == "table":
            open_.push("tbody ")
            parent = "tbody "
        if parent in ("tbody", "thead", "tfoot", "tbody "):
            open_.push("tr ")
            parent = "tr "
        return parent in ("tr", "tr ")
    if name == "tr":
        if parent == "table":
            open_.push("tbody ")
            parent = "tbody "
        return parent in ("tbody", "thead", "tfoot", "tbody ")
    if name == "col":
        if parent == "table":
            open_.push("colgroup ")
            parent = "colgroup "
        return parent in ("colgroup", "colgroup ")
    return parent == "table"


# Inside <svg> or <math>, these start tags end the foreign content; inside the integration
# points, HTML goes on as usual.
_BREAKOUT = _names(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img"
    " li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul"
    " var font"
)
_INTEGRATION = _names("foreignobject desc title mi mo mn ms mtext annotation-xml")
_DROP_SUBTREE = _names("svg math template object")


# Start tags before which html5ever re-opens formatting closed implicitly (allowlisted ones).
_REOPEN_BEFORE = _names("a abbr b big br cite code del em i img ins q s small span strike strong")
_REOPEN_BEFORE |= _names("sub sup u")
_REOPEN_MAX = 8  # formatting elements carried over at once


def _rebuild(html: str, tag_limit: int | None, what: str) -> str:
    """Write the HTML out again as html5ever would read it, but with only allowlisted tags,
    every end tag explicit, and elements nested deeper than HTML_DEPTH_MAX unwrapped.

    Formatting closed implicitly (<p><i>one<p>two) is re-opened before the next text, as
    html5ever does, but explicitly and within a budget: no more re-opened elements in all
    than the input has tags, plus 10,000."""
    out: list[str] = []
    emit = out.append
    open_ = _Open()
    names = open_.names
    last = open_.last
    start_tags: list[str] = []  # the source of each open element's start tag
    unwrapped: dict[int, list[str]] = {}  # position of an open element -> tags unwrapped in it
    outside_cell: dict[int, list] = {}  # position of an open cell -> formatting to carry after
    carried: list[tuple[str, str]] = []  # formatting closed implicitly, to re-open: (name, tag)
    budget = 10_000
    dropped: list | None = None  # [name, how many open, integration points open] of a subtree
    tags = 0

    def open_element(name: str, tag: str) -> None:
        nonlocal carried
        emit(tag)
        if name in ("td", "th", "caption"):  # formatting does not carry into or out of cells
            outside_cell[len(names)] = carried
            carried = []
        open_.push(name)
        start_tags.append(tag)

    def close_to(position: int) -> None:
        nonlocal carried
        closed: list[tuple[str, str]] = []
        while len(names) > position:
            top = len(names) - 1
            unwrapped.pop(top, None)
            tag = start_tags.pop()
            name = open_.pop()
            emit(f"</{name}>")
            if top in outside_cell:
                carried = outside_cell.pop(top)
                closed.clear()
            elif name in _FORMATTING and top > position:
                closed.append((name, tag))
        carried = (carried + closed[::-1])[-_REOPEN_MAX:]

    def reopen() -> None:
        nonlocal carried, budget
        if len(carried) <= budget and len(names) + len(carried) < HTML_DEPTH_MAX:
            budget -= len(carried)
            for name, tag in carried:
                emit(tag)
                open_.push(name)
                start_tags.append(tag)
        carried = []

    def uncarry(name: str) -> None:
        for index in range(len(carried) - 1, -1, -1):
            if carried[index][0] == name:
                del carried[index]
                return

    for kind, start, end, name in _tokens(html):
        if kind == "text":
            if dropped is None:
                if carried and not html[start:end].isspace():
                    reopen()
                emit(html[start:end].replace("<", "&lt;"))
            continue
        if kind == "start":
            tags += 1
            budget += 1
            if tag_limit is not None and tags > tag_limit:
                raise _too_much_markup(what)
            if dropped is not None:
                if dropped[0] in ("svg", "math") and not dropped[2] and name in _BREAKOUT:
                    dropped = None  # the parser leaves the foreign content here
                else:
                    if name == dropped[0]:
                        dropped[1] += 1
                    elif name in _INTEGRATION:
                        dropped[2] += 1
                    continue
            if name in _DROP_SUBTREE:
                if not (name in ("svg", "math") and html.endswith("/>", start, end)):
                    dropped = [name, 1, 0]
                continue
            if name == "li":
                found = last("li")
                if found > last("#listop"):
                    close_to(found)
            elif name == "dd" or name == "dt":
                found = last("#ddt")
                if found > last("#ddstop"):
                    close_to(found)
            if name in _CLOSES_P:
                found = last("p")
                if found > last("#bscope"):
                    close_to(found)
                if name in _HEADINGS and names and names[-1] in _HEADINGS:
                    close_to(len(names) - 1)
                if name == "table":
                    found = last("table")
                    if found > last("#cell"):
                        close_to(found)
            elif name == "a":
                found = last("a")
                if found > last("#marker"):
                    close_to(found)
                uncarry("a")
            if name in _TABLE_PARTS and not _place_table_part(open_, name, close_to, open_element):
                continue
            if name not in _TAGS:
                continue
            if carried and name in _REOPEN_BEFORE:
                reopen()
            if name in _VOID:
                emit(html[start:end])
            elif len(names) >= HTML_DEPTH_MAX:
                unwrapped.setdefault(len(names) - 1, []).append(name)
            else:
                open_element(name, html[start:end])
        elif kind == "end":
            if dropped is not None:
                if name == dropped[0]:
                    dropped[1] -= 1
                    if not dropped[1]:
                        dropped = None
                elif name in _INTEGRATION and dropped[2]:
                    dropped[2] -= 1
                continue
            inner = unwrapped.get(len(names) - 1)
            if inner and inner[-1] == name:
                inner.pop()
                continue
            if name == "br":
                if carried:
                    reopen()
                emit("<br>")
                continue
            if name == "p":
                found = last("p")
                if found > last("#bscope"):
                    close_to(found)
                else:
                    emit("<p></p>")
                continue
            if name in _HEADINGS:
                found, limit = last("#heading"), last("#scope")
            elif name == "li":
                found, limit = last("li"), last("#liscope")
            elif name in _TABLE_ENDS:
                found, limit = last(name), (-1 if name == "table" else last("table"))
            elif name in _FORMATTING:
                found, limit = last(name), last("#marker")
                if found <= limit:
                    uncarry(name)
            elif name in _SPECIAL:
                found, limit = last(name), last("#scope")
            else:
                found, limit = last(name), last("#special")
            if found > limit:
                close_to(found)
        elif kind == "raw":
            if dropped is not None or name in _DROP_CONTENT:
                continue
            raw = html[start:end]
            # <textarea> and <title> decode character references; the others show them as typed.
            emit(raw.replace("<", "&lt;") if name in ("textarea", "title") else escape(raw, False))
    close_to(0)
    return "".join(out)


def _place_table_part(open_: _Open, name: str, close_to, open_element) -> bool:
    """Close and open what html5ever would around a table part; False to leave it out."""
    last = open_.last
    table = last("table")
    if table < 0:
        return False  # outside a table the parser ignores it
    if name in ("td", "th", "tr"):
        cell = last("#tdth")
        if cell > table:
            close_to(cell)
    if name in ("td", "th"):
        row = last("tr")
        if row > table:
            close_to(row + 1)
        else:
            group = last("#rowgroup")
            if group > table:
                close_to(group + 1)
            else:
                close_to(table + 1)
                open_element("tbody", "<tbody>")
            open_element("tr", "<tr>")
    elif name == "tr":
        row = last("tr")
        if row > table:
            close_to(row)
        group = last("#rowgroup")
        if group > table:
            close_to(group + 1)
        else:
            close_to(table + 1)
            open_element("tbody", "<tbody>")
    elif name == "col":
        group = last("colgroup")
        if group > table:
            close_to(group + 1)
        else:
            close_to(table + 1)
            open_element("colgroup", "<colgroup>")
    else:
        close_to(table + 1)
    return True


# --- Plain text -----------------------------------------------------------------------------

# A scene break is either a line of 3+ mark characters (spaces allowed between them), e.g.
# "***", "* * *", "~*~", "<><><>", or an o/x ornament whose letters are one family (o/O/0 or
# x/X) with adjacent letters differing: bare and 3-9 long ("oOo", "XxX", "o0o"), or wrapped in
# marks on both sides ("-x-", "~o~", "-oOo-"). So "Oh.", "ooh", "xx", "OK", "Ooo", "xoxo" and
# "--" stay text.
_MARKS = r"~*\-_=#+<>.·•/\\"
_MARK_LINE = re.compile(rf"(?:[{_MARKS}]\s*){{3,}}")
_ORNAMENT = re.compile(rf"([{_MARKS}]*)([oO0]{{1,9}}|[xX]{{1,9}})([{_MARKS}]*)")


def is_scene_break(line: str) -> bool:
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


def text_to_html(text: str, *, max_length: int | None = BODY_MAX) -> str:
    """Plain text to HTML: blank lines split paragraphs, newlines become <br>, marks become <hr>.

    Raises TextFormatError if the HTML would be longer than max_length (None: no limit)."""
    return _text_to_html(text, max_length, "text")


def _text_to_html(text: str, max_length: int | None, what: str) -> str:
    # Written by hand: no converter library knows fan fiction scene-break conventions.
    blocks: list[str] = []
    paragraph: list[str] = []
    size = 0  # characters of text so far: the HTML is at least this long

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            flush()
        elif is_scene_break(line):
            flush()
            blocks.append("<hr>")
        else:
            paragraph.append(escape(line.rstrip(), quote=False))
            size += len(paragraph[-1])
            if max_length is not None and size > max_length:
                raise _too_long(what, max_length)
    flush()
    html = "\n".join(blocks)
    _check_length(html, max_length, what)
    return _check_length(_sanitize(html, tag_limit=HTML_TAGS_MAX, what=what), max_length, what)


def _check_length(html: str, max_length: int | None, what: str) -> str:
    if max_length is not None and len(html) > max_length:
        raise _too_long(what, max_length)
    return html


# --- Markdown -------------------------------------------------------------------------------

_MARKDOWN = (
    MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)
# markdown-it-py runs in linear time but slowly where markup is dense: "![" costs it ~60 µs,
# a list item ~80 µs, a line ~25 µs, "*" ~25 µs (bench/text_limits.py). So the Markdown is
# weighed before it is parsed, and refused above about two seconds' worth. A 500,000-character
# story weighs well under half of that.
_MARKDOWN_COSTS = {"\n": 28, "[": 40, "*": 28, "!": 25, "_": 15, "`": 15, "~": 15, "#": 22}
_MARKDOWN_COSTS |= {"|": 10, ". ": 35, ") ": 35} | dict.fromkeys(("\n- ", "\n* ", "\n+ "), 50)
_MARKDOWN_COSTS |= dict.fromkeys((" - ", " * ", " + "), 40)  # list items nested on one line
_MARKDOWN_COSTS |= dict.fromkeys("$%&+-:<=>@\\]^{}", 6)
_MARKDOWN_BUDGET = 2_000_000
# Block quotes and lists nested past markdown-it's limit (maxNesting) lose the rest of the
# text without a word, so deeper nesting is refused before it gets there.
_MARKDOWN_NESTING = _MARKDOWN.options["maxNesting"] - 2
# Table rows are padded to the header's width: up to 65,536 cells from one short table.
_MARKDOWN_TABLE_TOKENS = 150_000


def _nesting_guard(rule):
    def guarded(state, start_line: int, end_line: int, silent: bool) -> bool:
        if state.level >= _MARKDOWN_NESTING and rule(state, start_line, end_line, True):
            raise TextFormatError(
                "This Markdown nests block quotes or lists too deeply to convert (at most "
                f"{_MARKDOWN_NESTING} quotes or {_MARKDOWN_NESTING // 2} lists inside each other)."
            )
        return rule(state, start_line, end_line, silent)

    return guarded


def _table_guard(rule):
    def guarded(state, start_line: int, end_line: int, silent: bool) -> bool:
        before = len(state.tokens)
        found = rule(state, start_line, end_line, silent)
        if found and not silent:
            count = state.env.get("duster_table_tokens", 0) + len(state.tokens) - before
            state.env["duster_table_tokens"] = count
            if count > _MARKDOWN_TABLE_TOKENS:
                raise TextFormatError(
                    "This Markdown has tables too large to convert (over "
                    f"{_MARKDOWN_TABLE_TOKENS // 3:,} cells). Split them up."
                )
        return found

    return guarded


for _name, _guard in (("blockquote", _nesting_guard), ("list", _nesting_guard),
                      ("table", _table_guard)):  # fmt: skip
    _rule = next(rule for rule in _MARKDOWN.block.ruler.__rules__ if rule.name == _name)
    _MARKDOWN.block.ruler.at(_name, _guard(_rule.fn), {"alt": list(_rule.alt)})


def markdown_to_html(text: str, *, max_length: int | None = BODY_MAX) -> str:
    """CommonMark plus tables and ~~strikethrough~~; raw HTML is allowed, then sanitized.

    Raises TextFormatError for Markdown too dense or too deeply nested to convert quickly, or
    HTML longer than max_length (None: no limit)."""
    return _markdown_to_html(text, max_length, "text")


def _markdown_to_html(text: str, max_length: int | None, what: str) -> str:
    cost = sum(text.count(char) * weight for char, weight in _MARKDOWN_COSTS.items())
    if cost > _MARKDOWN_BUDGET:
        raise TextFormatError(
            f"This {what} has too much Markdown markup to convert: too many brackets, "
            "asterisks, underscores or line breaks. Split it into shorter chapters."
        )
    html = _MARKDOWN.render(text, {}).strip()
    return _check_length(_sanitize(html, tag_limit=HTML_TAGS_MAX, what=what), max_length, what)


# --- docx -----------------------------------------------------------------------------------

# Images are left out rather than read: the sanitizer would drop their data: URLs anyway.
_IMAGE_WITHOUT_DATA = mammoth.images.img_element(lambda image: {})
_NOT_DOCX = "This file is not a valid .docx document."


def docx_to_html(data: bytes, *, max_length: int | None = BODY_MAX) -> str:
    """Convert a Word .docx document's body to sanitized HTML.

    Raises TextFormatError for a file that is not a .docx, one too big unpacked (a zip bomb),
    or HTML longer than max_length (None: no limit)."""
    return _docx_to_html(data, max_length, "file")


def _docx_to_html(data: bytes, max_length: int | None, what: str) -> str:
    _check_file_size(data)
    _check_docx_parts(data)
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            convert_image=_IMAGE_WITHOUT_DATA,
            transform_document=lambda document: _check_docx_size(document, max_length, what),
        )
    except TextFormatError:
        raise
    except Exception as exc:  # a corrupt upload can fail in zip, XML or mammoth
        raise TextFormatError(_NOT_DOCX) from exc
    html = _sanitize(result.value, tag_limit=HTML_TAGS_MAX, what=what)
    return _check_length(html, max_length, what)


def _check_docx_parts(data: bytes) -> None:
    """Refuse a zip bomb before mammoth unpacks it: parts too big, packed too tightly or with
    too much XML, and XML with a DTD (entity expansion)."""
    if data.count(b"PK\x01\x02") > 5_000:  # central directory entries; a .docx has dozens
        raise TextFormatError(_NOT_DOCX)
    problem = None
    xml_tags = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if sum(part.file_size for part in parts) > DOCX_UNPACKED_MAX_BYTES:
                problem = f"unpacks to more than {DOCX_UNPACKED_MAX_BYTES // 2**20} MB"
            for part in parts:
                if problem:
                    break
                if part.file_size > 2**20 and part.file_size > DOCX_RATIO_MAX * part.compress_size:
                    problem = f"has a part packed over {DOCX_RATIO_MAX} times smaller than it is"
                elif part.filename.lower().endswith((".xml", ".rels")):
                    if part.file_size > DOCX_XML_MAX_BYTES:
                        problem = f"has a part over {DOCX_XML_MAX_BYTES // 2**20} MB unpacked"
                        break
                    xml = archive.read(part)
                    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml or b"\0" in xml:
                        raise TextFormatError(_NOT_DOCX)
                    xml_tags += xml.count(b"<")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
        raise TextFormatError(_NOT_DOCX) from exc
    except (NotImplementedError, UnicodeError) as exc:  # unknown compression, bad file names
        raise TextFormatError(_NOT_DOCX) from exc
    if problem:
        raise TextFormatError(f"This .docx {problem}: it looks like a zip bomb, not a document.")
    if xml_tags > DOCX_TAGS_MAX:
        raise TextFormatError(
            f"This .docx has too much markup to convert (more than {DOCX_TAGS_MAX:,} XML tags). "
            "Split it into shorter chapters."
        )


def _check_docx_size(document, max_length: int | None, what: str):
    """Refuse a document whose text is longer than max_length before mammoth writes its HTML,
    and one that copies a long string many times (a footnote, link or style name referred to
    over and over) whatever the limit."""
    notes: dict[tuple, tuple[int, int]] = {}

    def measure(nodes, in_note: bool) -> tuple[int, int]:
        text = other = 0
        pending = list(nodes)
        while pending:
            node = pending.pop()
            other += 8
            value = getattr(node, "value", None)
            if isinstance(value, str):
                text += len(value)
            for name in ("href", "anchor", "target_frame", "style_name", "alt_text", "name"):
                value = getattr(node, name, None)
                if isinstance(value, str):
                    other += len(value)
            if isinstance(node, mammoth.documents.NoteReference) and not in_note:
                key = (node.note_type, node.note_id)
                if key not in notes:
                    try:
                        note_body = document.notes.find_note(*key).body
                    except (AttributeError, KeyError):
                        note_body = []
                    notes[key] = measure(note_body, True)
                text += notes[key][0]
                other += notes[key][1]
            pending.extend(getattr(node, "children", None) or ())
        return text, other

    text, other = measure(document.children, False)
    if (max_length is not None and text > max_length) or text + other > 10 * BODY_MAX:
        raise _too_long(what, max_length or 10 * BODY_MAX)
    return document


# --- Dispatch -------------------------------------------------------------------------------


def to_html(text: str, fmt: str, *, max_length: int | None = BODY_MAX) -> str:
    """Convert typed-in text in one of FORMATS to sanitized HTML.

    Raises TextFormatError for an unknown format, input too pathological to convert quickly,
    or HTML longer than max_length characters (None: no limit)."""
    return _to_html(text, fmt, max_length, "text")


def _to_html(text: str, fmt: str, max_length: int | None, what: str) -> str:
    if fmt == "html":
        html = _sanitize(text, tag_limit=HTML_TAGS_MAX, what=what)
        return _check_length(html, max_length, what)
    if fmt == "markdown":
        return _markdown_to_html(text, max_length, what)
    if fmt == "text":
        return _text_to_html(text, max_length, what)
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


def file_to_html(
    filename: str, data: bytes, fmt: str = "auto", *, max_length: int | None = BODY_MAX
) -> str:
    """Convert an uploaded file to sanitized HTML; fmt "auto" goes by the file name.

    Raises TextFormatError for a file of the wrong type, over FILE_MAX_BYTES, not UTF-8 (text
    formats), without text, too pathological to convert quickly, or whose HTML is longer than
    max_length characters (None: no limit)."""
    return _convert_file(filename, data, fmt, max_length)[2]


def file_to_source(
    filename: str, data: bytes, fmt: str = "auto", *, max_length: int | None = BODY_MAX
) -> tuple[str, str]:
    """The text of an upload to keep as its source, and its format: for .txt, .md and .html
    the decoded text and "text", "markdown" or "html"; for .docx the sanitized HTML it converts
    to and "html". Refuses what file_to_html refuses (it converts the file to check)."""
    source, fmt, _html = _convert_file(filename, data, fmt, max_length)
    return source, fmt


def _convert_file(
    filename: str, data: bytes, fmt: str, max_length: int | None
) -> tuple[str, str, str]:
    if fmt == "auto":
        fmt = format_for_filename(filename)
    elif fmt not in (*FORMATS, "docx"):
        raise TextFormatError(
            f"Unknown text format '{fmt}': use auto, text, markdown, html or docx."
        )
    _check_file_size(data)
    if fmt == "docx":
        html = _docx_to_html(data, max_length, "file")
        source, fmt = html, "html"
    else:
        try:
            source = data.decode("utf-8-sig")  # -sig: drop a BOM left by Windows editors
        except UnicodeDecodeError as exc:
            raise TextFormatError("This file is not UTF-8 text.") from exc
        html = _to_html(source, fmt, max_length, "file")
    # Images alone count as content; markup with no text and no image does not.
    if "<img" not in html and not unescape(_ANY_TAG.sub("", html)).strip():
        raise TextFormatError("This file has no text.")
    return source, fmt, html


# Sanitized HTML has no "<" or ">" but in its tags (nh3 escapes them in text and attributes).
_ANY_TAG = re.compile(r"<[^>]*>")


def _check_file_size(data: bytes) -> None:
    if len(data) > FILE_MAX_BYTES:
        megabytes = FILE_MAX_BYTES // 2**20
        raise TextFormatError(
            f"This file is over {megabytes} MB: upload one of {megabytes} MB or less."
        )


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


# A whitespace-separated token with a letter or digit in it ([^\W_] is
# exactly str.isalnum), matched whole.
_WORD = re.compile(r"\S*[^\W_]\S*")


def word_count(html: str) -> int:
    """Words in an HTML body: each CJK character is a word, other text splits on whitespace."""
    text = _visible_text(html)
    cjk = len(_CJK.findall(text))
    # A token of punctuation alone ("—", "...", "*") is not a word.
    return cjk + len(_WORD.findall(_CJK.sub(" ", text)))
