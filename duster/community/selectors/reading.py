"""The reading part of a work's reading pages (see duster.community.page)."""

from typing import Any


def reading_page_context(request, *, work, chapters, shown, full_work: bool) -> dict[str, Any]:
    return {}
