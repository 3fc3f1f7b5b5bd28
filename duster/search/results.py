"""What a work search answers with."""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator

from duster.search.params import COUNT_CAP, PER_PAGE, WorkSearch
from duster.tags.models import Tag


@dataclass
class Facet:
    tag: Tag
    count: int


@dataclass
class SearchResults:
    search: WorkSearch
    works: list  # this page's works, with what a blurb shows, in order
    total: int
    page: Page  # Django's Page over `works`, for the pager
    facets: dict[str, list[Facet]] = field(default_factory=dict)  # by TagType
    snippets: dict[int, str] = field(default_factory=dict)  # work id -> safe HTML
    include_tags: list[Tag] = field(default_factory=list)
    exclude_tags: list[Tag] = field(default_factory=list)
    # (parameter, message): the search's own plus what the search found unusable.
    messages: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total_shown(self) -> str:
        """ "N works found", capped: "100,000+ works found"."""
        if self.total > COUNT_CAP:
            return f"{COUNT_CAP:,}+ works found"
        return f"{self.total:,} work{'s' if self.total != 1 else ''} found"


def results_page(works: list, total: int, number: int) -> Page:
    """A Django Page of `works` as page `number` of `total` results."""
    paginator = Paginator(range(total), PER_PAGE)
    return Page(works, number, paginator)
