"""The text query readers type, and what it means.

    dragon "the long road" -angst title:winter tag:"slow burn" -creator:someone

Every word must match (in any field unless a prefix names one), a quoted
phrase matches those words side by side, "-" excludes. Parsing never fails:
what it cannot use is searched as plain words, with a message for the reader.
`TextQuery.matches` is the reference both backends must agree with.
"""

import re
from dataclasses import dataclass

from duster.search.text.documents import FIELDS, WorkText
from duster.search.text.fold import words

QUERY_MAX = 500
TERMS_MAX = 20
# What readers type -> the WorkText field it restricts a term to.
PREFIXES = {"title": "title", "creator": "creators", "tag": "tags", "summary": "summary"}

# Phones and word processors type curly quotes.
_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»＂", '"'))
_PREFIX = re.compile(r"([A-Za-z]+):(?=[^\s])")
_BARE = re.compile(r'[^\s"]+')


@dataclass(frozen=True)
class Term:
    """A word or phrase (several folded words, side by side), in one field or any."""

    words: tuple[str, ...]
    field: str | None = None
    negated: bool = False


@dataclass(frozen=True)
class TextQuery:
    terms: tuple[Term, ...] = ()
    # (parameter, message) for the reader: what was not searched as typed.
    messages: tuple[tuple[str, str], ...] = ()

    def is_empty(self) -> bool:
        """Nothing to look for: no term, or only exclusions."""
        return all(term.negated for term in self.terms)

    def matches(self, text: WorkText) -> bool:
        segments = {
            name: [words(line) for line in getattr(text, name).split("\n")] for name in FIELDS
        }
        for term in self.terms:
            found = any(
                has_phrase(segment, term.words)
                for name in ((term.field,) if term.field else FIELDS)
                for segment in segments[name]
            )
            if found == term.negated:
                return False
        return True


def has_phrase(folded: list[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    first = phrase[0]
    return any(
        word == first and tuple(folded[at : at + size]) == phrase for at, word in enumerate(folded)
    )


def parse_query(q: str) -> TextQuery:
    """The terms of a text query, and messages about what was not used as typed."""
    messages: list[str] = []
    if len(q) > QUERY_MAX:
        messages.append(f"The text query was cut to its first {QUERY_MAX} characters.")
        q = q[:QUERY_MAX]
    q = q.translate(_QUOTES)
    terms: list[Term] = []
    unknown: list[str] = []
    at, end = 0, len(q)
    while at < end:
        if q[at].isspace():
            at += 1
            continue
        negated = q[at] == "-" and at + 1 < end and not q[at + 1].isspace()
        at += negated
        field = None
        prefix = _PREFIX.match(q, at)
        if prefix:
            name = prefix.group(1).lower()
            if name in PREFIXES:
                field = PREFIXES[name]
                at = prefix.end()
            else:
                # Not a field: its name is a word of its own.
                term = Term(tuple(words(name)), None, negated)
                if term not in terms:
                    terms.append(term)
                if name not in unknown:
                    unknown.append(name)
                at = prefix.end()
        if q[at] == '"':
            close = q.find('"', at + 1)
            if close < 0:
                messages.append(
                    "A quotation mark was not closed, so the rest was searched as one phrase."
                )
                close = end
            text, at = q[at + 1 : close], close + 1
        else:
            bare = _BARE.match(q, at)
            assert bare is not None  # q[at] is neither a space nor a quote
            text, at = bare.group(), bare.end()
        term = Term(tuple(words(text)), field, negated)
        if term.words and term not in terms:
            terms.append(term)
    for name in unknown:
        messages.append(
            f"There is no “{name}:” field, so it was searched as words. "
            "The fields are title:, creator:, tag: and summary:."
        )
    if len(terms) > TERMS_MAX:
        messages.append(f"Only the first {TERMS_MAX} words and phrases were searched.")
        terms = terms[:TERMS_MAX]
    return TextQuery(tuple(terms), tuple(("q", message) for message in messages))
