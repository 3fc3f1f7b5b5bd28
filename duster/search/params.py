"""A work search as readers, links, feeds and scripts write it: the URL
parameters (a public contract, documented in the README) and what they mean.

`WorkSearch.from_query(request.GET)` never fails: a value it cannot use is
left out with a message saying so (`WorkSearch.messages`), and the rest of
the search still runs.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.http import QueryDict

from duster.works.choices import LANGUAGE_NAMES, ArchiveWarning, Category, Rating

PER_PAGE = 20
# Counts are exact up to here, then shown as "100,000+".
COUNT_CAP = 100_000
Q_MAX = 500
TAGS_MAX = 20
PAGE_MAX = 1_000_000

SORTS = {
    "best": "Best match",
    "updated": "Date updated",
    "posted": "Date posted",
    "title": "Title",
    "creator": "Creator",
    "words": "Word count",
    "hits": "Hits",
    "kudos": "Kudos",
    "comments": "Comments",
    "bookmarks": "Bookmarks",
}
CROSSOVERS = {"": "Include crossovers", "exclude": "Exclude crossovers", "only": "Only crossovers"}
# Counters with a minimum filter: parameter prefix -> Work field.
MINIMUMS = {
    "hits": "hits",
    "kudos": "kudos_count",
    "comments": "comment_count",
    "bookmarks": "bookmark_count",
}
DATES = ("updated_from", "updated_to", "posted_from", "posted_to")


@dataclass(frozen=True)
class WorkSearch:
    q: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rating: tuple[str, ...] = ()  # any of these
    warning: tuple[str, ...] = ()  # all of these
    category: tuple[str, ...] = ()  # all of these
    complete: bool | None = None
    oneshot: bool = False
    crossover: str = ""  # "", "exclude" or "only"
    language: str = ""
    words_from: int | None = None
    words_to: int | None = None
    updated_from: datetime.date | None = None
    updated_to: datetime.date | None = None
    posted_from: datetime.date | None = None
    posted_to: datetime.date | None = None
    hits_min: int | None = None
    kudos_min: int | None = None
    comments_min: int | None = None
    bookmarks_min: int | None = None
    creator: str = ""  # a username
    sort: str = ""  # "" = best with a text query, else updated
    page: int = 1
    # What could not be used, for the reader: (parameter, message).
    messages: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def order(self) -> str:
        """The sort in effect."""
        if self.sort:
            return self.sort
        return "best" if self.q.strip() else "updated"

    @classmethod
    def from_query(cls, query: QueryDict | dict) -> "WorkSearch":
        return _parse(query)

    def with_page(self, page: int) -> "WorkSearch":
        return replace(self, page=page)

    def to_query(self, **changes) -> str:
        """This search as a URL query string (without `page` unless changed):
        the same search always gives the same string."""
        search = replace(self, **changes) if changes else self
        return urlencode(search._pairs(page="page" in changes))

    def query_adding(self, name: str) -> Callable[[str], str]:
        """For a list field (`include`, `exclude`): value -> what
        to_query(**{name: (*current, value)}) gives, the rest of the query
        encoded once (a page's facet links add a hundred tags one by one)."""
        position = _FIELD_ORDER.index(name)
        pairs = self._pairs(page=False)
        cut = next(
            (i for i, (field, _) in enumerate(pairs) if _FIELD_ORDER.index(field) > position),
            len(pairs),
        )
        head, tail = urlencode(pairs[:cut]), urlencode(pairs[cut:])
        return lambda value: "&".join(
            part for part in (head, urlencode([(name, value)]), tail) if part
        )

    def _pairs(self, *, page: bool) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for name in _FIELD_ORDER:
            value = getattr(self, name)
            if name == "page" and (not page or value == 1):
                continue
            if name == "sort" and not value:
                continue
            if name == "complete":  # None: either; False: in progress only
                if value is not None:
                    pairs.append((name, "1" if value else "0"))
            elif isinstance(value, tuple):
                pairs.extend((name, str(v)) for v in value)
            elif value is None or value == "" or value is False:
                continue
            elif value is True:
                pairs.append((name, "1"))
            elif isinstance(value, datetime.date):
                pairs.append((name, value.isoformat()))
            else:
                pairs.append((name, str(value)))
        return pairs

    def is_filtered(self) -> bool:
        """Whether anything narrows the archive's works at all."""
        return bool(self.to_query(sort="", page=1))

    @property
    def for_cache(self) -> str:
        """A key for this search's results, page included."""
        return self.to_query(page=self.page, sort=self.order)


_FIELD_ORDER = [
    "q",
    "include",
    "exclude",
    "rating",
    "warning",
    "category",
    "complete",
    "oneshot",
    "crossover",
    "language",
    "words_from",
    "words_to",
    *DATES,
    *(f"{name}_min" for name in MINIMUMS),
    "creator",
    "sort",
    "page",
]


def _values(query, name: str) -> list[str]:
    if hasattr(query, "getlist"):
        values = query.getlist(name)
    else:
        value = query.get(name, [])
        values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def _one(query, name: str) -> str:
    values = _values(query, name)
    return values[-1] if values else ""


def _parse(query) -> WorkSearch:
    messages: list[tuple[str, str]] = []
    found: dict[str, object] = {}

    q = _one(query, "q")
    if len(q) > Q_MAX:
        messages.append(("q", f"The text query was cut to its first {Q_MAX} characters."))
        q = q[:Q_MAX]
    found["q"] = q

    for name in ("include", "exclude"):
        names: list[str] = []
        for value in _values(query, name):
            # A comma-separated list is several tags, as the form's box allows.
            for tag_name in value.split(","):
                tag_name = " ".join(tag_name.split())
                if tag_name and tag_name.casefold() not in {n.casefold() for n in names}:
                    names.append(tag_name[:150])
        if len(names) > TAGS_MAX:
            messages.append((name, f"Only the first {TAGS_MAX} tags were used."))
            names = names[:TAGS_MAX]
        found[name] = tuple(names)

    for name, choices in (("rating", Rating), ("warning", ArchiveWarning), ("category", Category)):
        chosen = []
        for value in _values(query, name):
            if value in choices.values:
                if value not in chosen:
                    chosen.append(value)
            else:
                messages.append((name, f"“{value[:40]}” is not a {name}; it was left out."))
        found[name] = tuple(sorted(chosen))

    complete = _one(query, "complete")
    if complete in ("1", "0"):
        found["complete"] = complete == "1"
    elif complete:
        messages.append(("complete", "Complete must be 1 (complete) or 0 (in progress)."))

    oneshot = _one(query, "oneshot")
    if oneshot == "1":
        found["oneshot"] = True
    elif oneshot and oneshot != "0":
        messages.append(("oneshot", "One-shots only must be 1 or 0."))

    crossover = _one(query, "crossover")
    if crossover in CROSSOVERS:
        found["crossover"] = crossover
    else:
        messages.append(("crossover", "Crossovers must be “exclude” or “only”."))

    language = _one(query, "language")
    if language in LANGUAGE_NAMES:
        found["language"] = language
    elif language:
        messages.append(("language", f"“{language[:20]}” is not a language code."))

    numbers = ["words_from", "words_to", *(f"{name}_min" for name in MINIMUMS)]
    for name in numbers:
        value = _one(query, name).replace(",", "").replace("_", "")
        if not value:
            continue
        # isdecimal, not isdigit: int() refuses "²", which isdigit() accepts.
        if value.isdecimal() and len(value) <= 12:
            found[name] = int(value)
        else:
            messages.append((name, f"“{value[:20]}” is not a whole number; it was left out."))
    if (
        isinstance(found.get("words_from"), int)
        and isinstance(found.get("words_to"), int)
        and found["words_from"] > found["words_to"]  # type: ignore[operator]
    ):
        messages.append(("words_to", "The word range was the wrong way round, so it was swapped."))
        found["words_from"], found["words_to"] = found["words_to"], found["words_from"]

    for name in DATES:
        value = _one(query, name)
        if not value:
            continue
        try:
            found[name] = datetime.date.fromisoformat(value)
        except ValueError:
            messages.append((name, f"“{value[:20]}” is not a date (YYYY-MM-DD); it was left out."))

    creator = _one(query, "creator")
    found["creator"] = creator[:40]

    sort = _one(query, "sort")
    if sort in SORTS:
        found["sort"] = sort
    elif sort:
        messages.append(("sort", f"“{sort[:20]}” is not a sort order; the default was used."))

    page = _one(query, "page")
    if page:
        if page.isdecimal() and 0 < int(page[:8]) <= PAGE_MAX:
            found["page"] = int(page)
        else:
            messages.append(("page", "That page number can't be shown; here is the first page."))
    return WorkSearch(messages=tuple(messages), **found)  # type: ignore[arg-type]
