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
    work.complete = work.expected_chapters is not None and work.chapter_count >= (
        work.expected_chapters
    )
    if work.complete and work.completed_at is None:
        work.completed_at = totals["last"] or work.published_at or timezone.now()
    elif not work.complete:
        work.completed_at = None
    dates = [d for d in (work.published_at, totals["last"]) if d]
    work.updated_at = max(dates) if dates else None
    work.save(
        update_fields=[
            "chapter_count",
            "word_count",
            "complete",
            "completed_at",
            "updated_at",
        ]
    )
