"""The OPDS catalog's feeds as plain data, and how they are written out.

An OPDS 1.2 catalog is Atom: navigation feeds (lists of lists: fandoms,
tags, series, creators) and acquisition feeds (works, each with a link per
download format). The views in duster.downloads.opds gather a `Catalog`;
`catalog_response` writes it with the templates under downloads/opds/,
where Django's autoescaping escapes every value, and `xml_text` has first
dropped what XML 1.0 cannot hold at all (control characters).

A work is the same book everywhere: its entry's id is the `urn:uuid` its
EPUB carries (`work_identifier`), in the catalog and in the Atom feeds
(duster.downloads.feeds) alike, and an anonymous work is by "Anonymous".
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape

from django.conf import settings
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import mark_safe

from duster.accounts.models import User
from duster.downloads.book import work_identifier
from duster.downloads.formats import Format, offered
from duster.downloads.markup import xml_text
from duster.downloads.views import download_url
from duster.works.models import Work

NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPENSEARCH = "application/opensearchdescription+xml"
ACQUIRE = "http://opds-spec.org/acquisition"
SORT_NEW = "http://opds-spec.org/sort/new"
SUBSECTION = "subsection"


def atom_date(moment: datetime) -> str:
    """RFC 3339, in UTC, to the second: what Atom's dates are."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def active_creator(username: str) -> User:
    """The active user of that username (any case), whose works a catalog
    feed or an Atom feed lists; else 404."""
    users = User.objects.filter(is_active=True).annotate(name=Lower("username"))
    creator = users.filter(name=username.lower()).first()
    if creator is None:
        raise Http404("No such creator.")
    return creator


def work_title(work: Work) -> str:
    """The title, and the chapters so far unless it is a finished one-shot:
    "Title (3/?)", so a feed reader shows that a new chapter came."""
    title = xml_text(work.title)
    return title if work.is_oneshot else f"{title} ({work.chapters_label})"


def work_authors(work: Work) -> list[tuple[str, str]]:
    """(name, path of their works) per credited pseud; ("Anonymous", "") for
    an anonymous work, whose creators are never named."""
    if work.anonymous:
        return [("Anonymous", "")]
    pseuds = work.credited_pseuds()
    if not pseuds:
        return [("Orphan", "")]
    return [(xml_text(pseud), pseud.get_absolute_url()) for pseud in pseuds]


def work_tag_names(work: Work) -> list[str]:
    """The rating and the work's tags, in the order its page lists them."""
    return [xml_text(work.get_rating_display())] + [xml_text(tag.name) for tag in work.tags.all()]


def media_type(fmt: Format) -> str:
    """The bare media type: "text/html", not "text/html; charset=utf-8", as
    e-readers compare a link's type with the types they can open."""
    return fmt.media_type.split(";")[0].strip()


@dataclass(frozen=True)
class Link:
    rel: str
    href: str  # absolute
    type: str
    title: str = ""
    count: int | None = None  # thr:count, the works behind a navigation link


@dataclass(frozen=True)
class Author:
    name: str
    uri: str = ""


@dataclass(frozen=True)
class NavigationEntry:
    """One line of a navigation feed: a list of works or of more lists."""

    id: str
    title: str
    content: str  # plain text
    link: Link


@dataclass(frozen=True)
class BookEntry:
    """A work in an acquisition feed."""

    id: str
    title: str
    authors: list[Author]
    updated: str
    published: str
    issued: str  # the day it was first posted
    language: str
    summary: str  # plain text
    content: str  # HTML: the summary and the work's facts
    categories: list[str]
    links: list[Link]


@dataclass
class Catalog:
    id: str
    title: str
    kind: str  # NAVIGATION or ACQUISITION
    links: list[Link]
    subtitle: str = ""
    updated: str = ""
    entries: list[NavigationEntry] = field(default_factory=list)
    books: list[BookEntry] = field(default_factory=list)
    total: int | None = None  # with the next two: OpenSearch paging, when paged
    per_page: int = 0
    start_index: int = 1


@dataclass(frozen=True)
class Pager:
    """The page shown, the last one, and the address of any page (a path
    with its query)."""

    number: int
    last: int
    per_page: int
    total: int
    href: Callable[[int], str]

    @classmethod
    def of(cls, page, href: Callable[[int], str]) -> "Pager":
        """From a Django `Page`."""
        paginator = page.paginator
        return cls(page.number, paginator.num_pages, paginator.per_page, paginator.count, href)


