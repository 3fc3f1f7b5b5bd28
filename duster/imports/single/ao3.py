"""An AO3 download (HTML, or the documents of an AO3 or Duster EPUB): a preface with the
work's tags in a definition list, its title, byline, summary and notes; the chapters, each
with a heading, notes, text and end notes; an afterword with the work's end notes.

Sections are found by the labels those formats print ("Rating:", "Fandom:", "Summary",
"Chapter Notes", "End Notes"...), so AO3's files and Duster's own EPUBs read the same way.
"""

import copy
import re

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
from duster.lib.text import TextFormatError

NOT_A_WORK = "This file is not an AO3 download: no chapter text was found in it."

# dt labels of the tag list, singular or plural, lowercased without the colon.
_META = {
    "rating": "rating",
    "ratings": "rating",
    "archive warning": "warnings",
    "archive warnings": "warnings",
    "category": "categories",
    "categories": "categories",
    "fandom": "fandoms",
    "fandoms": "fandoms",
    "relationship": "relationships",
    "relationships": "relationships",
    "character": "characters",
    "characters": "characters",
    "additional tags": "freeforms",
    "additional tag": "freeforms",
    "language": "language",
    "stats": "stats",
    "published": "published",
    "updated": "updated",
    "completed": "completed",
    "chapters": "chapters",
}
# Headings of the summary and notes sections.
_SECTIONS = {
    "summary": "summary",
    "chapter summary": "summary",
    "notes": "notes",
    "chapter notes": "notes",
    "end notes": "end_notes",
    "chapter end notes": "end_notes",
}
_LABEL_TAGS = ("p", "h2", "h3", "h4", "h5", "b", "strong", "dt")


def looks_like_ao3(markup: str) -> bool:
    sample = markup[:2_000_000]
    return bool(
        re.search(r"id=[\"']preface[\"']", sample)
        and re.search(r"id=[\"']chapters[\"']", sample)
        and re.search(r"<dl[^>]{0,200}class=[\"'][^\"'>]{0,100}tags", sample)
    ) or ("Archive of Our Own" in sample and bool(re.search(r"id=[\"']chapters[\"']", sample)))


def read_html(markup: str) -> ImportedWork:
    root = parse_html(markup)
    drop_chrome(root)
    body = root.find("body") if root.find("body") is not None else root
    preface = _by_id(body, "preface")
    chapters = _by_id(body, "chapters")
    afterword = _by_id(body, "afterword")
    if chapters is None:
        raise TextFormatError(NOT_A_WORK)
    work = ImportedWork(source="ao3")
    if preface is not None:
        read_preface(work, preface)
    if not work.title:
        title = root.find(".//title")
        work.title = re.sub(r"\s+-\s+.*$", "", text_of(title)) if title is not None else ""
    work.chapters = [read_chapter(part) for part in _chapter_parts(chapters)]
    if afterword is not None:
        work.end_notes = _sections(afterword).get("end_notes", "")
    return finish(work, NOT_A_WORK)


def finish(work: ImportedWork, empty_message: str) -> ImportedWork:
    work.chapters = [c for c in work.chapters if has_text(c.body)]
    if not work.chapters:
        raise TextFormatError(empty_message)
    if work.expected_chapters is not None and work.expected_chapters < len(work.chapters):
        work.expected_chapters = None
    return work


def _by_id(root, name: str):
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id") == name:
            return element
    return None


def read_preface(work: ImportedWork, preface) -> None:
    """Tags and dates from the definition list; title, summary and notes after it."""
    for dl in preface.iter("dl"):
        for dt in dl.iter("dt"):
            key = _META.get(squash(dt.text_content()).rstrip(":").strip().casefold())
            dd = dt.getnext()
            if key is None or dd is None or dd.tag != "dd":
                continue
            _meta(work, key, dd)
    heading = next(iter(preface.iter("h1")), None)
    if heading is not None:
        work.title = text_of(heading)
    sections = _sections(preface)
    work.summary = sections.get("summary", "")
    work.notes = sections.get("notes", "")
    work.end_notes = sections.get("end_notes", "")


def _meta(work: ImportedWork, key: str, dd) -> None:
    links = [text_of(a) for a in dd.iter("a") if text_of(a)]
    names = links or split_list(text_of(dd))
    if key == "rating":
        work.rating = names[0] if names else ""
    elif key in ("warnings", "categories", "fandoms", "relationships", "characters"):
        setattr(work, key, names)
    elif key == "freeforms":
        work.freeforms = names
    elif key == "language":
        work.language = text_of(dd)
    elif key == "stats":
        _stats(work, text_of(dd)[:500])
    else:
        _stats(work, f"{key}: {text_of(dd)[:100]}")


def _stats(work: ImportedWork, stats: str) -> None:
    """ "Published: 2020-01-02 Updated: 2020-03-04 Words: 1234 Chapters: 2/?"."""
    for label, value in re.findall(r"(\w+):\s*([^\s:]+(?:\s[^\s:]+)*?)(?=\s+\w+:|$)", stats):
        label = label.casefold()
        if label == "published":
            work.published = parse_date(value)
        elif label in ("updated", "completed"):
            work.updated = parse_date(value) or work.updated
            if label == "completed":
                work.complete = True
        elif label == "chapters":
            match = re.fullmatch(r"(\d+)\s*/\s*(\d+|\?)", value.strip())
            if match:
                expected = match.group(2)
                work.expected_chapters = int(expected) if expected.isdigit() else None
                work.complete = expected.isdigit() and int(expected) == int(match.group(1))


