"""Full-text search over works: title, creators, tags, summary, notes and
chapter text, on SQLite (FTS5) or PostgreSQL (tsvector + GIN), whichever the
database is. The index holds only text, keyed by work id; filters, sorting
and facets are the filter index's (duster.search.index).
"""

from collections.abc import Callable, Iterable
from types import ModuleType

import numpy as np
from django.db import connection, transaction
from django.db.models import Max
from django.utils.safestring import SafeString

from duster.search.models import SearchChange
from duster.search.text import postgres, sqlite
from duster.search.text.documents import WorkText, work_texts
from duster.search.text.query import Term, TextQuery, parse_query
from duster.search.text.rebuild import BATCH, made_batches
from duster.search.text.snippets import snippet
from duster.works.models import Work

__all__ = [
    "Term",
    "TextQuery",
    "WorkText",
    "parse_query",
    "text_index_forget_gone",
    "text_index_rebuild",
    "text_index_refresh",
    "text_match",
    "scores_of",
    "text_ranked",
    "text_snippets",
]


def _backend() -> ModuleType:
    return postgres if connection.vendor == "postgresql" else sqlite


def text_index_refresh(work_ids: Iterable[int]) -> None:
    """Index those works as they are now: posted ones (again), others out."""
    ids = sorted({int(pk) for pk in work_ids})
    backend = _backend()
    for at in range(0, len(ids), BATCH):
        batch = ids[at : at + BATCH]
        with transaction.atomic():
            backend.index_write(batch, backend.index_rows(work_texts(batch)))


def text_index_forget_gone() -> None:
    """Forget works that are gone or no longer posted, whatever removed them
    (a database flushed or restored under the index)."""
    _backend().index_forget_gone()


def text_index_rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Index every posted work afresh; `progress(done, total)` after each
    batch. Returns the number of works indexed."""
    backend = _backend()
    total = Work.objects.posted().count()
    # Works changed while the rebuild runs may be written as they were
    # read, after their own refresh: they are indexed again at the end.
    seen = SearchChange.objects.aggregate(last=Max("pk"))["last"] or 0
    backend.index_clear()
    done = 0
    try:
        for batch, posted, rows in made_batches(backend, total):
            with transaction.atomic():
                backend.index_write(batch, rows)
            done += posted
            if progress:
                progress(done, max(total, done))
    finally:
        backend.index_finish()
    changed = SearchChange.objects.filter(pk__gt=seen).values_list("work_id", flat=True)
    text_index_refresh(pk for pk in changed if pk is not None)
    return done


def text_match(query: TextQuery, within: np.ndarray | None = None) -> np.ndarray:
    """Ids of all indexed works the query matches, sorted (int64); with
    `within` (sorted ids), those of them the query matches, which a backend
    may find faster by looking at those works alone."""
    found = _backend().match(query, within)
    return found if within is None else found[np.isin(found, within, assume_unique=True)]


def text_ranked(
    query: TextQuery, within: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores): the works `text_match` finds, sorted, each with how
    well it matches (float64, higher is better), found and scored in one
    pass. Without a wanted term nothing ranks: every score is 0."""
    if query.is_empty():
        found = text_match(query, within)
        return found, np.zeros(len(found), dtype=np.float64)
    found, scores = _backend().ranked(query, within)
    if within is not None:
        kept = np.isin(found, within, assume_unique=True)
        found, scores = found[kept], scores[kept]
    return found, scores


def scores_of(ids: np.ndarray, found: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The scores of `ids` (aligned with them) from those of the works
    `found` (sorted, as `text_ranked` returns them); 0 for a work not among
    them."""
    aligned = np.zeros(len(ids), dtype=np.float64)
    if len(found):
        at = np.minimum(np.searchsorted(found, ids), len(found) - 1)
        hit = found[at] == ids
        aligned[hit] = scores[at[hit]]
    return aligned


def text_snippets(query: TextQuery, ids: list[int]) -> dict[int, SafeString]:
    """Highlighted excerpts for a page of works, in one query. A work whose
    chapter text and summary hold no match has none (its title, tags or
    creators matched, which its blurb shows anyway)."""
    if query.is_empty() or not ids:
        return {}
    found = {}
    for pk, (summary, body) in _backend().shown_texts(list(ids)).items():
        excerpt = snippet(query, summary, body)
        if excerpt is not None:
            found[pk] = excerpt
    return found
