"""What the community adds to a work's reading pages (work, chapter, entire
work): one entry point the reading views call, so the works app does not
need to know each part."""

from typing import Any

from duster.community.selectors.bookmarks import bookmarks_page_context
from duster.community.selectors.comments import comments_page_context
from duster.community.selectors.kudos import kudos_page_context
from duster.community.selectors.member import member_of_work
from duster.community.selectors.reading import reading_page_context

PARTS = (kudos_page_context, bookmarks_page_context, reading_page_context, comments_page_context)


def work_page_context(request, *, work, chapters, shown, full_work: bool) -> dict[str, Any]:
    """Extra context for works/work_detail.html's community footer. Each part
    adds a fixed number of queries, whatever the number of comments, kudos
    or chapters; for a guest, nothing added may depend on the guest (the
    page is cached and served to every guest alike). What the member has of
    the work (bookmark, reading, subscription, kudos) is one statement for
    all parts; nothing for guests."""
    user = request.user
    own = member_of_work(user, work) if user.is_authenticated else None
    context: dict[str, Any] = {"own": own}
    for part in PARTS:
        context.update(
            part(request, work=work, chapters=chapters, shown=shown, full_work=full_work, own=own)
        )
    return context
