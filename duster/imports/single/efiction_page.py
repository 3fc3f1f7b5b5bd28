"""A story page saved from an eFiction 3.x archive: the story view (viewstory.php) or the
printable view (viewstory.php?action=printable), as HTML or as text copied from a browser.

Skins differ between archives, so the page is read by the labels eFiction's templates print
("Summary:", "Story Notes:", "Author's Chapter Notes:", "Chapter End Notes:"...) and by the
markup eFiction's PHP writes whatever the skin: the story text of the story view is wrapped
in a `<span style="font-size: N%">`, each chapter of the printable view starts with an
`<a name="N">` anchor, authors link to viewuser.php. Site chrome (menus, "Report This",
"[Reviews - N]", review forms, footers) is never story text.
"""

import re
from html import escape

import lxml.html

from duster.imports.single.common import (
    drop_chrome,
    has_text,
    inner_html,
    nodes_html,
    parse_date,
    parse_html,
    split_list,
    squash,
    text_of,
)
from duster.imports.single.model import ImportedChapter, ImportedWork
from duster.lib.text import BODY_MAX, TextFormatError, is_scene_break, text_to_html

NOT_A_STORY = (
    "This page is not a story saved from an eFiction archive: no story text was found in it."
)

# The labels of eFiction's templates (and of the German skins shipped with it), lowercased,
# without their colon.
NOTE_LABELS = {
    "story notes": "story_notes",
    "story bemerkung": "story_notes",
    "author's chapter notes": "notes",
    "author's notes": "notes",
    "chapter notes": "notes",
    "kapitel bemerkung": "notes",
    "chapter end notes": "end_notes",
    "end notes": "end_notes",
    "kapitel abschlussbemerkung": "end_notes",
}
INFO_LABELS = {
    "summary": "summary",
    "rated": "rating",
    "rating": "rating",
    "categories": "categories",
    "category": "categories",
    "characters": "characters",
    "genre": "genres",
    "genres": "genres",
    "warnings": "warnings",
    "warning": "warnings",
    "series": "series",
    "challenges": "challenges",
    "chapters": "chapters",
    "completed": "completed",
    "word count": "words",
    "read": "read",
    "published": "published",
    "updated": "updated",
}
# At most this many labels (and author links) are looked at: a page has a few dozen, and
# each costs a walk up the tree.
_LABELS_MAX = 300
# Labels only a story's own info block prints (a skin's "featured story" box has the others).
_STORY_ONLY = {"characters", "chapters", "completed", "words", "read", "published", "updated"}


def _label(text: str | None) -> str | None:
    """The key of a label ("Story Notes:" -> "story notes"), or None."""
    words = squash(text).replace("\u2019", "'")
    if not words.endswith(":") or len(words) > 40:
        return None
    key = words[:-1].strip().casefold()
    return key if key in NOTE_LABELS or key in INFO_LABELS else None


# --- Detection --------------------------------------------------------------------------------

_HTML_MARKS = (
    r"viewstory\.php\?", r"viewuser\.php\?uid=", r"reviews\.php\?", r"Report This",
    r"Story Notes:", r"Author(?:'|&#0?39;|’)s (?:Chapter )?Notes:", r"End Notes:",
    r"Word count:", r"Completed:", r"This story archived at", r"Back to index",
    r"font-size: ?-?\d+%", r"You must .{0,200}to review\.",
)  # fmt: skip
_TEXT_MARKS = (
    r"^\s*\[\s*Reviews\s*-\s*\d+\s*\]", r"Report This\]?\s*$", r"^\s*-?\s*Text Size\s*\+?\s*$",
    r"^\s*You must login \(register\) to review\.", r"^\s*This story archived at",
    r"^\s*Back to index\s*$", r"^\s*Story Notes:", r"^\s*Author's (?:Chapter )?Notes:",
    r"^\s*(?:Chapter )?End Notes:", r"^\s*Word count:", r"^\s*Completed:", r"^\s*Summary:",
    r"^\s*Chapters:\s*\d+",
)  # fmt: skip


def looks_like_html_page(markup: str) -> bool:
    sample = markup[:2_000_000]
    hits = sum(1 for mark in _HTML_MARKS if re.search(mark, sample, re.I))
    linked = re.search(r"viewstory\.php|viewuser\.php|This story archived at", sample, re.I)
    return hits >= 3 and bool(linked)


