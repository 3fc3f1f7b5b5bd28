"""Snippets: a few words of a work around the first match, matches marked.

The text is read as written (not folded), its words folded one by one to
find the query's words; everything but the <mark> tags is escaped. In a
text of plain ASCII (most of them), one regular expression finds where the
first match can start, and only the words from a little before it are
folded: a work's body is not walked word by word in Python.
"""

import re
from collections import deque
from itertools import islice

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from duster.search.text.fold import WORD_MAX, word_spans
from duster.search.text.query import TextQuery

BEFORE = 10  # words before the first match
AFTER = 20  # words from the first match on
# A snippet looks this far into a work's text, no further: a long work whose
# only match is deeper shows its summary (or no snippet) instead.
SCAN_MAX = 200_000
# Words of plain ASCII text, as fold.words splits it ("_" parts words).
_ASCII_WORD = re.compile("[A-Za-z0-9]+")
_ASCII_FOLDED = re.compile("[a-z0-9]+")
# How far back from a match the words before it are looked for at first.
_LOOK_BACK = 1_000


def snippet(query: TextQuery, summary: str, body: str) -> SafeString | None:
    """From the chapter text if a term matches there, else from the summary."""
    for field, text in (("body", body[:SCAN_MAX]), ("summary", summary)):
        phrases = [
            term.words for term in query.terms if not term.negated and term.field in (None, field)
        ]
        if phrases:
            found = _excerpt(text, phrases)
            if found:
                return found
    return None


def _excerpt(text: str, phrases: list[tuple[str, ...]]) -> SafeString | None:
    begin = _scan_from(text, phrases)
    return None if begin is None else _excerpt_from(text, phrases, begin)


def _scan_from(text: str, phrases: list[tuple[str, ...]]) -> int | None:
    """Where the word-by-word scan may begin and still find the same first
    match with its BEFORE words: the start of a word, or 0. None when the
    text holds none of the phrases. Without a shortcut (text or phrase words
    beyond plain ASCII letters and digits, or a word long enough to be cut),
    0: the whole text is scanned."""
    if not text.isascii():
        return 0
    # A phrase with a word beyond ASCII can't be in an ASCII text.
    phrases = [p for p in phrases if all(w.isascii() for w in p)]
    if not phrases:
        return None
    if not all(_ASCII_FOLDED.fullmatch(w) and len(w) < WORD_MAX for p in phrases for w in p):
        return 0
    either = "|".join("[^A-Za-z0-9]+".join(map(re.escape, phrase)) for phrase in phrases)
    first = re.search(f"(?<![A-Za-z0-9])(?:{either})(?![A-Za-z0-9])", text, re.I | re.A)
    if first is None:
        return None
    back = max(0, first.start() - _LOOK_BACK)
    before = [m.start() for m in _ASCII_WORD.finditer(text, back, first.start())]
    if back:
        before = before[1:]  # maybe the end of a word cut by the look-back
        if len(before) < BEFORE:
            before = [m.start() for m in _ASCII_WORD.finditer(text, 0, first.start())]
            back = 0
    # A start past 0 must have words before it: they make the snippet's "… ".
    if len(before) > BEFORE or (back and len(before) == BEFORE):
        return before[-BEFORE]
    return 0


def _excerpt_from(text: str, phrases: list[tuple[str, ...]], begin: int) -> SafeString | None:
    """The snippet of the first match, scanning the words from `begin` on
    (words before it make the snippet's "… ")."""
    last_words = {phrase[-1] for phrase in phrases}
    spans = word_spans(text, begin)
    window: deque[tuple[str, int, int]] = deque(maxlen=BEFORE + max(map(len, phrases)))
    seen = 0
    for seen, span in enumerate(spans, 1):  # noqa: B007  seen is read after the loop
        window.append(span)
        if span[0] in last_words:
            folded = [word for word, _, _ in window]
            hit = next((p for p in phrases if tuple(folded[-len(p) :]) == p), None)
            if hit:
                break
    else:
        return None
    first = max(0, len(window) - len(hit) - BEFORE)
    shown = [*list(window)[first:], *islice(spans, max(0, AFTER - len(hit)))]
    html = ["… "] if begin or seen - len(window) + first > 0 else []
    cursor = shown[0][1]
    for start, end in _marked(shown, phrases):
        html += [escape(text[cursor:start]), "<mark>", escape(text[start:end]), "</mark>"]
        cursor = end
    end = shown[-1][2]
    while end < len(text) and not text[end].isspace():  # the word's punctuation
        end += 1
    html.append(escape(text[cursor:end]))
    if next(spans, None) is not None:
        html.append(" …")
    return mark_safe("".join(html))  # noqa: S308  every piece of the text is escaped


def _marked(shown: list[tuple[str, int, int]], phrases: list[tuple[str, ...]]):
    """(start, end) in the text of each match among the shown words, merged."""
    folded = [word for word, _, _ in shown]
    ranges: list[tuple[int, int]] = []
    for at in range(len(shown)):
        for phrase in phrases:
            if tuple(folded[at : at + len(phrase)]) == phrase:
                start, end = shown[at][1], shown[at + len(phrase) - 1][2]
                if ranges and start <= ranges[-1][1]:
                    ranges[-1] = (ranges[-1][0], max(end, ranges[-1][1]))
                else:
                    ranges.append((start, end))
    return ranges
