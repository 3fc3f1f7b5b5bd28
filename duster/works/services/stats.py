from django.db.models import Count, Max, Sum
from django.utils import timezone

from duster.works.models import Work, WorkState


def work_refresh(*, work: Work) -> None:
    """Recount chapters and words and derive the status from them.

    A draft counts all its chapters (they are all posted with it); a posted
    work counts its posted chapters only."""
    chapters = work.chapters.all()
    if work.state != WorkState.DRAFT:
        chapters = chapters.filter(posted=True)
    totals = chapters.aggregate(n=Count("pk"), words=Sum("word_count"), last=Max("published_at"))
    work.chapter_count = totals["n"]
    work.word_count = totals["words"] or 0
    if work.expected_chapters is not None and work.chapter_count > work.expected_chapters:
        # One chapter more than planned raises the plan rather than showing "6/5".
        work.expected_chapters = work.chapter_count
    work.complete = work.chapter_count == work.expected_chapters
    # Completed when its last counted chapter was posted; a draft has no such
    # date yet, and posting it recomputes this.
    if work.complete:
        work.completed_at = totals["last"] or work.published_at or timezone.now()
    else:
        work.completed_at = None
    dates = [d for d in (work.published_at, totals["last"]) if d]
    work.updated_at = max(dates) if dates else None
    work.save(
        update_fields=[
            "chapter_count",
            "expected_chapters",
            "word_count",
            "complete",
            "completed_at",
            "updated_at",
        ]
    )