def looks_like_text_page(text: str) -> bool:
    sample = text[:2_000_000].replace("\u2019", "'")
    hits = sum(1 for mark in _TEXT_MARKS if re.search(mark, sample, re.M | re.I))
    return hits >= 3


# --- HTML -------------------------------------------------------------------------------------


def read_html(markup: str) -> ImportedWork:
    root = parse_html(markup)
    chapter_title = _selected_chapter(root)
    drop_chrome(root)
    work = ImportedWork(source="efiction")
    work.title, author = _title_and_author(root)
    labels = _label_elements(root)
    info = _info(labels)
    summary = info.pop("summary", "").strip()
    _apply_info(work, {key: _plain(value) for key, value in info.items()}, summary)

    anchors = [a for a in root.iter("a") if re.fullmatch(r"\d+", a.get("name", "").strip())]
    story = _story_element(root)
    if story is None and anchors:
        work.chapters = _printable_chapters(anchors, author)
        for element, key in labels:
            if NOTE_LABELS.get(key) == "story_notes":
                work.notes = _note_content(element)
    else:
        if story is None:
            story = _densest(root, [e for e, _k in labels])
        if story is None:
            raise TextFormatError(NOT_A_STORY)
        chapter = ImportedChapter(title=chapter_title, body=inner_html(story))
        for element, key in labels:
            kind = NOTE_LABELS.get(key)
            if kind is None or _inside(element, story):
                continue
            content = _note_content(element)
            if kind == "story_notes":
                work.notes = content
            elif kind == "notes":
                chapter.notes = content
            else:
                chapter.end_notes = content
        work.chapters = [chapter]
    for chapter in work.chapters:
        chapter.body = paragraphs_from_breaks(chapter.body)
    work.chapters = [c for c in work.chapters if has_text(c.body)]
    if not work.chapters:
        raise TextFormatError(NOT_A_STORY)
    return work


# Possessive: a long run of spaces costs one pass.
_DOUBLE_BREAK = re.compile(r"<br\s*+/?>(?:\s*+<br\s*+/?>)++", re.I)


def paragraphs_from_breaks(body: str) -> str:
    """Text eFiction showed with its line breaks turned into <br /> (a chapter typed as
    plain text, or "<br /><br />" between paragraphs) as paragraphs, a scene-break line
    ("~~~", "* * *") as <hr>. HTML with paragraphs of its own is left as it is."""
    if re.search(r"<(?:p|div|blockquote|table|ul|ol)[\s>]", body, re.I) or not _DOUBLE_BREAK.search(
        body
    ):
        return body
    blocks = []
    for chunk in _DOUBLE_BREAK.split(body):
        chunk = chunk.strip()
        if not chunk:
            continue
        plain = re.sub(r"<[^>]*>", "", chunk)
        blocks.append("<hr>" if is_scene_break(plain) else f"<p>{chunk}</p>")
    return "\n".join(blocks)


def _selected_chapter(root) -> str:
    """The chapter's title, from the story view's chapter menu ("2. The Storm")."""
    for select in root.iter("select"):
        if select.get("name") != "chapter":
            continue
        for option in select.iter("option"):
            if option.get("selected") is not None:
                return re.sub(r"^\d+\.\s*", "", text_of(option))
    return ""


def _title_and_author(root) -> tuple[str, str]:
    """'{title} by {author}': the page title eFiction's templates print, the author a link
    to viewuser.php ("von" in the German skins)."""
    links = (a for a in root.iter("a") if "viewuser.php" in (a.get("href") or ""))
    for _number, link in zip(range(_LABELS_MAX), links, strict=False):
        author = text_of(link)
        parent = link.getparent()
        if not author or parent is None:
            continue
        match = re.fullmatch(rf"(.+?)\s+(?:by|von)\s+{re.escape(author)}.*", text_of(parent))
        if match and len(match.group(1)) <= 255 and not _label(match.group(1) + ":"):
            heading = text_of(parent)
            if heading.count(" by ") <= 2 and "|" not in heading:
                return match.group(1), author
    return "", ""


def _label_elements(root) -> list[tuple[object, str]]:
    """(the outermost element holding just the label, its key) in document order; the first
    _LABELS_MAX of them (a page has a few dozen)."""
    found: list[tuple[object, str]] = []
    for element in root.iter():
        if len(found) >= _LABELS_MAX:
            break
        if not isinstance(element.tag, str):
            continue
        key = _label(element.text)
        if key is None or not _holds_only_its_text(element):
            continue
        outer = element
        parent = outer.getparent()
        # Up through elements that hold nothing else ("<div class='title'><span>...").
        while (
            parent is not None
            and outer.getprevious() is None
            and outer.getnext() is None
            and not (parent.text or "").strip()
            and not (outer.tail or "").strip()
        ):
            outer, parent = parent, parent.getparent()
        found.append((outer, key))
    return found


