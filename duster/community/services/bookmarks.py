"""Bookmarks of works and series: public or private, a "rec" flag, notes
(plain text, sanitized at the model), and the bookmarker's own tags.

A work's bookmark_count counts its public bookmarks: saving one, deleting
one, or making one private or public again moves the count, in the same
transaction, with the bookmark's row locked so two saves of one bookmark at
once move it once."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from duster.community.models import Bookmark
from duster.community.services.counts import work_count_add
from duster.lib.richtext import full_clean_public
from duster.tags.models import TagType
from duster.tags.services import tags_find_or_create, tags_validate
from duster.works.models import Series, Work
from duster.works.rules import TAGS_PER_TYPE_MAX
from duster.works.selectors import series_for_reader

NOTES_FORMAT = "text"
NOT_VISIBLE = "There is nothing to bookmark here."


def _counted(bookmark: Bookmark | None) -> int:
    """1 if `bookmark` counts on its work's bookmark_count."""
    return int(bookmark is not None and bookmark.work_id is not None and not bookmark.private)


def _check_visible(*, user, work: Work | None, series: Series | None) -> None:
    if (work is None) == (series is None):
        raise ValueError("Bookmark a work or a series.")
    if work is not None:
        if not Work.objects.visible_to(user).filter(pk=work.pk).exists():
            raise ValidationError(NOT_VISIBLE)
    else:
        try:
            series_for_reader(series.pk, user)  # type: ignore[union-attr]
        except Http404:
            raise ValidationError(NOT_VISIBLE) from None


def _tags(names: Iterable[str]):
    names = [name for name in names if name.strip()]
    if len(names) > TAGS_PER_TYPE_MAX:
        raise ValidationError(
            {"tags": f"Use at most {TAGS_PER_TYPE_MAX} tags here (you have {len(names)})."}
        )
    try:
        tags_validate(names)
    except ValidationError as error:
        raise ValidationError({"tags": error.messages}) from None
    return tags_find_or_create(tag_type=TagType.FREEFORM, names=names)


def bookmark_save(
    *,
    user,
    work: Work | None = None,
    series: Series | None = None,
    notes: str = "",
    tags: Iterable[str] = (),
    private: bool = False,
    rec: bool = False,
) -> Bookmark:
    """Bookmark a work or a series `user` can see, or change their bookmark
    of it; ValidationError (by field: notes, tags) when something is wrong,
    and then nothing is saved."""
    _check_visible(user=user, work=work, series=series)
    now = timezone.now()
    with transaction.atomic():
        target = {"work": work} if work is not None else {"series": series}
        bookmark = Bookmark.objects.select_for_update().filter(user=user, **target).first()
        was_counted = _counted(bookmark)
        if bookmark is None:
            bookmark = Bookmark(user=user, pseud=user.default_pseud, created_at=now, **target)
        bookmark.rich_text_set("notes", notes, NOTES_FORMAT)
        bookmark.private = private
        bookmark.rec = rec
        bookmark.updated_at = now
        full_clean_public(bookmark)
        tag_rows = _tags(tags)
        try:
            with transaction.atomic():
                bookmark.save()
        except IntegrityError:
            # The same bookmark made by another request a moment ago.
            raise ValidationError(
                "You have bookmarked this already: open your bookmark to change it."
            ) from None
        bookmark.tags.set(tag_rows)
        if bookmark.work_id is not None:
            work_count_add(
                work_id=bookmark.work_id,
                counter="bookmark_count",
                delta=_counted(bookmark) - was_counted,
            )
    return bookmark


def bookmark_delete(*, bookmark: Bookmark) -> None:
    """Delete a bookmark (its tags stay: they are the archive's); deleting one
    that is already gone does nothing."""
    with transaction.atomic():
        row = Bookmark.objects.select_for_update().filter(pk=bookmark.pk).first()
        if row is None:
            return
        row.delete()
        if row.work_id is not None and _counted(row):
            work_count_add(work_id=row.work_id, counter="bookmark_count", delta=-1)
