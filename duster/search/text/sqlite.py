"""Full-text search on SQLite: an FTS5 table (migration 0002_text), one row
per posted work with rowid = work id and a column per field.

The indexed columns hold the folded words separated by spaces, so FTS5's
tokenizer only splits on those spaces. Between two names (tags, creators)
stands a private-use character, a word to FTS5 that no query can contain:
a phrase never runs from one name into the next. The `*_shown` columns keep
the plain text as written, for snippets; they are not indexed. The
`head_pairs` and `pairs` columns hold the pairs of COMMON words
(duster.search.text.pairs) in the head fields and the body, each a token
of its own: a phrase of such words is looked up as a phrase of its pairs.
"""

import re
from itertools import repeat

import numpy as np
from django.db import connection

from duster.search.text.documents import FIELDS, WorkText
from duster.search.text.fold import words
from duster.search.text.pairs import PAIR_NUMBERS, is_common, is_paired, phrase_numbers
from duster.search.text.query import Term, TextQuery

_SEPARATOR = " \ue000 "
# A pair's token: its number after a private-use character, which no word holds.
_PAIR = "\ue001"
_BREAK = _SEPARATOR.strip()
_HEAD = ("title", "creators", "tags", "summary")
# A work's score, as on PostgreSQL: 1 for matching, and for each wanted
# term these points where these head fields hold its telling words
# (`_in_head`); the body's matches tie. Not bm25: over the whole query it
# first runs the query over the whole index again for its weights, then
# reads each match's column sizes: for "a fox in the orchard" (33,866
# works) 137-217 ms, where matching alone took 51-78 and each head field's
# works with "fox" and "orchard" 6-8.
_POINTS = (("title", 10), ("creators tags", 4), ("summary", 2))
# With only COMMON words, a term's pairs stand for it in all the head fields.
_PAIR_POINTS = 10
_INSERT = (
    "INSERT INTO search_text (rowid, title, creators, tags, summary, body, summary_shown,"
    " body_shown, head_pairs, pairs) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


# Each pair's token, and runs of breaks to fold into one.
_TOKENS = {pair: f"{_PAIR}{n}" for pair, n in PAIR_NUMBERS.items()}
_BREAKS = re.compile(f"(?:{_BREAK} )+")


def _pairs(lines: list[list[str]]) -> str:
    """The pair tokens of the lines' words, in order; a separator wherever
    one pair does not start at the word after the last one's start, so only
    a phrase's pairs stand side by side."""
    tokens: list[str] = []
    for line in lines:
        # A break for each word pair that is not COMMON, and after the line.
        tokens += map(_TOKENS.get, zip(line, line[1:], strict=False), repeat(_BREAK))
        tokens.append(_BREAK)
    joined = _BREAKS.sub(f"{_BREAK} ", " ".join(tokens) + " ")
    return joined.removeprefix(f"{_BREAK} ").rstrip()


def _row(pk: int, text: WorkText) -> tuple:
    """The work's row: each field's words (a line's words folded once), the
    shown text, the pairs."""
    lines = {name: [words(line) for line in getattr(text, name).split("\n")] for name in FIELDS}
    return (
        pk,
        *(_SEPARATOR.join(" ".join(line) for line in lines[name]) for name in FIELDS),
        text.summary,
        text.body,
        _pairs([line for name in _HEAD for line in lines[name]]),
        _pairs(lines["body"]),
    )


def index_rows(texts: dict[int, WorkText]) -> list[tuple]:
    """The rows of `texts` for `index_write`: no database involved, so a
    rebuild makes them in another process."""
    return [_row(pk, text) for pk, text in texts.items()]


def index_write(work_ids: list[int], rows: list[tuple]) -> None:
    """Forget `work_ids`, then write `rows` (from `index_rows`)."""
    with connection.cursor() as cursor:
        cursor.executemany("DELETE FROM search_text WHERE rowid = %s", [(pk,) for pk in work_ids])
        cursor.executemany(_INSERT, rows)


def index_clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_text")


def index_forget_gone() -> None:
    """Forget works no longer posted (or no longer there at all)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM search_text WHERE rowid NOT IN "
            "(SELECT id FROM works_work WHERE state = 'posted')"
        )


def index_finish() -> None:
    """Merge the index's segments into one: fastest to query after a rebuild."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_text (search_text) VALUES ('optimize')")


def _pair_phrase(term: Term) -> str:
    """The FTS5 phrase of a paired term's pairs."""
    return "(" + " + ".join(f'"{_PAIR}{pair}"' for pair in phrase_numbers(term.words)) + ")"


def _phrase(term: Term) -> str:
    if term.field is None and is_paired(term.words):
        return f"{{head_pairs pairs}} : {_pair_phrase(term)}"
    # Words hold only letters, digits and marks, so quoting them is enough
    # to keep them from being read as FTS5 syntax (NEAR, OR, *, ^, :).
    phrase = " + ".join(f'"{word}"' for word in term.words)
    return f"{term.field} : ({phrase})" if term.field else f"({phrase})"


def _expression(query: TextQuery) -> tuple[str, str]:
    """(FTS5 expression of the query, or "" for all works; FTS5 expression of
    works to take out of all of them, or "")."""
    wanted = " AND ".join(_phrase(t) for t in query.terms if not t.negated)
    excluded = " OR ".join(_phrase(t) for t in query.terms if t.negated)
    if wanted:
        return (f"({wanted}) NOT ({excluded})" if excluded else wanted), ""
    return "", excluded


_MATCHING = "SELECT rowid FROM search_text WHERE search_text MATCH %s"


def _numbers(joined: str | None) -> np.ndarray:
    return np.fromstring(joined or "", dtype=np.int64, sep=",")


def _joined(sql: str) -> str:
    """SQL of one string of the rowids `sql` selects, sorted: a row per work
    would take three times as long."""
    return f"(SELECT group_concat(rowid) FROM ({sql} ORDER BY rowid))"  # noqa: S608


def _ids(sql: str, params: list) -> np.ndarray:
    """The rowids `sql` selects, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_joined(sql)}", params)  # noqa: S608
        return _numbers(cursor.fetchone()[0])


def match(query: TextQuery, within: np.ndarray | None = None) -> np.ndarray:
    """Ids of the works the query matches (`within` is PostgreSQL's
    shortcut: FTS5 checks a list of ids one by one, slower than matching)."""
    expression, excluded = _expression(query)
    if expression:
        return _ids(_MATCHING, [expression])
    if excluded:
        # FTS5 has no "everything but": the works, less those with the excluded words.
        return _ids(
            "SELECT rowid FROM search_text EXCEPT"
            " SELECT rowid FROM search_text WHERE search_text MATCH %s",
            [excluded],
        )
    return _ids("SELECT rowid FROM search_text", [])


def _in_head(term: Term) -> list[tuple[str, int]]:
    """(FTS5 expression, points) of the works whose head fields hold the
    term's telling words: its pairs if all its words are COMMON, else its
    other words, not side by side (checking where "the" stands in every
    head would cost as much as the search); a word alone even if COMMON.
    Only the term's own field where it names one."""
    if term.field is None and is_paired(term.words):
        return [(f"head_pairs : {_pair_phrase(term)}", _PAIR_POINTS)]
    telling = [word for word in term.words if not is_common(word)] or term.words
    words = " AND ".join(f'"{word}"' for word in telling)
    return [
        (f"{{{columns}}} : ({words})", points)
        for columns, points in _POINTS
        if term.field is None or term.field in columns.split()
    ]


def ranked(query: TextQuery, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores, higher is better) of the works a query with wanted
    terms matches, in one query; with `within`, at least those of them it
    matches (FTS5 repeats the whole match for each rowid an IN list names,
    so their ids' range is matched instead). Scored as _POINTS says."""
    expression, _ = _expression(query)
    heads = [head for term in query.terms if not term.negated for head in _in_head(term)]
    low, high = -(2**63), 2**63 - 1  # every work
    if within is not None:
        if not len(within):
            return np.empty(0, np.int64), np.empty(0, np.float64)
        low, high = int(within[0]), int(within[-1])  # sorted
    columns = [_joined(f"{_MATCHING} AND rowid BETWEEN %s AND %s")]
    columns += [_joined(_MATCHING)] * len(heads)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)}",  # noqa: S608
            [expression, low, high, *(head for head, _ in heads)],
        )
        found, *in_heads = map(_numbers, cursor.fetchone())
    scores = np.ones(len(found), dtype=np.float64)
    for in_head, (_, points) in zip(in_heads, heads, strict=True):
        scores[np.isin(found, in_head, assume_unique=True)] += points
    return found, scores


def shown_texts(ids: list[int]) -> dict[int, tuple[str, str]]:
    """work id -> (summary, body) as plain text, as written."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, summary_shown, body_shown FROM search_text"
            " WHERE rowid IN (SELECT value FROM json_each(%s))",
            ["[" + ",".join(map(str, ids)) + "]"],
        )
        return {pk: (summary, body) for pk, summary, body in cursor.fetchall()}