def _holds_only_its_text(element) -> bool:
    """True when no text follows the element's own first text inside it."""
    for number, chunk in enumerate(element.itertext()):
        if number and chunk.strip():
            return False
        if number > 20:
            return False
    return True


def _inside(element, container) -> bool:
    return any(ancestor is container for ancestor in element.iterancestors())


def _note_content(label) -> str:
    """The notes a label introduces: what follows it in its element, else the next element."""
    nodes = list(label.itersiblings())
    lead = label.tail or ""
    if len(nodes) == 1 and nodes[0].tag == "div" and not (lead + (nodes[0].tail or "")).strip():
        return inner_html(nodes[0])  # the templates' <div class='noteinfo'>
    html = nodes_html(nodes, lead)
    if has_text(html):
        return html
    parent = label.getparent()
    following = parent.getnext() if parent is not None else None
    return inner_html(following) if following is not None else ""


def _info(labels) -> dict[str, str]:
    """The story's info block: each label's value runs to the next label or line break."""
    story_only = [e for e, key in labels if INFO_LABELS.get(key) in _STORY_ONLY]
    if not story_only:
        return {}
    block = story_only[0].getparent()
    while block is not None and not any(
        INFO_LABELS.get(k) == "summary" and _inside(e, block) for e, k in labels
    ):
        if block.tag == "body":
            block = story_only[0].getparent()
            break
        block = block.getparent()
    values: dict[str, str] = {}
    for element, key in labels:
        name = INFO_LABELS.get(key)
        if name is None or block is None or not _inside(element, block) or name in values:
            continue
        nodes = []
        for sibling in element.itersiblings():
            if sibling.tag == "br" or any(_label(e.text) for e in sibling.iter()):
                break
            nodes.append(sibling)
        values[name] = nodes_html(nodes, element.tail or "")
    return values


def _plain(html: str) -> str:
    if not html:
        return ""
    return text_of(lxml.html.fragment_fromstring(html, create_parent="div"))


def _apply_info(work: ImportedWork, info: dict[str, str], summary: str) -> None:
    """Fill the work from the info block's plain-text values (the summary is HTML)."""
    work.summary = summary
    work.rating = info.get("rating", "")
    for category in split_list(info.get("categories", "")):
        fandom = category.split(" > ")[0].strip()
        if fandom.casefold() != "orphan" and fandom not in work.fandoms:
            work.fandoms.append(fandom)
    work.characters = split_list(info.get("characters", ""))
    work.freeforms = split_list(info.get("genres", ""))
    work.warnings = split_list(info.get("warnings", ""))
    completed = info.get("completed", "").casefold()
    if completed:
        work.complete = completed in ("yes", "ja", "oui")
    chapters = re.match(r"\d+", info.get("chapters", ""))
    if chapters and work.complete:
        work.expected_chapters = int(chapters.group())
    work.published = parse_date(info.get("published", ""))
    work.updated = parse_date(info.get("updated", ""))


def _story_element(root):
    """The story view's text: eFiction's PHP wraps it in a font-size span, whatever the skin."""
    spans = [
        span
        for span in root.iter("span")
        if re.match(r"\s*font-size:\s*-?\d+%", span.get("style") or "")
    ]
    return max(spans, key=lambda s: len(text_of(s)), default=None)


def _densest(root, labels):
    """The element with the most text in paragraphs of its own (a last resort)."""
    holding_labels = set()
    for label in labels:
        holding_labels.add(label)
        holding_labels.update(label.iterancestors())
    best, best_size = None, 0
    for element in root.iter("div", "td", "section", "article", "main", "span", "blockquote"):
        if element in holding_labels:
            continue
        size = len(element.text or "") + sum(
            len(text_of(child)) + len(child.tail or "")
            for child in element
            if child.tag in ("p", "br", "i", "em", "b", "strong", "u", "center", "blockquote")
        )
        if size > best_size:
            best, best_size = element, size
    return best


