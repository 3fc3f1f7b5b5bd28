from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from duster.lib.pagecache import pages_changed
from duster.works.models import Work, WorkState
from duster.works.signals import works_changed


def work_refresh(*, work: Work, recount: bool = True) -> None:
    """Recount chapters and words, derive the status and dates from them, and
    mark the work as changed (caches and downloads key on `modified_at`).
    With `recount`, its kudos, comment and bookmark counters are set from
    their rows again (a work being created or posted has none to recount:
    its counters followed every row as it came).

    A draft counts all its chapters (they are all posted with it); a posted
    work counts its posted chapters only. A draft has no dates a reader sees:
    nothing has happened yet."""
    chapters = work.chapters.all()
    posted = work.state != WorkState.DRAFT
    if posted:
        chapters = chapters.filter(posted=True)
    totals = chapters.aggregate(
        n=Count("pk"),
        words=Sum("word_count"),
        first=Min("published_at"),
        last=Max("published_at"),
    )
    work.chapter_count = totals["n"]
    work.word_count = totals["words"] or 0
    if work.expected_chapters is not None and work.chapter_count > work.expected_chapters:
        # One chapter more than planned raises the plan rather than showing "6/5".
        work.expected_chapters = work.chapter_count
    work.complete = work.chapter_count == work.expected_chapters
    if posted:
        if totals["first"] and (not work.published_at or totals["first"] < work.published_at):
            # A backdated (or imported) first chapter dates the work.
            work.published_at = totals["first"]
        dates = [d for d in (work.published_at, totals["last"]) if d]
        work.updated_at = max(dates) if dates else None
        # Completed when its last counted chapter was posted.
        work.completed_at = (
            (totals["last"] or work.published_at or timezone.now()) if work.complete else None
        )
    else:
        work.updated_at = None
        work.completed_at = None
    work.save(
        update_fields=[
            "chapter_count",
            "expected_chapters",
            "word_count",
            "complete",
            "published_at",
            "completed_at",
            "updated_at",
            "modified_at",
        ]
    )
    if recount:
        from duster.community.services.counts import works_recount  # community builds on works

        works_recount(work_ids=[work.pk])


def works_touch(*, work_ids) -> None:
    """Mark works as changed when something shown on their pages changed
    elsewhere (a series they are part of, a creator's pseud)."""
    work_ids = list(work_ids)
    Work.objects.filter(pk__in=work_ids).update(modified_at=timezone.now())
    pages_changed(work_ids=work_ids)  # update() sends no signal
    works_changed.send(sender=None, work_ids=set(work_ids), text=True)
