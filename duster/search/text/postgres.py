"""Full-text search on PostgreSQL: each posted work's text as short rows of
words in `search_text_rows` (migration 0004_text_rows), a GIN-indexed
tsvector each; its words without their places in `search_text_words`, to
find the works with all of several terms' words; the numbers of its pairs
of COMMON words (duster.search.text.pairs) in `search_text_pairs`; the
plain text for snippets in `search_text_shown`.

A work's rows are its head (title, creators, tags, summary; a word's weight
names its field: A title, B creators, C tags, D summary) and then its body
(chapter text and notes), each cut into windows of ROW_WORDS words where
neighbours share ROW_OVERLAP words. So a phrase of up to PHRASE_MAX words
lies whole inside some row wherever it stands in the work; a small row
keeps every position of every word (a tsvector keeps none past the
16,383rd, nor more than 256 of one word), and a phrase is checked in the
few short rows holding its words, not in the whole work.

- a term with no field: some row of the work holds it;
- a field term: some head row holds it in that field's weight;
- an excluded term: no such row;
- a phrase longer than PHRASE_MAX words: the rows name the works holding
  its first PHRASE_MAX words, whose text is then read and checked whole
  (rare: a pasted sentence).

When every wanted term is a phrase of COMMON words with no field, the pairs
name the works: exactly for two words, and those to check in their rows
for more. A work's score is then 1 for each term, and 10 more where its
title holds all of the term's pairs.

Vectors and queries are tsvector and tsquery literals of words Python folded
and split, so no PostgreSQL parser, dictionary or user syntax is involved:
both backends find the same works.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from django.db import connection

from duster.search.text.documents import WorkText, work_texts
from duster.search.text.fold import words
from duster.search.text.pairs import SPAN, is_paired, numbers, phrase_numbers
from duster.search.text.query import Term, TextQuery

ROW_WORDS = 100
ROW_OVERLAP = 12
PHRASE_MAX = ROW_OVERLAP + 1
_HEAD = (("title", "A"), ("creators", "B"), ("tags", "C"), ("summary", "D"))
_WEIGHT = dict(_HEAD)
# A work's score: for each row holding a wanted term, 1 for a body row, and
# for a head row these points by where it holds one. A title match first.
_POINTS = (("A", 10), ("BC", 4), ("D", 2))
# A pair in the title is also kept as its number plus SPAN, and adds these
# points. Not the other head fields: a common pair is in many summaries,
# and looking them up cost more than the rest of the query (35 of 150 ms
# for "and the" at a million works).
_TITLE_PAIR_POINTS = 10
_INSERT_SHOWN = (
    "INSERT INTO search_text_shown (work_id, summary, body) VALUES (%s, %s, %s)"
    " ON CONFLICT (work_id) DO UPDATE SET summary = excluded.summary, body = excluded.body"
)
# As in migration 0004_text_rows. Without a pending list (fastupdate) a
# posting costs a little more, but the planner never sees a long list of
# unsorted entries and turns to reading every row.
_GIN = {
    "search_text_rows_words": ("search_text_rows", "words"),
    "search_text_words_words": ("search_text_words", "words"),
    "search_text_pairs_pairs": ("search_text_pairs", "pairs"),
}
_TABLES = ("search_text_rows", "search_text_words", "search_text_pairs")


def _lexeme(word: str, weight: str = "") -> str:
    # Words hold only letters, digits and marks; the escapes are a second lock.
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{quoted}:{weight}" if weight else quoted


def windows(lines: list[tuple[list[str], str]]) -> Iterator[str]:
    """tsvector literals of the rows of lines given as (their words, weight):
    ROW_WORDS words each, ROW_OVERLAP shared with the next row, a position
    skipped between lines so a phrase stays inside one. At least one row."""
    spots: list[tuple[str, int, str]] = []
    at = 1
    for line, weight in lines:
        for word in line:
            spots.append((word, at, weight))
            at += 1
        at += 1
    for start in range(0, max(len(spots) - ROW_OVERLAP, 1), ROW_WORDS - ROW_OVERLAP):
        row = spots[start : start + ROW_WORDS]
        first = row[0][1] - 1 if row else 0
        positions: dict[str, list[str]] = {}
        for word, at, weight in row:
            positions.setdefault(word, []).append(f"{at - first}{weight}")
        yield " ".join(f"{_lexeme(word)}:{','.join(at)}" for word, at in positions.items())


class _Sets:
    """A work's words and pairs, gathered as its rows are made."""

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.pairs: set[int] = set()

    def add(self, line: list[str], weight: str = "") -> None:
        self.words.update(line)
        pairs = set(filter(None, numbers(line)))  # pair numbers start at 1
        self.pairs |= pairs
        if weight == _WEIGHT["title"]:
            self.pairs.update(pair + SPAN for pair in pairs)