def _printable_chapters(anchors, author: str) -> list[ImportedChapter]:
    """The printable view: each chapter's heading holds an <a name="N"> anchor, then come
    its notes, its text, its end notes and a "Back to index" link."""
    headings = []
    seen = set()
    for anchor in anchors:
        heading = anchor.getparent()
        while heading is not None and heading.getparent() is not None and not text_of(heading):
            heading = heading.getparent()
        if heading is not None and heading not in seen:
            seen.add(heading)
            headings.append(heading)
    chapters = []
    for number, heading in enumerate(headings):
        following = headings[number + 1] if number + 1 < len(headings) else None
        title = text_of(heading)
        title = re.sub(r"\s+by\s+[^,]{1,100}$", "", title) if " by " in title else title
        chapter = ImportedChapter(title=title)
        body: list[str] = [heading.tail or ""]
        for sibling in heading.itersiblings():
            if sibling is following:
                break
            labels = [(e, k) for e, k in _label_elements(sibling) if k in NOTE_LABELS]
            words = text_of(sibling)
            if labels:
                element, key = labels[0]
                if NOTE_LABELS[key] == "end_notes":
                    chapter.end_notes = _note_content(element)
                elif NOTE_LABELS[key] == "notes":
                    chapter.notes = _note_content(element)
            elif words == "Back to index" or words.startswith("This story archived at"):
                break  # nothing of the chapter follows its link back to the index
            elif not words and next(sibling.iter("img"), None) is None:
                pass
            elif sibling.tag in ("div", "span", "td", "section", "article"):
                body.append(inner_html(sibling))
            else:
                body.append(lxml.html.tostring(sibling, encoding="unicode"))
            if sibling.tail and sibling.tail.strip():
                body.append(sibling.tail)
        chapter.body = "".join(body).strip()
        chapters.append(chapter)
    return chapters


# --- Copied text ------------------------------------------------------------------------------

# Lines of site chrome: they are dropped wherever they are.
_CHROME_LINE = re.compile(
    r"\[?\s*Reviews\s*-\s*\d+\s*\]?|(?:Table of Contents\s*)?\[?Report This\]?|"
    r"Table of Contents|-?\s*Text Size\s*\+?|(?:Printer\s*)?(?:Chapter\s+or\s+Story)?|"
    r"\[?Add Story to Favorites\]?.*|\[?Add Author to Favorites\]?.*",
    re.I,
)
# Lines after which nothing of the chapter follows: navigation, reviews, the footer.
_END_LINE = re.compile(
    r"Previous|Next|Previous\s+Next|Options|Submit a Review|Back to index|"
    r"You must login \(register\) to review\.|This story archived at.*|"
    r"Reviews? (?:for|of) .*|Skin created by .*",
    re.I,
)
_INFO_SPLIT = re.compile(
    r"(?:^|\s)("
    + "|".join(re.escape(k) for k in sorted(INFO_LABELS, key=len, reverse=True))
    + r")\s*:",
    re.I,
)


def _text_label(line: str) -> tuple[str, str] | None:
    """(key, the rest of the line) for a line starting with a notes label."""
    clean = line.replace("\u2019", "'").strip()
    for key in sorted(NOTE_LABELS, key=len, reverse=True):
        if clean.casefold().startswith(key + ":"):
            return key, clean[len(key) + 1 :].strip()
    return None


def _info_pairs(line: str) -> list[tuple[str, str]] | None:
    """("chapters", "3"), ("completed", "Yes") from "Chapters: 3 Completed: Yes"."""
    clean = squash(line)
    matches = list(_INFO_SPLIT.finditer(clean))
    if not matches or matches[0].start() != 0:
        return None
    pairs = []
    for number, match in enumerate(matches):
        end = matches[number + 1].start() if number + 1 < len(matches) else len(clean)
        pairs.append((match.group(1).casefold(), clean[match.end() : end].strip()))
    return pairs


