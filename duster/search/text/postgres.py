"""Full-text search on PostgreSQL: a table of stored tsvectors (migration
0002_text), one row per posted work.

`document` holds every field (GIN-indexed); the per-field vectors are only
read for the rows the GIN match found, to check field-restricted terms. The
plain text for snippets is in a table of its own, `search_text_shown`.
Vectors and queries are written as tsvector and tsquery literals of words
Python folded and split, so no PostgreSQL parser, dictionary or user syntax
is involved: both backends find the same works.

PostgreSQL keeps word positions up to 16,383 and 256 positions per word,
and a tsvector under 1 MB: past those (a very long work) a phrase may be
missed, and a work with an enormous vocabulary has its last new words left
out of the index.
"""

from functools import cache

import numpy as np
from django.db import connection

from duster.search.text.documents import FIELDS, WorkText
from duster.search.text.fold import words
from duster.search.text.query import Term, TextQuery

_POSITION_MAX = 16383
_POSITIONS_PER_WORD = 256
_VECTOR_BYTES_MAX = 900_000
# Weights for ranking: title A, creators and tags B, summary C, the rest D.
_WEIGHTS = {"title": "A", "creators": "B", "tags": "B", "summary": "C", "body": "D"}
_FIELD_VECTORS = FIELDS[:-1]  # the body is never searched on its own
_FIELD_PARAMS = ", %s" * (2 * len(_FIELD_VECTORS))  # wanted and excluded, each field
# Upserts: two transactions indexing one work at once (two chapters posted
# together) both find no row to delete, and the second must not fail.
_INSERT = (
    "INSERT INTO search_text (work_id, document, title, creators, tags, summary)"
    " VALUES (%s, %s::tsvector, %s::tsvector, %s::tsvector, %s::tsvector, %s::tsvector)"
    " ON CONFLICT (work_id) DO UPDATE SET document = excluded.document,"
    " title = excluded.title, creators = excluded.creators, tags = excluded.tags,"
    " summary = excluded.summary"
)
_INSERT_SHOWN = (
    "INSERT INTO search_text_shown (work_id, summary, body) VALUES (%s, %s, %s)"
    " ON CONFLICT (work_id) DO UPDATE SET summary = excluded.summary, body = excluded.body"
)


def _lexeme(word: str) -> str:
    # Words hold only letters, digits and marks; the escapes are a second lock.
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


@cache
def _labels(weight: str) -> list[str]:
    """Position labels ("17A"), written once rather than for every word."""
    return [f"{at}{weight}" for at in range(_POSITION_MAX + 1)]


def tsvector(fields: list[tuple[list[list[str]], str]]) -> str:
    """A tsvector literal of fields given as (their lines' words, weight),
    a position skipped between lines and between fields so a phrase stays
    inside one."""
    positions: dict[str, list[str]] = {}
    size, at = 0, 1
    for lines, weight in fields:
        labels = _labels(weight)
        for line in lines:
            for word in line:
                spots = positions.get(word)
                if spots is None:
                    size += 8 + len(word.encode())
                    if size > _VECTOR_BYTES_MAX:
                        continue
                    spots = positions[word] = []
                if len(spots) < _POSITIONS_PER_WORD and (at <= _POSITION_MAX or not spots):
                    spots.append(labels[min(at, _POSITION_MAX)])
                    size += 2
                at += 1
            at += 1
    return " ".join(f"{_lexeme(word)}:{','.join(spots)}" for word, spots in positions.items())


def _row(pk: int, text: WorkText) -> tuple:
    lines = {name: [words(line) for line in getattr(text, name).split("\n")] for name in FIELDS}
    return (
        pk,
        tsvector([(lines[name], _WEIGHTS[name]) for name in FIELDS]),
        *(tsvector([(lines[name], "D")]) for name in _FIELD_VECTORS),
    )


def index_replace(work_ids: list[int], texts: dict[int, WorkText]) -> None:
    """Forget `work_ids`, then index `texts`."""
    with connection.cursor() as cursor:
        for table in ("search_text", "search_text_shown"):
            cursor.execute(f"DELETE FROM {table} WHERE work_id = ANY(%s)", [list(work_ids)])  # noqa: S608
        cursor.executemany(_INSERT, [_row(pk, text) for pk, text in texts.items()])
        cursor.executemany(
            _INSERT_SHOWN, [(pk, text.summary, text.body) for pk, text in texts.items()]
        )


# As in migration 0002_text. Without a pending list (fastupdate) a posting
# costs a little more, but the planner never sees a long list of unsorted
# entries and turns to reading (and decompressing) every row.
_GIN = (
    "CREATE INDEX IF NOT EXISTS search_text_document ON search_text"
    " USING gin (document) WITH (fastupdate = off)"
)