def _section_key(element) -> str | None:
    if element.tag not in _LABEL_TAGS or element.getparent() is None:
        return None
    words = text_of(element).rstrip(":").casefold()
    return _SECTIONS.get(words) if len(words) < 30 else None


def _sections(container) -> dict[str, str]:
    """Each labelled section's HTML: what follows its label up to the next label (an
    AO3 "(See the end of the work for more notes.)" line is left out)."""
    found: dict[str, str] = {}
    for element in list(container.iter(*_LABEL_TAGS)):
        key = _section_key(element)
        if key is None or key in found:
            continue
        nodes = []
        for sibling in element.itersiblings():
            if not isinstance(sibling.tag, str):
                continue
            if _section_key(sibling) or any(_section_key(e) for e in sibling.iter(*_LABEL_TAGS)):
                break
            if _is_body(sibling) or (
                sibling.tag in ("h1", "h2", "h3") and _is_chapter_heading(sibling)
            ):
                break
            if re.match(r"\(See the (?:end|beginning) of", text_of(sibling)):
                continue
            nodes.append(sibling)
        parts = [inner_html(n) if n.tag == "blockquote" else _html(n) for n in nodes]
        lead = element.tail or ""
        html = (lead.strip() and nodes_html([], lead)) + "".join(parts)
        if has_text(html):
            found[key] = html.strip()
    return found


def _html(element) -> str:
    return lxml.html.tostring(element, encoding="unicode", with_tail=False)


def _chapter_parts(chapters) -> list:
    """One element per chapter: AO3's HTML has them all in #chapters, each starting with a
    heading ("Chapter 1: Title"); a one-chapter work has no heading."""
    headings = [h for h in chapters.iter("h2", "h3") if _is_chapter_heading(h)]
    if len(headings) <= 1:
        return [chapters]
    # Group the top-level children of #chapters by the heading they hold or follow.
    tops = set()
    for heading in headings:
        top = heading
        while top.getparent() is not None and top.getparent() is not chapters:
            top = top.getparent()
        tops.add(top)
    parts: list = []
    for child in list(chapters):
        if not isinstance(child.tag, str):
            continue
        starts = child in tops
        if starts or not parts:
            parts.append(lxml.html.Element("div"))
        parts[-1].append(copy.deepcopy(child))
    return parts


def _within(element, container) -> bool:
    return any(a is container for a in element.iterancestors())


def _is_chapter_heading(element) -> bool:
    classes = element.get("class") or ""
    return bool(
        re.search(r"\b(?:heading|toc-heading|chapter-title|title)\b", classes)
        or re.match(r"Chapter\s+\d+", text_of(element))
    )


def read_chapter(part) -> ImportedChapter:
    chapter = ImportedChapter()
    heading = next((h for h in part.iter("h1", "h2", "h3") if _is_chapter_heading(h)), None)
    if heading is not None:
        chapter.title = chapter_title(text_of(heading))
    body = _body_element(part)
    sections: dict[str, str] = {}
    for element in list(part.iter(*_LABEL_TAGS)):
        key = _section_key(element)
        if key is None or (body is not None and _within(element, body)):
            continue
        after_body = body is not None and _follows(element, body)
        key_here = "end_notes" if after_body and key == "notes" else key
        if key_here not in sections:  # the first of each (a file could repeat them endlessly)
            sections[key_here] = _sections(element.getparent()).get(key, "")
    chapter.summary = sections.get("summary", "")
    chapter.notes = sections.get("notes", "")
    chapter.end_notes = sections.get("end_notes", "")
    if body is not None:
        chapter.body = inner_html(body)
    else:
        rest = copy.deepcopy(part)
        for element in list(rest.iter()):
            if not isinstance(element.tag, str) or element.getparent() is None:
                continue
            if element.tag in ("h1", "h2", "h3") and _is_chapter_heading(element):
                element.drop_tree()
            elif _section_key(element):
                for sibling in list(element.itersiblings()):
                    sibling.drop_tree()
                element.drop_tree()
        chapter.body = inner_html(rest)
    return chapter


def chapter_title(heading: str) -> str:
    """ "Chapter 2: The Storm" -> "The Storm"; "Chapter 2" -> ""."""
    return re.sub(r"^Chapter\s+\d+\s*(?::\s*|$)", "", heading).strip()


def _is_body(element) -> bool:
    classes = (element.get("class") or "").split()
    return (
        element.tag == "div"
        and ("userstuff" in classes or "text" in classes)
        and element.get("id") != "chapters"
    )


def _body_element(part):
    """The chapter text: AO3's div.userstuff that is not a notes blockquote, Duster's div.text."""
    for element in part.iter("div"):
        in_meta = any("meta" in (a.get("class") or "") for a in element.iterancestors())
        if _is_body(element) and element is not part and not in_meta:
            return element
    return None


def _follows(element, body) -> bool:
    """True when `element` comes after `body` in document order."""
    for following in body.itersiblings():
        if following is element or _within(element, following):
            return True
    for ancestor in body.iterancestors():
        for following in ancestor.itersiblings():
            if following is element or _within(element, following):
                return True
    return False