def read_text(text: str) -> ImportedWork:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    work = ImportedWork(source="efiction")
    start = _find_title(lines, work)
    info: dict[str, str] = {}
    toc: list[str] = []
    toc_start = None
    position = start
    # The header: info lines, chrome, the story notes and the table of contents.
    story_notes: list[str] | None = None
    while position < len(lines):
        line = lines[position].strip()
        pairs = _info_pairs(line) if line else None
        label = _text_label(line) if line else None
        if not line or _CHROME_LINE.fullmatch(line):
            position += 1
        elif pairs and not label:
            for key, value in pairs:
                info.setdefault(INFO_LABELS[key], value)
            position += 1
        elif label and NOTE_LABELS[label[0]] == "story_notes":
            story_notes, position = _notes(lines, position, label[1])
        elif re.fullmatch(r"\d+\.\s+.+", line) and (toc or story_notes is not None or info):
            toc_start = position if toc_start is None else toc_start
            toc.append(re.sub(r"^\d+\.\s+", "", line))
            position += 1
        else:
            break
    summary = info.pop("summary", "")
    _apply_info(work, info, f"<p>{escape(summary)}</p>" if summary else "")
    if story_notes:
        work.notes = _as_html(story_notes)
    rest = [line.strip() for line in lines[position:]]
    if toc and toc[0] in rest:
        work.chapters = _text_chapters(lines, position, toc)
    else:
        if toc_start is not None:
            position = toc_start
        chapter, _ = _text_chapter(lines, position, stop_at=None)
        work.chapters = [chapter]
    work.chapters = [c for c in work.chapters if has_text(c.body)]
    if not work.chapters:
        raise TextFormatError(NOT_A_STORY)
    return work


def _find_title(lines: list[str], work: ImportedWork) -> int:
    """The line "Title by Author" shortly followed by eFiction's labels or chrome; the lines
    before it (menus, skin headers) are dropped."""
    for number, line in enumerate(lines[:400]):
        match = re.fullmatch(r"\s*(.{1,255}?)\s+(?:by|von)\s+(.{1,100}?)\s*", line)
        if not match or "|" in line:
            continue
        after = [item.strip() for item in lines[number + 1 : number + 8] if item.strip()]
        if any(
            _CHROME_LINE.fullmatch(item) or _info_pairs(item) or _text_label(item)
            for item in after[:3]
        ):
            work.title = match.group(1)
            return number + 1
    return 0


def _notes(lines: list[str], position: int, rest: str) -> tuple[list[str], int]:
    """The lines of notes starting after the label at `position`: paragraphs separated by
    blank lines, ended by a single line break (where the chapter text begins), a label or
    chrome."""
    notes: list[str] = [rest] if rest else []
    position += 1
    while position < len(lines):
        line = lines[position].strip()
        if line and (_text_label(line) or _END_LINE.fullmatch(line)):
            break
        position += 1
        if not line:
            notes.append("")
            continue
        if _CHROME_LINE.fullmatch(line):
            continue
        notes.append(line)
        if position < len(lines) and lines[position].strip():
            break  # a single line break: the chapter text begins
    while notes and not notes[-1]:
        notes.pop()
    while notes and not notes[0]:
        notes.pop(0)
    return notes, position


def _text_chapter(lines, position, stop_at: str | None) -> tuple[ImportedChapter, int]:
    chapter = ImportedChapter()
    body: list[str] = []
    while position < len(lines):
        line = lines[position].strip()
        if stop_at is not None and line == stop_at:
            break
        label = _text_label(line) if line else None
        if label and NOTE_LABELS[label[0]] == "notes" and not any(b.strip() for b in body):
            notes, position = _notes(lines, position, label[1])
            chapter.notes = _as_html(notes)
            continue
        if label and NOTE_LABELS[label[0]] == "end_notes":
            notes, position = _notes(lines, position, label[1])
            chapter.end_notes = _as_html(notes)
            position = _skip_to(lines, position, stop_at)
            break
        if line and _END_LINE.fullmatch(line):
            position = _skip_to(lines, position, stop_at)
            break
        if line and _CHROME_LINE.fullmatch(line) and not any(b.strip() for b in body):
            position += 1
            continue
        body.append(lines[position])
        position += 1
    chapter.body = text_to_html("\n".join(body).strip("\n"), max_length=BODY_MAX)
    return chapter, position


def _skip_to(lines, position, stop_at) -> int:
    if stop_at is None:
        return len(lines)
    while position < len(lines) and lines[position].strip() != stop_at:
        position += 1
    return position


def _text_chapters(lines, position, headings) -> list[ImportedChapter]:
    chapters = []
    for number, heading in enumerate(headings):
        while position < len(lines) and lines[position].strip() != heading:
            position += 1
        if position >= len(lines):
            break
        following = headings[number + 1] if number + 1 < len(headings) else None
        chapter, position = _text_chapter(lines, position + 1, following)
        chapter.title = re.sub(r"\s+by\s+[^,]{1,100}$", "", heading)
        chapters.append(chapter)
    return chapters


def _as_html(lines: list[str]) -> str:
    return text_to_html("\n".join(lines), max_length=BODY_MAX) if lines else ""