def _array(values: set[int]) -> str:
    return "{" + ",".join(map(str, sorted(values))) + "}"


def _rows(pk: int, text: WorkText, sets: _Sets) -> Iterator[tuple[int, int, bool, str]]:
    """(work id, part, head?, words) of each of the work's rows; its words
    and pairs added to `sets`."""
    head = [
        (words(line), weight) for name, weight in _HEAD for line in getattr(text, name).split("\n")
    ]
    for line, weight in head:
        sets.add(line, weight)
    part = 0
    for vector in windows(head):
        yield pk, part, True, vector
        part += 1
    body = words(text.body)
    sets.add(body)
    if body:
        for vector in windows([(body, "D")]):
            yield pk, part, False, vector
            part += 1


@dataclass
class Rows:
    """What `index_write` writes for some works, made from their text alone:
    no database involved, so a rebuild makes them in another process."""

    shown: list[tuple[int, str, str]] = field(default_factory=list)
    rows: list[tuple[int, int, bool, str]] = field(default_factory=list)
    words: list[tuple[int, str]] = field(default_factory=list)
    pairs: list[tuple[int, str]] = field(default_factory=list)


def index_rows(texts: dict[int, WorkText]) -> Rows:
    made = Rows()
    for pk in sorted(texts):
        text, sets = texts[pk], _Sets()
        made.shown.append((pk, text.summary, text.body))
        made.rows += _rows(pk, text, sets)
        made.words.append((pk, " ".join(map(_lexeme, sets.words))))
        if sets.pairs:
            made.pairs.append((pk, _array(sets.pairs)))
    return made


def index_write(work_ids: list[int], made: Rows) -> None:
    """Forget `work_ids`, then write `made` (from `index_rows`)."""
    posted = [pk for pk, _, _ in made.shown]
    with connection.cursor() as cursor:
        # The shown text first, in id order: a second transaction indexing
        # one of these works (two chapters posted together) waits here until
        # this one commits, then replaces all of its rows, never leaving rows
        # of both versions.
        cursor.executemany(_INSERT_SHOWN, made.shown)
        gone = sorted(set(work_ids) - set(posted))
        cursor.execute("DELETE FROM search_text_shown WHERE work_id = ANY(%s)", [gone])
        for table in _TABLES:
            cursor.execute(
                f"DELETE FROM {table} WHERE work_id = ANY(%s)",  # noqa: S608
                [sorted({*work_ids, *posted})],
            )
        # COPY: a rebuild writes millions of rows.
        for table, columns, rows in (
            ("search_text_rows", "work_id, part, head, words", made.rows),
            ("search_text_words", "work_id, words", made.words),
            ("search_text_pairs", "work_id, pairs", made.pairs),
        ):
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def index_clear() -> None:
    """Empty the index, and drop its GIN index until `index_finish`: built
    once at the end, it takes a fraction of the time of a row-by-row update."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(_TABLES)}, search_text_shown")
        for index in _GIN:
            cursor.execute(f"DROP INDEX IF EXISTS {index}")


def index_forget_gone() -> None:
    """Forget works no longer posted (or no longer there at all)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('search_text_pairs')")
        if cursor.fetchone()[0] is None:
            return  # migrated back before 0005_text_pairs
        for table in (*_TABLES, "search_text_shown"):
            # NOT EXISTS, an anti-join: NOT IN over a big subquery that
            # outgrows work_mem is checked row by row.
            cursor.execute(
                f"DELETE FROM {table} t WHERE NOT EXISTS "  # noqa: S608
                "(SELECT 1 FROM works_work w WHERE w.id = t.work_id AND w.state = 'posted')"
            )