def index_clear() -> None:
    """Empty the index, and drop its GIN index until `index_finish`: built
    once at the end, it takes a fraction of the time of a row-by-row update."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE search_text, search_text_shown")
        cursor.execute("DROP INDEX IF EXISTS search_text_document")


def index_forget_gone() -> None:
    """Forget works no longer posted (or no longer there at all)."""
    with connection.cursor() as cursor:
        for table in ("search_text", "search_text_shown"):
            # NOT EXISTS, an anti-join: NOT IN over a big subquery that
            # outgrows work_mem is checked row by row.
            cursor.execute(
                f"DELETE FROM {table} t WHERE NOT EXISTS "  # noqa: S608
                "(SELECT 1 FROM works_work w WHERE w.id = t.work_id AND w.state = 'posted')"
            )


def index_finish() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_GIN)
        cursor.execute("ANALYZE search_text")


def _phrase(term: Term) -> str:
    return "(" + " <-> ".join(_lexeme(word) for word in term.words) + ")"


def _tsqueries(query: TextQuery) -> tuple[str | None, list[str | None], str | None]:
    """(document query, [wanted, excluded] query for each field, wanted
    terms' query), as tsquery literals, None where there is no term."""
    wanted = " & ".join(_phrase(t) for t in query.terms if not t.negated) or None
    # Unrestricted exclusions go in the GIN-indexed document query too.
    document = [wanted] if wanted else []
    document += ["!" + _phrase(t) for t in query.terms if t.negated and not t.field]
    fields: list[str | None] = []
    for name in _FIELD_VECTORS:
        for negated, join in ((False, " & "), (True, " | ")):
            phrases = [_phrase(t) for t in query.terms if t.field == name and t.negated == negated]
            fields.append(join.join(phrases) or None)
    return " & ".join(document) or None, fields, wanted


def _matching(query: TextQuery, within: np.ndarray | None, ranked: bool) -> tuple[str, list]:
    """SQL for the works the query matches, one row of their ids (and with
    `ranked` their scores) each as one string, and its parameters."""
    document, fields, wanted = _tsqueries(query)
    columns = "string_agg(work_id::text, ',')"
    if ranked:
        columns += ", string_agg(ts_rank_cd(document, %s::tsquery)::text, ',')"
    params: list = [wanted] if ranked else []
    if within is not None and document:
        # A filtered search's few works: each looked up by id and checked,
        # instead of every work the words are in.
        checks = ["work_id = ANY(%s)", "document @@ %s::tsquery"]
        params += [within.tolist(), document]
        for index, q in enumerate(fields):
            if q:
                name = _FIELD_VECTORS[index // 2]
                checks.append(f"{'NOT ' if index % 2 else ''}{name} @@ %s::tsquery")
                params.append(q)
        where = " AND ".join(checks)  # this module's own, values as parameters
        return f"SELECT {columns} FROM search_text WHERE {where}", params  # noqa: S608
    if document:
        # Checked (and with a rank query, scored) in one scan, each work's
        # document read once (migration 0003_text_ranked).
        sql = "SELECT string_agg(work_id::text, ','), string_agg(score::text, ',')"
        sql += " FROM search_text_ranked(%s, %s" + _FIELD_PARAMS + ")"
        return sql, [document, wanted if ranked else None, *fields]
    # Only excluded field terms, or nothing: every row is read in any case.
    excluded = [(name, q) for name, q in zip(_FIELD_VECTORS, fields[1::2], strict=True) if q]
    where = " AND ".join(f"NOT {name} @@ %s::tsquery" for name, _ in excluded) or "TRUE"
    return f"SELECT {columns} FROM search_text WHERE {where}", params + [q for _, q in excluded]  # noqa: S608


def _fetch(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def match(query: TextQuery, within: np.ndarray | None = None) -> np.ndarray:
    """Ids of the works the query matches; only among `within` when given."""
    ids = _fetch(*_matching(query, within, ranked=False))[0]
    # One string of all the ids: a row per work would take three times as long.
    return np.sort(np.fromstring(ids or "", dtype=np.int64, sep=","))


def ranked(query: TextQuery, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, ts_rank_cd scores, higher is better) of the works a query with
    wanted terms matches, in one query."""
    ids, ranks = _fetch(*_matching(query, within, ranked=True))
    found = np.fromstring(ids or "", dtype=np.int64, sep=",")
    scores = np.fromstring(ranks or "", dtype=np.float64, sep=",")
    order = np.argsort(found)
    return found[order], scores[order]


def shown_texts(ids: list[int]) -> dict[int, tuple[str, str]]:
    """work id -> (summary, body) as plain text, as written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT work_id, summary, body FROM search_text_shown WHERE work_id = ANY(%s)",
            [list(ids)],
        )
        return {pk: (summary, body) for pk, summary, body in cursor.fetchall()}
