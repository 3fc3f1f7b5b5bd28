"""Writes to works, chapters and series: `<thing>_<action>` functions with
keyword-only arguments, each inside one transaction."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from duster.lib.richtext import full_clean_public, rich_text_apply
from duster.works.models import Chapter, Work, WorkState
from duster.works.services.stats import work_refresh
from duster.works.signals import announce_on_commit, chapter_posted

CHAPTER_FIELDS = ("title", "summary", "notes", "end_notes", "body", "text_format")


class EditConflict(Exception):
    """The chapter changed after its edit form was opened."""

    def __init__(self, current: Chapter):
        super().__init__("This chapter was changed after you opened it.")
        self.current = current


def as_datetime(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A publication date as an aware time; a date alone is taken at noon UTC,
    so it stays the same day in every reader's time zone around the world."""
    if value is None or isinstance(value, dt.datetime):
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value
    return dt.datetime.combine(value, dt.time(12), tzinfo=dt.UTC)


def check_published_at(value: dt.datetime | None) -> None:
    if value is not None and value > timezone.now() + dt.timedelta(days=1):
        raise ValidationError({"published_at": "A publication date can't be in the future."})


def chapter_prepare(chapter: Chapter, fields: dict) -> None:
    """Apply `fields` (typed text in fields["text_format"], default the
    chapter's) and validate: the HTML and word count are derived on the way."""
    rich_text_apply(chapter, fields, plain=("title",))
    full_clean_public(chapter, exclude=["work"])


def lock_work(work: Work) -> None:
    """Serialize writers of one work's chapters and counters (PostgreSQL; on
    SQLite the IMMEDIATE transaction already holds the database's write lock)."""
    Work.objects.select_for_update().filter(pk=work.pk).values_list("pk", flat=True).first()


@transaction.atomic
def chapter_create(
    *,
    work: Work,
    fields: dict,
    post: bool = True,
    published_at: dt.date | dt.datetime | None = None,
) -> Chapter:
    """Add a chapter at the end. On a posted work it is posted unless `post` is
    False; a draft work's chapters are posted with the work. `published_at`
    backdates it (an imported chapter keeps its own historical date)."""
    lock_work(work)
    when = as_datetime(published_at)
    check_published_at(when)
    last = work.chapters.aggregate(last=Max("position"))["last"] or 0
    chapter = Chapter(work=work, position=last + 1, published_at=when)
    chapter_prepare(chapter, fields)
    if post and work.state != WorkState.DRAFT:
        chapter.posted = True
        chapter.published_at = when or timezone.now()
    chapter.save()
    work_refresh(work=work)
    if chapter.posted:
        _posted_on_commit(chapter)
    return chapter


@transaction.atomic
def chapter_update(
    *,
    chapter: Chapter,
    fields: dict,
    version: int,
    published_at: dt.date | dt.datetime | None = None,
) -> Chapter:
    """Save an edit made on top of `version`; raise EditConflict, saving
    nothing, if someone saved a newer version in between."""
    current = Chapter.objects.select_for_update().filter(pk=chapter.pk).first()
    if current is None:
        raise ValidationError("This chapter was deleted after you opened it.")
    if current.version != version:
        raise EditConflict(current)
    chapter.version = current.version
    chapter_prepare(chapter, fields)
    if published_at is not None:
        chapter.published_at = as_datetime(published_at)
        check_published_at(chapter.published_at)
    chapter.version += 1
    chapter.save()
    work_refresh(work=chapter.work)
    return chapter


@transaction.atomic
def chapter_post(*, chapter: Chapter) -> Chapter:
    """Post a draft chapter of a posted work (work_refresh raises the expected
    count when it goes beyond it). Posting it again changes nothing."""
    lock_work(chapter.work)
    if chapter.posted:
        return chapter
    chapter.posted = True
    chapter.published_at = chapter.published_at or timezone.now()
    chapter.save(update_fields=["posted", "published_at", "modified_at"])
    work_refresh(work=chapter.work)
    _posted_on_commit(chapter)
    return chapter


def _posted_on_commit(chapter: Chapter) -> None:
    """Subscribers hear of a new chapter once it is there to read (see works.signals)."""
    announce_on_commit(chapter_posted, Chapter, chapter=chapter)


@transaction.atomic
def chapter_delete(*, chapter: Chapter) -> None:
    work = chapter.work
    lock_work(work)
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


def check_order(positions: dict[int, int], what: str) -> None:
    """Positions must number the items 1..n, each once: say what is wrong."""
    size = len(positions)
    outside = sorted({p for p in positions.values() if not 1 <= p <= size})
    if outside:
        raise ValidationError(
            f"Number the {what} from 1 to {size}: {', '.join(map(str, outside))} "
            f"{'is' if len(outside) == 1 else 'are'} outside that range. Nothing was changed."
        )
    seen: dict[int, int] = {}
    for number in positions.values():
        seen[number] = seen.get(number, 0) + 1
    twice = sorted(n for n, count in seen.items() if count > 1)
    if twice:
        raise ValidationError(
            f"Give each of the {what} its own number: {', '.join(map(str, twice))} "
            f"{'is' if len(twice) == 1 else 'are'} used more than once. Nothing was changed."
        )


@transaction.atomic
def chapter_reorder(*, work: Work, positions: dict[int, int]) -> bool:
    """Put chapters in the order given (chapter pk -> 1-based position, each
    position once). Returns whether the order changed."""
    lock_work(work)
    chapters = list(work.chapters.order_by("position"))
    if set(positions) != {c.pk for c in chapters}:
        raise ValidationError("Give a position for every chapter.")
    check_order(positions, "chapters")
    before = [c.pk for c in chapters]
    chapters.sort(key=lambda c: positions[c.pk])
    if [c.pk for c in chapters] == before:
        return False
    _renumber(chapters)
    work_refresh(work=work)
    return True


def _renumber(chapters: list[Chapter]) -> None:
    for number, chapter in enumerate(chapters, start=1):
        chapter.position = number
    Chapter.objects.bulk_update(chapters, ["position"])