def index_finish() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for index, (table, column) in _GIN.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {index} ON {table}"
                f" USING gin ({column}) WITH (fastupdate = off)"
            )
            cursor.execute(f"ANALYZE {table}")


def _phrase(words: tuple[str, ...], weight: str = "") -> str:
    return "(" + " <-> ".join(_lexeme(word, weight) for word in words) + ")"


def _searched(term: Term, weight: str | None = None) -> str:
    """The term's tsquery (its first PHRASE_MAX words), in the weight of its
    field or `weight`."""
    return _phrase(term.words[:PHRASE_MAX], _WEIGHT.get(term.field or "", weight or ""))


def _holds(terms: list[Term], alias: str) -> tuple[str, list]:
    """SQL true for a row that holds one of `terms`, and its parameters."""
    anywhere = [_searched(t) for t in terms if t.field is None]
    conditions = [f"{alias}.words @@ %s::tsquery"] if anywhere else []
    params = [" | ".join(anywhere)] if anywhere else []
    for term in terms:
        if term.field:
            conditions.append(f"({alias}.head AND {alias}.words @@ %s::tsquery)")
            params.append(_searched(term))
    return "(" + " OR ".join(conditions) + ")", params


def _a_row_holds(terms: list[Term], work: str) -> tuple[str, list]:
    """SQL true where a row of the work whose id is `work` holds one of
    `terms`, and its parameters."""
    condition, params = _holds(terms, "y")
    sql = f"EXISTS (SELECT 1 FROM search_text_rows y WHERE y.work_id = {work} AND {condition})"  # noqa: S608
    return sql, params


def _points(wanted: list[Term]) -> tuple[str, list]:
    """SQL of what a row holding a wanted term adds to its work's score."""
    points, params = [], []
    for weights, worth in _POINTS:
        found = [
            _searched(t, weights) for t in wanted if t.field is None or _WEIGHT[t.field] in weights
        ]
        if found:
            points.append(f"{worth} * (r.words @@ %s::tsquery)::int")
            params.append(" | ".join(found))
    return f"CASE WHEN r.head THEN {' + '.join(points)} ELSE 1 END", params


