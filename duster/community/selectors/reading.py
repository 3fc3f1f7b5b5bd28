"""The reading part of a work's reading pages (see duster.community.page),
and the member's History and Marked for Later lists."""

from typing import Any

from django.db.models import Prefetch

from duster.community.models import Reading
from duster.community.selectors.member import MemberOfWork, member_of_work
from duster.community.services.history import reading_record
from duster.works.models import Chapter, Work


def reading_page_context(
    request, *, work, chapters, shown, full_work: bool, own: MemberOfWork | None = None
) -> dict[str, Any]:
    """For a member other than the work's creators: their Reading of the work
    (from `own`, what they have of the work; one statement when not given),
    the chapter to continue from when it is not the one shown, and this view
    remembered in their history (a row write only when the cache does not
    hold it already, see services.history). For guests and creators nothing
    that depends on the reader, and no query."""
    user = request.user
    if not user.is_authenticated or work.is_creator(user):
        return {"reading_member": False}
    reading = (own or member_of_work(user, work)).reading
    continue_chapter = None
    if reading is not None and reading.chapter_id is not None and not full_work:
        shown_ids = {chapter.pk for chapter in shown}
        if reading.chapter_id not in shown_ids:
            continue_chapter = next((c for c in chapters if c.pk == reading.chapter_id), None)
    # Which chapter this view is: a chapter's own page, or the only one. The
    # entire work, and a work's front page once a chapter is recorded, leave
    # the row's chapter as it was: opening the work again is no reading back.
    chapter = None
    if len(chapters) == 1:
        chapter = chapters[0]
    elif len(shown) == 1:
        match = getattr(request, "resolver_match", None)
        on_chapter_page = match is not None and match.url_name == "chapter_detail"
        if on_chapter_page or reading is None or reading.chapter_id is None:
            chapter = shown[0]
    reading_record(user=user, work=work, chapter=chapter, reading=reading, known=True)
    return {
        "reading_member": True,
        "marked_for_later": reading is not None and reading.marked_for_later,
        "continue_chapter": continue_chapter,
    }


def _readings(user):
    """`user`'s readings of works they may still see, with what a list shows:
    a fixed number of queries per page, whatever the number of works."""
    visible = Work.objects.visible_to(user)
    return (
        Reading.objects.filter(user=user, work__in=visible)
        .prefetch_related(
            Prefetch("work", queryset=Work.objects.for_listing()),
            Prefetch(
                "chapter",
                queryset=Chapter.objects.only("id", "position", "title", "work_id", "posted"),
            ),
        )
        .order_by("-last_read_at", "-pk")
    )


def history_of(user):
    """The works `user` read, the latest first (rows kept only for Marked for
    Later have no visit and are left out)."""
    return _readings(user).filter(visits__gt=0)


def marked_for_later_of(user):
    return _readings(user).filter(marked_for_later=True)
