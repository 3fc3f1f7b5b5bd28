"""Reading history and Marked for Later: one Reading row per member and work.

Reading never changes state per view: a member's view is remembered in the
cache (user, work → chapter) for HISTORY_WINDOW_SECONDS, and the row is
written only when the view is new to the cache: the first in a window (one
more visit) or another chapter than the one remembered (the same visit, read
on). Reading a chapter again and again within the window writes nothing.

A row kept only because the work is marked for later, with no reading in it
(history off, or cleared), has visits == 0 and no chapter: the history page
leaves it out, the Marked for Later page shows it.
"""

import logging

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from duster.community.models import Reading

logger = logging.getLogger(__name__)

HISTORY_WINDOW_SECONDS = 10 * 60
# Stands in the cache for "the whole work was shown" (no one chapter).
WHOLE_WORK = 0


def _cache():
    return caches["default"]


def _seen_key(user_id: int, work_id: int) -> str:
    return f"reading:{user_id}:{work_id}"


def reading_record(
    *, user, work, chapter=None, reading: Reading | None = None, known=False
) -> bool:
    """Remember that `user` read `chapter` of `work` (chapter None: the whole
    work was shown, and the row keeps the chapter it had). `known=True` says
    the caller looked the row up already and passes it (or None when there is
    none), which saves a query. True when a row was written.

    Nothing is written for guests, for members who turned history off, or
    when the cache says this member read this chapter within the window."""
    if user is None or not user.is_authenticated or not user.history_enabled:
        return False
    cache = _cache()
    key = _seen_key(user.pk, work.pk)
    chapter_id = chapter.pk if chapter is not None else WHOLE_WORK
    seen = cache.get(key)
    if seen is not None and (seen == chapter_id or chapter_id == WHOLE_WORK):
        return False
    new_visit = seen is None
    try:
        # One statement each (an insert in a savepoint of its own, for the
        # race with another tab): no transaction around them is needed.
        _reading_write(user, work, chapter, reading, known, new_visit=new_visit)
    except OperationalError as error:
        # A long write elsewhere holds SQLite's lock: the page matters more
        # than one history entry (the next view tries again).
        if "locked" not in str(error).lower():
            raise
        logger.warning("Reading of work %s by user %s not kept: %s", work.pk, user.pk, error)
        return False
    cache.set(key, chapter_id, HISTORY_WINDOW_SECONDS)
    return True


def _reading_write(user, work, chapter, reading, known: bool, *, new_visit: bool) -> None:
    now = timezone.now()
    changes: dict = {"last_read_at": now}
    if chapter is not None:
        changes["chapter"] = chapter
    if new_visit:
        changes["visits"] = F("visits") + 1
    if known and reading is None:
        try:
            with transaction.atomic():
                Reading.objects.create(user=user, work=work, chapter=chapter, last_read_at=now)
            return
        except IntegrityError:  # another tab of the same member got there first
            pass
    updated = Reading.objects.filter(user=user, work=work).update(**changes)
    if not updated and not known:
        try:
            with transaction.atomic():
                Reading.objects.create(user=user, work=work, chapter=chapter, last_read_at=now)
        except IntegrityError:
            Reading.objects.filter(user=user, work=work).update(**changes)


def _forget(user_id: int, work_ids) -> None:
    _cache().delete_many([_seen_key(user_id, work_id) for work_id in work_ids])


@transaction.atomic
def history_delete(*, user, work_id: int) -> bool:
    """Take one work out of `user`'s history; a work marked for later stays
    marked (with no reading kept). True when there was something to take out."""
    readings = Reading.objects.filter(user=user, work_id=work_id, visits__gt=0)
    cleared = readings.filter(marked_for_later=True).update(visits=0, chapter=None)
    deleted, _ = readings.filter(marked_for_later=False).delete()
    _forget(user.pk, [work_id])
    return bool(cleared or deleted)


@transaction.atomic
def history_clear(*, user) -> int:
    """Take every work out of `user`'s history (Marked for Later stays).
    How many works were taken out."""
    readings = Reading.objects.filter(user=user, visits__gt=0)
    work_ids = list(readings.values_list("work_id", flat=True))
    readings.filter(marked_for_later=True).update(visits=0, chapter=None)
    readings.filter(marked_for_later=False).delete()
    _forget(user.pk, work_ids)
    return len(work_ids)


@transaction.atomic
def reading_mark_for_later(*, user, work) -> Reading:
    """Mark `work` for later. With history off the row keeps no chapter and
    no visit: only the mark (and when it was made)."""
    if not user.is_authenticated:
        raise ValidationError("Log in to mark works for later.")
    now = timezone.now()
    updated = Reading.objects.filter(user=user, work=work).update(marked_for_later=True)
    if not updated:
        reading = Reading(
            user=user, work=work, chapter=None, visits=0, last_read_at=now, marked_for_later=True
        )
        reading.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                reading.save()
        except IntegrityError:  # marked (or read) in a parallel request
            Reading.objects.filter(user=user, work=work).update(marked_for_later=True)
    return Reading.objects.get(user=user, work=work)


@transaction.atomic
def reading_unmark_for_later(*, user, work_id: int) -> None:
    """Take the mark off; a row kept only for the mark goes."""
    Reading.objects.filter(user=user, work_id=work_id, visits=0).delete()
    Reading.objects.filter(user=user, work_id=work_id).update(marked_for_later=False)
