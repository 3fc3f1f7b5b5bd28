"""The counters on Work that follow community rows: kudos_count,
comment_count and bookmark_count.

Services change them with F() in the same transaction as the row they add or
remove (`work_count_add`), so two readers acting at once never lose a count;
`works_recount` sets them from the rows again and repairs any drift (a
periodic task and `work_refresh` call it)."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from duster.community.choices import CommentState
from duster.community.models import Bookmark, Comment, Kudos
from duster.lib.pagecache import pages_changed
from duster.works.models import Work
from duster.works.signals import works_changed

COUNTERS = ("kudos_count", "comment_count", "bookmark_count")

# The rows each counter counts: comments readers can see (not queued, hidden
# or deleted), every kudos, and public bookmarks.
COUNTED_COMMENTS = Q(state=CommentState.PUBLISHED)
COUNTED_BOOKMARKS = Q(private=False)


def _changed(work_ids: Iterable[int]) -> None:
    work_ids = set(work_ids)
    if not work_ids:
        return
    # update() sends no signal: the cached pages and the search follow here.
    pages_changed(work_ids=work_ids)
    works_changed.send(sender=None, work_ids=work_ids, text=False)


def work_count_add(*, work_id: int, counter: str, delta: int) -> None:
    """Add `delta` (negative to take away) to one counter of a work. Call it
    inside the transaction that adds or removes the counted row."""
    if counter not in COUNTERS:
        raise ValueError(f"{counter} is not a community counter")
    if not delta:
        return
    Work.objects.filter(pk=work_id).update(**{counter: F(counter) + delta})
    _changed([work_id])


def _count(model, condition: Q | None = None):
    rows = (
        model.objects.filter(condition or Q(), work=OuterRef("pk"))
        .order_by()
        .values("work")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), Value(0))


def _true_counts(works):
    return works.annotate(
        true_kudos=_count(Kudos),
        true_comments=_count(Comment, COUNTED_COMMENTS),
        true_bookmarks=_count(Bookmark, COUNTED_BOOKMARKS),
    )


def _wrong(works):
    return (
        _true_counts(works)
        .filter(
            ~Q(kudos_count=F("true_kudos"))
            | ~Q(comment_count=F("true_comments"))
            | ~Q(bookmark_count=F("true_bookmarks"))
        )
        .order_by()
        .values_list("pk", "true_kudos", "true_comments", "true_bookmarks")
    )


def _repair(pk: int) -> bool:
    """Count one work's rows again with its row locked, and set its counters.

    The lock makes the count and the write one step: a kudos added meanwhile
    either committed before the lock was taken (and is counted here) or adds
    its +1 after this commits (its F() update waits for the lock). SQLite
    runs one writing transaction at a time, which does the same."""
    with transaction.atomic():
        locked = Work.objects.select_for_update().filter(pk=pk)
        if not locked.values_list("pk", flat=True):  # takes the lock; gone meanwhile
            return False
        row = _wrong(Work.objects.filter(pk=pk)).first()
        if row is None:  # right after all: the first look raced a change
            return False
        _pk, kudos, comments, bookmarks = row
        Work.objects.filter(pk=pk).update(
            kudos_count=kudos, comment_count=comments, bookmark_count=bookmarks
        )
        _changed([pk])
    return True


def works_recount(*, work_ids: Iterable[int] | None = None) -> int:
    """Set the counters of `work_ids` (None: every work) from the rows; the
    number of works whose counters were wrong. Cheap when they are right:
    one read; only a work found wrong is locked and written."""
    works = Work.objects.all() if work_ids is None else Work.objects.filter(pk__in=list(work_ids))
    suspects = [pk for pk, *_counts in _wrong(works)]
    return sum(_repair(pk) for pk in suspects)


RECOUNT_BATCH = 1000


def works_recount_all(*, batch_size: int = RECOUNT_BATCH) -> int:
    """works_recount over every work, `batch_size` works at a time in the
    order of their ids (a batch is one short read, however big the archive);
    the number of works repaired."""
    repaired, last = 0, 0
    while True:
        ids = list(
            Work.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return repaired
        repaired += works_recount(work_ids=ids)
        last = ids[-1]
