"""The counters on Work that follow community rows: kudos_count,
comment_count and bookmark_count.

Services change them with F() in the same transaction as the row they add or
remove (`work_count_add`), so two readers acting at once never lose a count;
`works_recount` sets them from the rows again and repairs any drift (a
periodic task and `work_refresh` call it)."""

from collections.abc import Iterable

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


def works_recount(*, work_ids: Iterable[int] | None = None) -> int:
    """Set the counters of `work_ids` (None: every work) from the rows; the
    number of works whose counters were wrong."""
    works = Work.objects.all() if work_ids is None else Work.objects.filter(pk__in=list(work_ids))
    counted = works.annotate(
        true_kudos=_count(Kudos),
        true_comments=_count(Comment, COUNTED_COMMENTS),
        true_bookmarks=_count(Bookmark, COUNTED_BOOKMARKS),
    )
    wrong = counted.filter(
        ~Q(kudos_count=F("true_kudos"))
        | ~Q(comment_count=F("true_comments"))
        | ~Q(bookmark_count=F("true_bookmarks"))
    ).values_list("pk", "true_kudos", "true_comments", "true_bookmarks")
    repaired = []
    for pk, kudos, comments, bookmarks in wrong.iterator():
        Work.objects.filter(pk=pk).update(
            kudos_count=kudos, comment_count=comments, bookmark_count=bookmarks
        )
        repaired.append(pk)
    _changed(repaired)
    return len(repaired)