def page_href(path: str, query: str = "") -> Callable[[int], str]:
    """The address of page N of `path` with `query`: "?page=N" added after
    the first page."""

    def href(number: int) -> str:
        parts = [query] if query else []
        if number > 1:
            parts.append(f"page={number}")
        return f"{path}?{'&'.join(parts)}" if parts else path

    return href


def book_entries(request, works: Iterable[Work]) -> list[BookEntry]:
    """The acquisition entries of `works` (loaded with `for_listing`: no
    query here), a link per download format offered now."""
    formats = offered()
    return [_book_entry(request, work, formats) for work in works]


def _book_entry(request, work: Work, formats: list[Format]) -> BookEntry:
    absolute = request.build_absolute_uri
    updated = work.updated_at or work.published_at or work.created_at
    published = work.published_at or updated
    summary_html = xml_text(work.summary or "")
    links = [Link("alternate", absolute(work.get_absolute_url()), "text/html", "Read online")]
    links += [
        Link(ACQUIRE, absolute(download_url(work, fmt.extension)), media_type(fmt), fmt.label)
        for fmt in formats
    ]
    return BookEntry(
        id=work_identifier(work),
        title=work_title(work),
        authors=[Author(name, absolute(path) if path else "") for name, path in work_authors(work)],
        updated=atom_date(updated),
        published=atom_date(published),
        issued=published.date().isoformat(),
        language=xml_text(work.language),
        summary=" ".join(unescape(strip_tags(summary_html)).split()),
        content=str(_content(work, summary_html)),
        categories=work_tag_names(work),
        links=links,
    )


def _content(work: Work, summary_html: str) -> str:
    """The summary (sanitized when it was saved) and what a blurb says of the work."""
    facts = [
        ("Rating", work.get_rating_display()),
        ("Fandoms", ", ".join(tag.name for tag in work.fandoms())),
        ("Words", f"{work.word_count:,}"),
        ("Chapters", work.chapters_label),
        ("Status", "Complete" if work.complete else "In progress"),
    ]
    rows = format_html_join(
        "", "<li>{}: {}</li>", ((label, xml_text(value)) for label, value in facts if value)
    )
    # The summary is the sanitizer's output, shown as work pages show it.
    return format_html("{}<ul>{}</ul>", mark_safe(summary_html), rows)  # noqa: S308


def catalog_links(
    request,
    *,
    kind: str,
    pager: Pager | None = None,
    self_href: str = "",
    up: tuple[str, str] | None = None,
    alternate: str = "",
) -> list[Link]:
    """The links every catalog feed carries: itself, the root, the one above
    (`up`: path, kind), search, the web page it mirrors, and first/previous/
    next/last when it has pages."""
    absolute = request.build_absolute_uri
    here = pager.href(pager.number) if pager is not None else (self_href or request.path)
    links = [
        Link("self", absolute(here), kind),
        Link("start", absolute(reverse("opds_root")), NAVIGATION, settings.SITE_NAME),
    ]
    if up is not None:
        links.append(Link("up", absolute(up[0]), up[1]))
    links += [
        Link("search", absolute(reverse("opds_opensearch")), OPENSEARCH, "Search works"),
        Link(
            "search",
            absolute(reverse("opds_search")) + "?q={searchTerms}",
            ACQUISITION,
            "Search works",
        ),
    ]
    if alternate:
        links.append(Link("alternate", absolute(alternate), "text/html", "On the web"))
    if pager is not None and pager.last > 1:
        if pager.number > 1:
            links.append(Link("first", absolute(pager.href(1)), kind))
            links.append(Link("previous", absolute(pager.href(pager.number - 1)), kind))
        if pager.number < pager.last:
            links.append(Link("next", absolute(pager.href(pager.number + 1)), kind))
            links.append(Link("last", absolute(pager.href(pager.last)), kind))
    return links


def catalog_response(request, catalog: Catalog, *, pager: Pager | None = None) -> HttpResponse:
    """The feed as an OPDS document. `updated`, when not set, is the newest
    entry's, or now for a feed of lists."""
    if not catalog.updated:
        newest = max((book.updated for book in catalog.books), default="")
        catalog.updated = newest or atom_date(timezone.now())
    if pager is not None:
        catalog.total = pager.total
        catalog.per_page = pager.per_page
        catalog.start_index = (pager.number - 1) * pager.per_page + 1
    body = render_to_string(
        "downloads/opds/feed.xml",
        {
            "feed": catalog,
            "site_name": settings.SITE_NAME,
            "site_url": request.build_absolute_uri("/"),
            "now": atom_date(timezone.now()),
        },
    )
    return HttpResponse(body, content_type=catalog.kind)
