"""Normalisation shared by the index, the queries and the pure-Python reference.

Both backends are fed words that Python has already folded and split, so
they never apply their own rules (stemming, stop words, a parser's idea of
what a URL or a hyphenated word is) and find exactly the same works. A word
is a run of letters, digits and marks; each CJK character is a word of its
own, since those scripts put no spaces between words.
"""

import re
import unicodedata
from collections.abc import Iterator

# A word longer than this is cut: PostgreSQL refuses lexemes over 2 KB.
WORD_MAX = 64

# The kana voicing marks stay: か and が are different words, not accents.
_KANA_MARKS = {0x3099, 0x309A}
# Han (with its extensions and compatibility block), Hiragana, Katakana, Hangul.
_CJK_RANGES = (
    (0x3041, 0x3096),
    (0x309D, 0x309F),
    (0x30A1, 0x30FA),
    (0x30FC, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9D),
    (0x20000, 0x3134F),
)
# Where marks are: the basic and supplementary planes, and variation selectors.
_SCANNED = (range(0x20000), range(0xE0100, 0xE01F0))


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)


def _ranges(codes: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def _patterns(limit: int) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(combining marks fold removes, marks a word may hold, CJK characters)
    for characters below `limit`. Python's re matches a class of characters
    all below U+10000 with a table lookup and a wider one range by range, so
    the narrow patterns serve text without astral characters, which is
    nearly all of it."""
    combining, marks = [], []
    for scanned in _SCANNED:
        for code in scanned:
            if code >= limit:
                break
            char = chr(code)
            if unicodedata.combining(char) and code not in _KANA_MARKS:
                combining.append(code)
            if unicodedata.category(char)[0] == "M":
                marks.append(code)
    cjk = [(low, min(high, limit - 1)) for low, high in _CJK_RANGES if low < limit]
    return (
        re.compile(f"[{_char_class(_ranges(combining))}]+"),
        re.compile(f"[\\w{_char_class(_ranges(marks))}]+"),
        re.compile(f"[{_char_class(cjk)}]"),
    )


_NARROW = _patterns(0x10000)
_WIDE = _patterns(0x110000)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: compatibility forms unfolded
    (ﬁ, full-width letters), casefolded, combining marks removed."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    combining = (_WIDE if _ASTRAL.search(text) else _NARROW)[0]
    # Recomposed so Hangul jamo become syllables again, one word per syllable.
    return unicodedata.normalize("NFC", combining.sub("", text))


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    folded = fold(text).replace("_", " ")
    if folded.isascii():
        return [word[:WORD_MAX] for word in _NARROW[1].findall(folded)]
    _, word, cjk = _WIDE if _ASTRAL.search(folded) else _NARROW
    return [w[:WORD_MAX] for w in word.findall(cjk.sub(r" \g<0> ", folded))]


def word_spans(text: str, at: int = 0) -> Iterator[tuple[str, int, int]]:
    """(folded word, start, end) in the original text, for highlighting,
    from `at` on (where a word starts, or between words). Each stretch of
    word characters is folded on its own (which splits it as folding the
    whole text would, for all but the rarest characters)."""
    spaced = text.replace("_", " ")
    _, word, cjk = _WIDE if _ASTRAL.search(spaced) else _NARROW
    for match in word.finditer(spaced, at):
        start, stretch = match.start(), match.group()
        if stretch.isascii():
            yield stretch.lower()[:WORD_MAX], start, match.end()
            continue
        cut = 0
        for part in [*cjk.finditer(stretch), None]:
            # The letters before a CJK character, then the character itself.
            pieces = [(cut, part.start() if part else len(stretch))]
            if part:
                pieces.append(part.span())
                cut = part.end()
            for low, high in pieces:
                for folded in words(stretch[low:high]):
                    yield folded, start + low, start + high