def _matching(query: TextQuery, within: np.ndarray | None, ranked: bool) -> tuple[str, list]:
    """SQL for one row describing the rows that hold a wanted term (a work
    may have several), each column one string: their works' ids; their
    points (with `ranked`); which wanted terms each holds, as bits (with
    several terms, or a field); whether each work must still be checked
    whole (a phrase longer than PHRASE_MAX words). And its parameters.
    `_found` groups them by work: no grouping in the database, which cost a
    hash table of every row."""
    wanted = [t for t in query.terms if not t.negated]
    excluded = [t for t in query.terms if t.negated and len(t.words) <= PHRASE_MAX]
    long_excluded = [t for t in query.terms if t.negated and len(t.words) > PHRASE_MAX]
    params: list = []
    within_params = [within.tolist()] if within is not None else []
    within_sql = " AND {}.work_id = ANY(%s)" if within is not None else ""
    holds = "NULL"
    if wanted:
        # Works with every word of every wanted term, from the works' word
        # sets: the index intersects the terms' works itself.
        all_words = " & ".join(_lexeme(w) for w in sorted({w for t in wanted for w in t.words}))
        with_words = "FROM search_text_words w WHERE w.words @@ %s::tsquery"
        with_words += within_sql.format("w")
        candidates_params = [all_words, *within_params]
    if wanted and not ranked and all(len(t.words) == 1 and not t.field for t in wanted):
        # Words alone: the word sets answer.
        inner = f"SELECT w.work_id, 0 AS points {with_words}"
        params += candidates_params
    elif wanted:
        # Each row's points and which terms it holds, worked out in the scan.
        columns = ["r.work_id"]
        points, params = _points(wanted) if ranked else ("0", [])
        columns.append(f"{points} AS points")
        if len(wanted) > 1 or wanted[0].field:
            bits = []
            for at, term in enumerate(wanted):
                condition, term_params = _holds([term], "r")
                bits.append(f"(({condition})::int::bigint << {at})")  # at < TERMS_MAX
                params += term_params
            columns.append(f"{' | '.join(bits)} AS holds")
            holds = "string_agg(m.holds::text, ',')"
        params.append(" | ".join(_searched(t) for t in wanted))
        if len(wanted) > 1:
            # Several terms: only the rows of the works that have all their
            # words, not every row that holds any of them.
            among = f" AND r.work_id = ANY(ARRAY(SELECT w.work_id {with_words}))"
            params += candidates_params
        else:
            among = within_sql.format("r")
            params += within_params
        # The SQL of this module's own pieces; every value is a parameter.
        inner = (
            f"SELECT {', '.join(columns)} FROM search_text_rows r"  # noqa: S608
            f" WHERE r.words @@ %s::tsquery{among}"
        )
    else:
        inner = "SELECT r.work_id, 0 AS points FROM search_text_rows r WHERE r.part = 0"
        inner += within_sql.format("r")
        params += within_params
    # Points and checks only where there are any: a string of 37,000 zeros
    # would be built, sent and parsed for nothing.
    points_sql = "string_agg(m.points::text, ',')" if ranked else "NULL"
    checks = "NULL"
    check_params: list[str] = []
    if any(len(t.words) > PHRASE_MAX for t in wanted):
        checks = "string_agg('1', ',')"
    elif long_excluded:
        held, check_params = _a_row_holds(long_excluded, "m.work_id")
        checks = f"string_agg(({held})::int::text, ',')"
    sql = (
        f"SELECT string_agg(m.work_id::text, ','), {points_sql}, {holds}, {checks}"  # noqa: S608
        f" FROM ({inner}) m"
    )
    params = check_params + params
    if excluded:
        held, excluded_params = _a_row_holds(excluded, "m.work_id")
        sql += f" WHERE NOT {held}"
        params += excluded_params
    return sql, params


def _numbers(joined: str | None, dtype) -> np.ndarray:
    return np.fromstring(joined or "", dtype=dtype, sep=",")


def _pairs_only(query: TextQuery) -> bool:
    """Whether the pairs name the works: every wanted term is a phrase of
    COMMON words with no field, and no term is too long for a row to hold."""
    wanted = [t for t in query.terms if not t.negated]
    return (
        bool(wanted)
        and all(t.field is None and is_paired(t.words) for t in wanted)
        and all(len(t.words) <= PHRASE_MAX for t in query.terms)
    )


