"""An Atom feed of any work search: `/works/search.atom?<the same query>`, so
a reader can follow "new complete works in this pairing" in a feed reader.
Newest first whatever the query's sort, one page of works; the creator of
an anonymous work is never named."""

from dataclasses import replace

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from duster.search.params import WorkSearch
from duster.search.service import search_works
from duster.works.models import Work


class WorkSearchFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs) -> tuple[WorkSearch, list[Work]]:
        search = replace(WorkSearch.from_query(request.GET), sort="updated", page=1)
        results = search_works(search, request.user, facet_types=())
        return search, results.works

    def title(self, obj: tuple[WorkSearch, list[Work]]) -> str:
        search = obj[0]
        return "Works found" if not search.is_filtered() else f"Works found: {_described(search)}"

    def link(self, obj: tuple[WorkSearch, list[Work]]) -> str:
        query = obj[0].to_query(sort="")
        return f"{reverse('work_search')}?{query}" if query else reverse("work_search")

    def subtitle(self, obj: tuple[WorkSearch, list[Work]]) -> str:
        return "The newest works that match this search."

    def items(self, obj: tuple[WorkSearch, list[Work]]) -> list[Work]:
        return obj[1]

    def item_title(self, item: Work) -> str:
        return item.title

    def item_description(self, item: Work) -> str:
        return item.summary  # sanitized when it was saved

    def item_author_name(self, item: Work) -> str:
        if item.anonymous:
            return "Anonymous"
        return ", ".join(str(pseud) for pseud in item.credited_pseuds())

    def item_pubdate(self, item: Work):
        return item.published_at

    def item_updateddate(self, item: Work):
        return item.updated_at


def _described(search: WorkSearch) -> str:
    """A short human line for a feed's title: the text and tags searched."""
    parts = []
    if search.q:
        parts.append(f"“{search.q[:80]}”")
    parts.extend(search.include)
    parts.extend(f"not {name}" for name in search.exclude)
    if search.creator:
        parts.append(f"by {search.creator}")
    return ", ".join(parts) or "filtered"
