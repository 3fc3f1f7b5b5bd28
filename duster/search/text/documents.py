"""What of a work full-text search finds: its text, read from the archive's tables.

Only posted works are searchable. An anonymous work has no creators here,
so neither `creator:` nor a plain word finds it by its creator's name.
"""

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from duster.tags.models import FilterTagging
from duster.works.models import Chapter, Creatorship, Work, WorkTag


@dataclass(frozen=True)
class WorkText:
    """A work's searchable text by field. Lines (creators, tags) are separate
    names: a phrase never runs from one into the next."""

    title: str = ""
    creators: str = ""
    tags: str = ""
    summary: str = ""
    body: str = ""


FIELDS = ("title", "creators", "tags", "summary", "body")

# Tags after which the text goes on as a new block: a word boundary.
_BLOCK = re.compile(
    r"</?(?:p|br|hr|li|div|h[1-6]|td|th|tr|blockquote|ul|ol|dl|dt|dd|pre|table|caption"
    r"|thead|tbody|tfoot|center|img)\b[^>]*>",
    re.I,
)
# Sanitized HTML has "<" only in tags (the sanitizer escapes it in text).
_TAG = re.compile(r"<[^>]*>")


def plain_text(markup: str) -> str:
    """The words of sanitized HTML as one line of plain text."""
    if "<" in markup:
        markup = _TAG.sub("", _BLOCK.sub(" ", markup))
    return " ".join(html.unescape(markup).split())


def _unique_lines(names: Iterable[str]) -> str:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return "\n".join(seen.values())


def work_texts(work_ids: Iterable[int]) -> dict[int, WorkText]:
    """The searchable text of those of `work_ids` that are posted, in five
    queries whatever their number."""
    posted = {
        pk: row
        for pk, *row in Work.objects.posted()
        .filter(pk__in=list(work_ids))
        .values_list("pk", "title", "summary", "notes", "end_notes", "anonymous")
    }
    ids = list(posted)
    named = {pk for pk, row in posted.items() if not row[4]}
    creators: dict[int, list[str]] = {}
    for work_id, pseud, username in (
        Creatorship.objects.filter(work_id__in=named, approved=True)
        .order_by("work_id", "position")
        .values_list("work_id", "pseud__name", "pseud__user__username")
    ):
        creators.setdefault(work_id, []).extend((pseud, username))
    # The tags as written, and the canonical and meta tags they filter under;
    # not the fixed ones (ratings, warnings, categories), which the filters
    # ask for: "general" or "none" would otherwise find half the archive.
    tags: dict[int, list[str]] = {}
    for model in (WorkTag, FilterTagging):
        for work_id, name in (
            model.objects.filter(work_id__in=ids, tag__fixed=False)
            .order_by("pk")
            .values_list("work_id", "tag__name")
        ):
            tags.setdefault(work_id, []).append(name)
    chapters: dict[int, list[str]] = {}
    for work_id, title, *markup in (
        Chapter.objects.filter(work_id__in=ids, posted=True)
        .order_by("work_id", "position")
        .values_list("work_id", "title", "summary", "notes", "body", "end_notes")
    ):
        chapters.setdefault(work_id, []).extend((title, *map(plain_text, markup)))
    texts = {}
    for pk, (title, summary, notes, end_notes, _anonymous) in posted.items():
        # Chapter text first: a snippet shows the first match in the body.
        body = [*chapters.get(pk, []), plain_text(notes), plain_text(end_notes)]
        texts[pk] = WorkText(
            title=" ".join(title.split()),
            creators=_unique_lines(creators.get(pk, [])),
            tags=_unique_lines(tags.get(pk, [])),
            summary=plain_text(summary),
            body=" ".join(" ".join(body).split()),
        )
    return texts
