from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from duster.lib.text import word_count
from duster.works.models import Chapter, Work, WorkState
from duster.works.services.stats import work_refresh

CHAPTER_FIELDS = ("title", "summary", "notes", "end_notes", "body")


class EditConflict(Exception):
    """The chapter changed after its edit form was opened."""

    def __init__(self, current: Chapter):
        super().__init__("This chapter was changed after you opened it.")
        self.current = current


def chapter_prepare(chapter: Chapter) -> None:
    """Derive what is stored beside the text, and validate."""
    chapter.word_count = word_count(chapter.body)
    chapter.full_clean(exclude=["work"])


@transaction.atomic
def chapter_create(*, work: Work, fields: dict, post: bool = True) -> Chapter:
    """Add a chapter at the end. On a posted work it is posted unless `post` is
    False; a draft work's chapters are posted with the work."""
    last = work.chapters.aggregate(last=Max("position"))["last"] or 0
    chapter = Chapter(work=work, position=last + 1, **fields)
    chapter_prepare(chapter)
    if post and work.state != WorkState.DRAFT:
        chapter.posted = True
        chapter.published_at = timezone.now()
    chapter.save()
    work_refresh(work=work)
    return chapter


@transaction.atomic
def chapter_update(*, chapter: Chapter, fields: dict, version: int) -> Chapter:
    """Save an edit made on top of `version`; raise EditConflict, saving
    nothing, if someone saved a newer version in between."""
    for name in CHAPTER_FIELDS:
        if name in fields:
            setattr(chapter, name, fields[name])
    chapter_prepare(chapter)
    values = {name: getattr(chapter, name) for name in CHAPTER_FIELDS}
    updated = Chapter.objects.filter(pk=chapter.pk, version=version).update(
        **values,
        word_count=chapter.word_count,
        version=F("version") + 1,
        modified_at=timezone.now(),
    )
    if not updated:
        raise EditConflict(Chapter.objects.get(pk=chapter.pk))
    chapter.refresh_from_db()
    work_refresh(work=chapter.work)
    return chapter


@transaction.atomic
def chapter_post(*, chapter: Chapter) -> Chapter:
    """Post a draft chapter of a posted work (work_refresh raises the expected
    count when it goes beyond it). Posting it again changes nothing."""
    if chapter.posted:
        return chapter
    chapter.posted = True
    chapter.published_at = timezone.now()
    chapter.save(update_fields=["posted", "published_at"])
    work_refresh(work=chapter.work)
    return chapter


@transaction.atomic
def chapter_delete(*, chapter: Chapter) -> None:
    work = chapter.work
    if work.chapters.count() <= 1:
        raise ValidationError("A work needs at least one chapter; delete the work instead.")
    others_posted = work.chapters.filter(posted=True).exclude(pk=chapter.pk).exists()
    if work.state != WorkState.DRAFT and chapter.posted and not others_posted:
        # Readers would find a posted work with nothing to read.
        raise ValidationError(
            "This is the only posted chapter; post another one first, or delete the work."
        )
    chapter.delete()
    _renumber(list(work.chapters.order_by("position")))
    work_refresh(work=work)


@transaction.atomic
def chapter_reorder(*, work: Work, positions: dict[int, int]) -> None:
    """Put chapters in the order of the numbers given for them (chapter pk ->
    wanted position); ties keep their current order."""
    chapters = list(work.chapters.order_by("position"))
    if set(positions) != {c.pk for c in chapters}:
        raise ValidationError("Give a position for every chapter.")
    chapters.sort(key=lambda c: (positions[c.pk], c.position))
    _renumber(chapters)


def _renumber(chapters: list[Chapter]) -> None:
    for number, chapter in enumerate(chapters, start=1):
        chapter.position = number
    Chapter.objects.bulk_update(chapters, ["position"])
