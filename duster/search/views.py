"""What readers see of a work search: the search page, and the sidebar,
results, facets and pager that `/works/`, tag pages and creators' works
pages share with it (`results_context`)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from duster.accounts.models import Pseud, User
from duster.search.forms import WorkSearchForm
from duster.search.params import WorkSearch
from duster.search.results import Facet, SearchResults
from duster.search.service import FACET_TYPES, search_works
from duster.tags.models import Tag, TagType

# Facet headings, by the tag type whose tags they list.
FACET_HEADINGS = {
    TagType.RATING: "Ratings",
    TagType.WARNING: "Archive warnings",
    TagType.CATEGORY: "Categories",
    TagType.FANDOM: "Fandoms",
    TagType.RELATIONSHIP: "Relationships",
    TagType.CHARACTER: "Characters",
    TagType.FREEFORM: "Additional tags",
}


@dataclass
class FacetLink:
    facet: Facet
    include_url: str
    exclude_url: str

    @property
    def count_shown(self) -> str:
        return f"{self.facet.count:,}"


@dataclass
class PageLink:
    label: str
    url: str = ""  # none: the page shown
    rel: str = ""


@require_safe
def work_search(request):
    if blanks_dropped := without_blanks(request):
        return blanks_dropped
    search = WorkSearch.from_query(request.GET)
    return render(request, "search/search.html", results_context(request, search))


def without_blanks(request) -> HttpResponseRedirect | None:
    """The sidebar form sends every field, filled in or not: a query with
    empty parameters is sent on to the same page without them, so that one
    search has one address (to share, and for the page cache)."""
    pairs = [(name, value) for name, values in request.GET.lists() for value in values]
    kept = [(name, value) for name, value in pairs if value.strip()]
    if len(kept) == len(pairs):
        return None
    return redirect(f"{request.path}?{urlencode(kept)}" if kept else request.path)


def results_context(
    request,
    search: WorkSearch,
    *,
    tag: Tag | None = None,
    creator: User | None = None,
    pseud: Pseud | None = None,
    messages: tuple[tuple[str, str], ...] = (),
) -> dict[str, object]:
    """Run `search` for this reader (within `tag`'s or `creator`'s works,
    or one of the creator's pseuds) and gather what the sidebar and results
    partials draw. `messages`: the page's own, shown with the search's."""
    results = search_works(
        search, request.user, tag=tag, creator=creator, pseud=pseud, facet_types=FACET_TYPES
    )
    results.messages[:0] = messages
    shown = results.search  # its page is the one shown, kept in range
    # The same works as /works/search sees them: the page's scope in the query.
    scope: dict[str, object] = {}
    if tag is not None:
        scope["include"] = (tag.name, *shown.include)
    if creator is not None:
        scope["creator"] = creator.username
    # The page's own parameters that every link keeps (a pseud's works).
    here = f"{request.path}?pseud={pseud.pk}" if pseud is not None else request.path
    return {
        "search": shown,
        "results": results,
        "found": [(work, results.snippets.get(work.pk, "")) for work in results.works],
        "form": WorkSearchForm(shown, results.messages, scoped_by_creator=creator is not None),
        "here": here,
        "facet_groups": _facet_groups(here, shown, results, tag),
        "page_links": _page_links(here, shown, results),
        "feed_url": _address(reverse("work_search_feed"), shown.to_query(sort="", **scope)),
        "saved_query": shown.to_query(**scope),
    }


def _address(here: str, query: str) -> str:
    """`here` (a path, perhaps with parameters of its own) with a search's query."""
    if not query:
        return here
    return f"{here}{'&' if '?' in here else '?'}{query}"


def _facet_groups(
    here: str, search: WorkSearch, results: SearchResults, scope: Tag | None
) -> list[tuple[str, list[FacetLink]]]:
    """Each type's facets with the links that add the tag to the search's
    includes or excludes (back to the first page). The tags the search (or
    the page) already narrows to are left out: every result has them."""
    narrowed = {tag.pk for tag in results.include_tags}
    if scope is not None:
        narrowed.add(scope.merger_id or scope.pk)
    including, excluding = search.query_adding("include"), search.query_adding("exclude")
    groups = []
    for tag_type, facets in results.facets.items():
        links = [
            FacetLink(
                facet,
                _address(here, including(facet.tag.name)),
                _address(here, excluding(facet.tag.name)),
            )
            for facet in facets
            if facet.tag.pk not in narrowed
        ]
        if links:
            groups.append((FACET_HEADINGS[TagType(tag_type)], links))
    return groups


def _page_links(here: str, search: WorkSearch, results: SearchResults) -> list[PageLink]:
    """First, previous, this page, next and last, each keeping the search;
    none when everything fits on one page."""
    page = results.page
    last = page.paginator.num_pages
    if last < 2:
        return []
    links = []
    if page.has_previous():
        if page.number > 2:
            links.append(PageLink("« First", _address(here, search.to_query(page=1))))
        links.append(
            PageLink("← Previous", _address(here, search.to_query(page=page.number - 1)), "prev")
        )
    links.append(PageLink(f"Page {page.number:,} of {last:,}"))
    if page.has_next():
        links.append(
            PageLink("Next →", _address(here, search.to_query(page=page.number + 1)), "next")
        )
        if page.number < last - 1:
            links.append(PageLink("Last »", _address(here, search.to_query(page=last))))
    return links
