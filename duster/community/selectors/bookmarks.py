"""Reads of bookmarks: the bookmarks part of a work's reading pages (see
duster.community.page) and a user's bookmarks page."""

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q

from duster.accounts.mutes import NO_MUTES, Mutes
from duster.community.models import Bookmark
from duster.community.selectors.member import MemberOfWork, member_of_work
from duster.tags.models import FilterTagging, Tag
from duster.works.models import Creatorship, Series, SeriesEntry, Work, byline_credits


def bookmark_of(user, *, work=None, series=None) -> Bookmark | None:
    """`user`'s bookmark of a work or a series, with its tags, for the form."""
    if not user.is_authenticated:
        return None
    target = {"work": work} if work is not None else {"series": series}
    return Bookmark.objects.filter(user=user, **target).prefetch_related("tags").first()


def bookmarks_page_context(
    request, *, work, chapters, shown, full_work: bool, own: MemberOfWork | None = None
) -> dict[str, Any]:
    """A guest: nothing (the count is on the work, the link the same for all).
    A member: the id of their bookmark of the work, if any (from `own`, what
    they have of the work, looked up when not given)."""
    user = request.user
    if not user.is_authenticated:
        return {"my_bookmark_id": None}
    own = own or member_of_work(user, work)
    return {"my_bookmark_id": own.bookmark_id}


def _series_shown(viewer) -> Q:
    """A series bookmark shows when the series has a work `viewer` may see
    (not an anonymous one: a series names its creators), or `viewer` is one
    of its creators; as on the series page (series_for_reader)."""
    works = Work.objects.visible_to(viewer).filter(anonymous=False)
    entries = SeriesEntry.objects.filter(series_id=OuterRef("series_id"), work__in=works)
    shown = Q(Exists(entries))
    if viewer is not None and viewer.is_authenticated:
        own = Creatorship.objects.filter(
            series_id=OuterRef("series_id"), pseud__user=viewer, approved=True
        )
        shown |= Q(Exists(own))
    return shown


def bookmarks_of(owner, *, viewer, mutes: Mutes = NO_MUTES):
    """`owner`'s bookmarks as `viewer` may see them, newest first: private
    ones for the owner alone; bookmarks of works or series `viewer` may not
    see, and of works by creators or under tags `viewer` muted, are left
    out. Prefetched for the page in a fixed number of queries."""
    bookmarks = Bookmark.objects.filter(user=owner)
    if viewer != owner:
        bookmarks = bookmarks.filter(private=False)
    visible_works = Work.objects.visible_to(viewer)
    if mutes.user_ids:
        muted = Creatorship.objects.filter(
            approved=True, pseud__user_id__in=mutes.user_ids, work__anonymous=False
        )
        visible_works = visible_works.exclude(pk__in=muted.values("work_id"))
    if mutes.tag_ids:
        tagged = FilterTagging.objects.filter(tag_id__in=mutes.tag_ids)
        visible_works = visible_works.exclude(pk__in=tagged.values("work_id"))
    visible_works = visible_works.values("pk")
    bookmarks = bookmarks.filter(
        Q(work__isnull=True, series__isnull=False) & _series_shown(viewer)
        | Q(work__in=visible_works)
    )
    series = Series.objects.defer("summary_source", "notes_source", "notes").prefetch_related(
        Prefetch("creatorships", queryset=byline_credits(), to_attr="credits")
    )
    return (
        bookmarks.defer("notes_source")
        .prefetch_related(
            Prefetch("work", queryset=Work.objects.for_listing()),
            Prefetch("series", queryset=series),
            Prefetch("tags", queryset=Tag.objects.only("id", "name", "slug", "type")),
        )
        .order_by("-created_at", "-pk")
    )
