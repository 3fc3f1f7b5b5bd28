"""Atom feeds to follow a tag, a creator or a series in a feed reader:
`/tags/<slug>/feed.atom`, `/users/<username>/feed.atom`,
`/series/<id>/feed.atom`.

One entry per work, newest first by the time it was last updated, so a new
chapter brings its work back to the top; the entry's title says the
chapters so far ("Title (3/?)") and its id is the work's `urn:uuid`, the
same as its EPUB's and its OPDS entry's. Each entry links to the work's EPUB
as an enclosure (built on demand, then kept until the work changes).

What a feed lists is what the matching web page lists for the same reader:
a tag's works through `search_works` as on the tag's works page (a meta tag
finds its sub tags' works, a synonym its canonical tag's), a creator's
without their anonymous works, a series' without anonymous works (for anyone
but their creators). Feed readers fetch as guests; a member who is signed
in also sees restricted works. Guests get them from the page cache.
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from duster.downloads.book import work_identifier
from duster.downloads.formats import FORMATS
from duster.downloads.markup import xml_text
from duster.downloads.opds_catalog import (
    active_creator,
    media_type,
    work_authors,
    work_tag_names,
    work_title,
)
from duster.downloads.views import download_url
from duster.search.params import PER_PAGE, WorkSearch
from duster.search.service import search_works
from duster.tags.selectors import canonical_of, tag_for_reader
from duster.works.models import Work, WorkState
from duster.works.selectors import series_for_reader

# A feed holds this many works, the newest.
FEED_WORKS = PER_PAGE


class WorksAtom(Atom1Feed):
    """Atom, with each entry's download link written as Atom has it (no
    length: the file may not be built yet)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        download = item.get("download")
        if download:
            handler.addQuickElement("link", "", download)


@dataclass(frozen=True)
class FeedItem:
    """A work, with the absolute links its entry needs (the feed is shared
    by every request; what depends on the request travels with the item)."""

    work: Work
    author_uri: str | None
    epub_href: str


@dataclass
class Followed:
    """What a feed is about, and its entries for this reader."""

    title: str
    link: str
    subtitle: str
    items: list[FeedItem]


def feed_items(request, works: list[Work]) -> list[FeedItem]:
    items = []
    for work in works:
        authors = work_authors(work)
        # One creator: their page. Several share the byline and no link.
        single = len(authors) == 1 and authors[0][1]
        items.append(
            FeedItem(
                work=work,
                author_uri=request.build_absolute_uri(authors[0][1]) if single else None,
                epub_href=request.build_absolute_uri(download_url(work, "epub")),
            )
        )
    return items


class WorksFeed(Feed):
    feed_type = WorksAtom
    item_guid_is_permalink = False

    def title(self, obj: Followed) -> str:
        return obj.title

    def link(self, obj: Followed) -> str:
        return obj.link

    def subtitle(self, obj: Followed) -> str:
        return obj.subtitle

    def items(self, obj: Followed) -> list[FeedItem]:
        return obj.items

    def item_link(self, item: FeedItem) -> str:
        return item.work.get_absolute_url()

    def item_title(self, item: FeedItem) -> str:
        return work_title(item.work)

    def item_description(self, item: FeedItem) -> str:
        return xml_text(item.work.summary or "")  # sanitized when it was saved

    def item_guid(self, item: FeedItem) -> str:
        return work_identifier(item.work)

    def item_author_name(self, item: FeedItem) -> str:
        return ", ".join(name for name, _ in work_authors(item.work))

    def item_author_link(self, item: FeedItem) -> str | None:
        return item.author_uri

    def item_pubdate(self, item: FeedItem):
        return item.work.published_at

    def item_updateddate(self, item: FeedItem):
        return item.work.updated_at or item.work.published_at

    def item_categories(self, item: FeedItem) -> list[str]:
        return work_tag_names(item.work)

    def item_extra_kwargs(self, item: FeedItem) -> dict:
        epub = FORMATS["epub"]
        download = {"rel": "enclosure", "href": item.epub_href, "type": media_type(epub)}
        return {"download": download | {"title": epub.label}}


def _newest(works: list[Work]) -> list[Work]:
    return sorted(
        works, key=lambda w: (w.updated_at or w.published_at or w.created_at, w.pk), reverse=True
    )


def _latest_search(request, **scope) -> list[Work]:
    results = search_works(WorkSearch(sort="updated"), request.user, facet_types=(), **scope)
    return results.works[:FEED_WORKS]


class TagFeed(WorksFeed):
    def get_object(self, request, slug: str) -> Followed:
        tag = tag_for_reader(slug, request.user)
        shown = canonical_of(tag)
        return Followed(
            title=f"Works tagged {xml_text(shown.name)}",
            link=shown.works_url,
            subtitle=f"The newest works and chapters tagged {xml_text(shown.name)}.",
            items=feed_items(request, _latest_search(request, tag=tag)),
        )


class CreatorFeed(WorksFeed):
    def get_object(self, request, username: str) -> Followed:
        creator = active_creator(username)
        return Followed(
            title=f"Works by {xml_text(creator.username)}",
            link=reverse("user_works", kwargs={"username": creator.username}),
            subtitle=f"The newest works and chapters by {xml_text(creator.username)}.",
            items=feed_items(request, _latest_search(request, creator=creator)),
        )


class SeriesFeed(WorksFeed):
    def get_object(self, request, pk: int) -> Followed:
        series, entries = series_for_reader(pk, request.user)
        posted = [entry.work for entry in entries if entry.work.state == WorkState.POSTED]
        if not posted and not series.is_creator(request.user):
            raise Http404("No such series.")
        return Followed(
            title=f"Series: {xml_text(series.title)}",
            link=series.get_absolute_url(),
            subtitle=f"New works and chapters in {xml_text(series.title)}.",
            items=feed_items(request, _newest(posted)[:FEED_WORKS]),
        )
