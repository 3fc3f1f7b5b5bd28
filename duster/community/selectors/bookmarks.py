"""The bookmarks part of a work's reading pages (see duster.community.page)."""

from typing import Any


def bookmarks_page_context(request, *, work, chapters, shown, full_work: bool) -> dict[str, Any]:
    return {}