def _by_pairs(
    query: TextQuery, within: np.ndarray | None, ranked: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(ids sorted, scores) of the works holding every pair of the wanted
    terms, in one query: those of more than two words also side by side in
    a row; none holding an excluded term."""
    wanted = [t for t in query.terms if not t.negated]
    conditions = ["p.pairs @> %s::smallint[]"]
    params: list = [sorted({pair for term in wanted for pair in phrase_numbers(term.words)})]
    if within is not None:
        conditions.append("p.work_id = ANY(%s)")
        params.append(within.tolist())
    excluded = []
    for term in query.terms:
        if term.negated and term.field is None and len(term.words) == 2 and is_paired(term.words):
            conditions.append("NOT p.pairs @> %s::smallint[]")
            params.append(phrase_numbers(term.words))
        elif term.negated:
            excluded.append(term)
        elif len(term.words) > 2:
            # Its pairs held, but perhaps not side by side: a row tells.
            held, held_params = _a_row_holds([term], "p.work_id")
            conditions.append(held)
            params += held_params
    if excluded:
        held, held_params = _a_row_holds(excluded, "p.work_id")
        conditions.append(f"NOT {held}")
        params += held_params
    where = " AND ".join(conditions)
    # The SQL of this module's own pieces; every value is a parameter.
    columns = [f"(SELECT string_agg(p.work_id::text, ',') FROM search_text_pairs p WHERE {where})"]  # noqa: S608
    # For the score, the few works whose title holds a term's pairs: read
    # apart, not checked in each row found.
    titled = wanted if ranked else []
    for term in titled:
        columns.append(
            "(SELECT string_agg(h.work_id::text, ',') FROM search_text_pairs h"
            " WHERE h.pairs @> %s::smallint[])"
        )
        params.append([pair + SPAN for pair in phrase_numbers(term.words)])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)  # noqa: S608
        ids, *in_titles = cursor.fetchone()
    found = np.sort(_numbers(ids, np.int64))
    scores = np.full(len(found), len(wanted) if ranked else 0, dtype=np.float64)
    for in_title in in_titles:
        scores[np.isin(found, _numbers(in_title, np.int64))] += _TITLE_PAIR_POINTS
    return found, scores


def _found(query: TextQuery, within: np.ndarray | None, ranked: bool):
    """(ids sorted, scores): by the pairs where they name the works, else by the rows."""
    if _pairs_only(query):
        return _by_pairs(query, within, ranked)
    return _by_rows(query, within, ranked)


def _by_rows(query: TextQuery, within: np.ndarray | None, ranked: bool):
    """(ids sorted, scores): each work once, with the points of its rows
    added up and, with several wanted terms, only if its rows hold every
    one; checked whole where the rows could not tell."""
    with connection.cursor() as cursor:
        cursor.execute(*_matching(query, within, ranked))
        ids, points, holds, checks = cursor.fetchone()
    rows = _numbers(ids, np.int64)
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    firsts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else rows
    found = rows[firsts]
    scores = (
        np.add.reduceat(_numbers(points, np.float64)[order], firsts)
        if points and rows.size
        else np.zeros(len(found), dtype=np.float64)
    )
    keep = np.ones(len(found), dtype=bool)
    if holds and rows.size:
        every = (1 << sum(not t.negated for t in query.terms)) - 1
        keep &= np.bitwise_or.reduceat(_numbers(holds, np.int64)[order], firsts) == every
    if checks and rows.size:
        unsure = np.flatnonzero(
            keep & np.logical_or.reduceat(_numbers(checks, np.int64)[order].astype(bool), firsts)
        )
        for start in range(0, len(unsure), 500):
            batch = unsure[start : start + 500]
            texts = work_texts(found[batch].tolist())
            for at in batch:
                text = texts.get(int(found[at]))
                keep[at] = text is not None and query.matches(text)
    return found[keep], scores[keep]


def match(query: TextQuery, within: np.ndarray | None = None) -> np.ndarray:
    """Ids of the works the query matches, sorted; only among `within` when given."""
    return _found(query, within, ranked=False)[0]


def ranked(query: TextQuery, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids sorted, scores, higher is better) of the works a query with
    wanted terms matches, in one query."""
    return _found(query, within, ranked=True)


def shown_texts(ids: list[int]) -> dict[int, tuple[str, str]]:
    """work id -> (summary, body) as plain text, as written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT work_id, summary, body FROM search_text_shown WHERE work_id = ANY(%s)",
            [list(ids)],
        )
        return {pk: (summary, body) for pk, summary, body in cursor.fetchall()}
