"""The OPDS 1.2 catalog at /opds/: what an e-reader app browses to find and
download works without the website.

- /opds/ (navigation): recent works, fandoms, popular tags, series, creators;
- /opds/recent, /opds/tags/<slug>, /opds/series/<id>, /opds/creators/<name>
  and /opds/search?q= (acquisition): works, each with a link per download
  format;
- /opds/fandoms, /opds/tags, /opds/series, /opds/creators (navigation):
  lists of those, with counts;
- /opds/opensearch.xml: how to search, for apps that ask.

Every list goes through the archive's own reads (`search_works`, the tag,
series and fandom selectors), so the one visibility rule holds here as on
the web pages: posted works only, restricted ones for logged-in readers
(apps that sign in), and an anonymous work never under its creator's name
nor in a series for anyone but its creators. A bad page number shows the
nearest page, never an error. Guests get these pages from the page cache
(duster.lib.pagecache), which drops them whenever a work changes.
"""

from django.conf import settings
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from duster.downloads.markup import xml_text
from duster.downloads.opds_catalog import (
    ACQUISITION,
    NAVIGATION,
    OPENSEARCH,
    SORT_NEW,
    SUBSECTION,
    Catalog,
    Link,
    NavigationEntry,
    Pager,
    active_creator,
    book_entries,
    catalog_links,
    catalog_response,
    page_href,
)
from duster.lib.pagecache import kept_while_lists_unchanged
from duster.lib.pagination import paginate
from duster.lib.urls import parse_id
from duster.search.params import PAGE_MAX, WorkSearch
from duster.search.results import SearchResults
from duster.search.service import search_works
from duster.tags.models import TagType
from duster.tags.selectors import fandom_index, tag_for_reader
from duster.works.models import Creatorship, Series, Work, WorkState, byline_credits
from duster.works.selectors import series_for_reader, tag_facets_kept

# Navigation feeds list this many lines a page; acquisition feeds hold a
# page of work search results (duster.search.params.PER_PAGE, 20).
LIST_PER_PAGE = 50
# /opds/tags: the most used tags of each of these types.
POPULAR_TYPES = [TagType.RELATIONSHIP, TagType.CHARACTER, TagType.FREEFORM]
POPULAR_PER_TYPE = 50


def _page_asked(request) -> int:
    """?page=N as a page number; anything else is the first page (a number
    past the last shows the last)."""
    number = parse_id(request.GET.get("page", "1"))
    return min(number, PAGE_MAX) if number else 1


def _works_feed(request, title: str, results: SearchResults, href, **links) -> HttpResponse:
    """An acquisition feed of one page of search results."""
    pager = Pager.of(results.page, href)
    catalog = Catalog(
        id=request.build_absolute_uri(href(1)),
        title=title,
        kind=ACQUISITION,
        links=catalog_links(request, kind=ACQUISITION, pager=pager, **links),
        books=book_entries(request, results.works),
    )
    return catalog_response(request, catalog, pager=pager)


def _newest_first(request) -> WorkSearch:
    return WorkSearch(sort="updated", page=_page_asked(request))


def _nav_entry(request, path: str, title: str, content: str, kind: str, **extra) -> NavigationEntry:
    href = request.build_absolute_uri(path)
    rel = extra.pop("rel", SUBSECTION)
    return NavigationEntry(
        id=href,
        title=xml_text(title),
        content=xml_text(content),
        link=Link(rel, href, kind, **extra),
    )


def _works_count(count: int) -> str:
    return f"{count:,} work{'s' if count != 1 else ''}"


@require_safe
def opds_root(request):
    entries = [
        _nav_entry(
            request,
            reverse("opds_recent"),
            "Recently updated",
            "The newest works and chapters first.",
            ACQUISITION,
            rel=SORT_NEW,
        ),
        _nav_entry(
            request,
            reverse("opds_fandoms"),
            "Fandoms",
            "Every fandom, A to Z, with its works.",
            NAVIGATION,
        ),
        _nav_entry(
            request,
            reverse("opds_tags"),
            "Popular tags",
            "The most used relationships, characters and additional tags.",
            NAVIGATION,
        ),
        _nav_entry(
            request,
            reverse("opds_series_list"),
            "Series",
            "Works in their series, in the order their creators set.",
            NAVIGATION,
        ),
        _nav_entry(
            request, reverse("opds_creators"), "Creators", "Every creator's works.", NAVIGATION
        ),
    ]
    links = catalog_links(request, kind=NAVIGATION, alternate=reverse("home"))
    links.append(
        Link(SORT_NEW, request.build_absolute_uri(reverse("opds_recent")), ACQUISITION, "New")
    )
    catalog = Catalog(
        id=request.build_absolute_uri(reverse("opds_root")),
        title=f"{settings.SITE_NAME} catalog",
        subtitle="Browse and download works in EPUB, PDF, HTML and plain text.",
        kind=NAVIGATION,
        links=links,
        entries=entries,
    )
    return catalog_response(request, catalog)


@require_safe
def opds_recent(request):
    results = search_works(_newest_first(request), request.user, facet_types=())
    return _works_feed(
        request,
        "Recently updated works",
        results,
        page_href(reverse("opds_recent")),
        up=(reverse("opds_root"), NAVIGATION),
        alternate=reverse("works_latest"),
    )


@require_safe
def opds_search(request):
    """A work search, with the parameters of /works/search (q, include, …)."""
    search = WorkSearch.from_query(request.GET)
    results = search_works(search, request.user, facet_types=())
    shown = results.search
    query = shown.to_query()
    title = f"Search: “{xml_text(shown.q[:80])}”" if shown.q.strip() else "Works found"
    return _works_feed(
        request,
        title,
        results,
        page_href(reverse("opds_search"), query),
        up=(reverse("opds_root"), NAVIGATION),
        alternate=f"{reverse('work_search')}?{query}" if query else reverse("work_search"),
    )


@require_safe
def opds_tag(request, slug: str):
    """A tag's works, newest first: a meta tag's include its sub tags', as
    on the tag's works page; a synonym sends the reader to its canonical tag."""
    tag = tag_for_reader(slug, request.user)
    if tag.merger_id is not None and tag.merger is not None:
        return redirect("opds_tag", slug=tag.merger.slug)
    results = search_works(_newest_first(request), request.user, tag=tag, facet_types=())
    up = "opds_fandoms" if tag.type == TagType.FANDOM else "opds_tags"
    return _works_feed(
        request,
        f"Works tagged {xml_text(tag.name)}",
        results,
        page_href(reverse("opds_tag", kwargs={"slug": tag.slug})),
        up=(reverse(up), NAVIGATION),
        alternate=tag.works_url,
    )


@require_safe
def opds_creator(request, username: str):
    """A creator's works, newest first (never their anonymous ones, but for
    themselves)."""
    creator = active_creator(username)
    results = search_works(_newest_first(request), request.user, creator=creator, facet_types=())
    return _works_feed(
        request,
        f"Works by {xml_text(creator.username)}",
        results,
        page_href(reverse("opds_creator", kwargs={"username": creator.username})),
        up=(reverse("opds_creators"), NAVIGATION),
        alternate=reverse("user_works", kwargs={"username": creator.username}),
    )


@require_safe
def opds_series(request, pk: int):
    """A series' works in the order its creators set."""
    series, entries = series_for_reader(pk, request.user)
    works = [entry.work for entry in entries if entry.work.state == WorkState.POSTED]
    page = paginate(request, works)
    href = page_href(reverse("opds_series", kwargs={"pk": series.pk}))
    pager = Pager.of(page, href)
    catalog = Catalog(
        id=request.build_absolute_uri(href(1)),
        title=xml_text(series.title),
        kind=ACQUISITION,
        links=catalog_links(
            request,
            kind=ACQUISITION,
            pager=pager,
            up=(reverse("opds_series_list"), NAVIGATION),
            alternate=series.get_absolute_url(),
        ),
        books=book_entries(request, page.object_list),
    )
    return catalog_response(request, catalog, pager=pager)


def _list_feed(
    request, name: str, title: str, page, entries: list[NavigationEntry], subtitle: str = ""
) -> HttpResponse:
    """A navigation feed of one page of `entries`."""
    href = page_href(reverse(name))
    pager = Pager.of(page, href)
    catalog = Catalog(
        id=request.build_absolute_uri(href(1)),
        title=title,
        subtitle=subtitle,
        kind=NAVIGATION,
        links=catalog_links(
            request, kind=NAVIGATION, pager=pager, up=(reverse("opds_root"), NAVIGATION)
        ),
        entries=entries,
    )
    return catalog_response(request, catalog, pager=pager)


def _tag_entry(request, tag, count: int, label: str = "") -> NavigationEntry:
    described = f"{label} · {_works_count(count)}" if label else _works_count(count)
    return _nav_entry(
        request,
        reverse("opds_tag", kwargs={"slug": tag.slug}),
        tag.name,
        described,
        ACQUISITION,
        count=count,
    )


@require_safe
def opds_fandoms(request):
    """Every fandom with works this reader may see, A to Z (the fandom
    index's counts, kept in the cache until a work changes)."""
    fandoms = [
        tag
        for group in fandom_index(request.user)
        for letter in group.letters
        for tag in letter.fandoms
    ]
    fandoms.sort(key=lambda tag: (tag.name.casefold(), tag.pk))
    page = paginate(request, fandoms, LIST_PER_PAGE)
    entries = [_tag_entry(request, tag, tag.work_total) for tag in page.object_list]
    return _list_feed(request, "opds_fandoms", "Fandoms", page, entries)


@require_safe
def opds_tags(request):
    """The most used relationships, characters and additional tags, most
    used first."""
    posted = Work.objects.visible_to(request.user).posted()
    facets = tag_facets_kept(posted, POPULAR_TYPES, POPULAR_PER_TYPE)
    tags = [tag for tag_type in POPULAR_TYPES for tag in facets[tag_type]]
    tags.sort(key=lambda tag: (-tag.count, tag.name.casefold(), tag.pk))
    page = paginate(request, tags, LIST_PER_PAGE)
    entries = [
        _tag_entry(request, tag, tag.count, TagType(tag.type).label) for tag in page.object_list
    ]
    return _list_feed(
        request,
        "opds_tags",
        "Popular tags",
        page,
        entries,
        "The most used relationships, characters and additional tags.",
    )


def _shown_works(user):
    """The works a series or a creator is listed with: posted, visible to
    `user`, and never anonymous (they would name their creator). The same
    for every guest, and for every member."""
    return Work.objects.visible_to(user).posted().filter(anonymous=False).values("pk")


def _kept_for(user, name: str, compute):
    """compute(), counted over every work of the archive, so kept in the
    cache until a list changes: one set for guests, one for members."""
    audience = "members" if user.is_authenticated else "guests"
    return kept_while_lists_unchanged(f"opds-{name}:{audience}", compute)


def _series_counted(user) -> list[tuple[int, int]]:
    """(series id, works shown) of each series with a work to show, last changed first."""
    shown = Count("entries", filter=Q(entries__work__in=_shown_works(user)))
    series = Series.objects.annotate(work_total=shown).filter(work_total__gt=0)
    return list(series.order_by("-updated_at", "-pk").values_list("pk", "work_total"))


@require_safe
def opds_series_list(request):
    """Series with works this reader may see, last changed first."""
    rows = _kept_for(request.user, "series", lambda: _series_counted(request.user))
    page = paginate(request, rows, LIST_PER_PAGE)
    shown = (
        Series.objects.filter(pk__in=[pk for pk, _ in page.object_list])
        .only("pk", "title")
        .prefetch_related(Prefetch("creatorships", queryset=byline_credits(), to_attr="credits"))
        .in_bulk()
    )
    entries = [
        _series_entry(request, shown[pk], count) for pk, count in page.object_list if pk in shown
    ]
    return _list_feed(request, "opds_series_list", "Series", page, entries)


def _series_entry(request, series: Series, count: int) -> NavigationEntry:
    byline = ", ".join(str(pseud) for pseud in series.credited_pseuds())
    return _nav_entry(
        request,
        reverse("opds_series", kwargs={"pk": series.pk}),
        series.title,
        f"{_works_count(count)} by {byline}",
        ACQUISITION,
        count=count,
    )


def _creators_counted(user) -> list[tuple[str, int]]:
    """(username, works shown) of each active creator with a work to show, A to Z."""
    rows = (
        Creatorship.objects.filter(
            approved=True, work__in=_shown_works(user), pseud__user__is_active=True
        )
        .values_list("pseud__user__username")
        .annotate(works=Count("work_id", distinct=True))
        .order_by(Lower("pseud__user__username"), "pseud__user__username")
    )
    return [(username, works) for username, works in rows]


@require_safe
def opds_creators(request):
    """Creators with works this reader may see, A to Z by username."""
    rows = _kept_for(request.user, "creators", lambda: _creators_counted(request.user))
    page = paginate(request, rows, LIST_PER_PAGE)
    entries = [
        _nav_entry(
            request,
            reverse("opds_creator", kwargs={"username": username}),
            username,
            _works_count(works),
            ACQUISITION,
            count=works,
        )
        for username, works in page.object_list
    ]
    return _list_feed(request, "opds_creators", "Creators", page, entries)


@require_safe
def opds_opensearch(request):
    """The OpenSearch description: where apps send a search."""
    absolute = request.build_absolute_uri
    body = render_to_string(
        "downloads/opds/opensearch.xml",
        {
            "short_name": xml_text(settings.SITE_NAME)[:16],
            "site_name": xml_text(settings.SITE_NAME),
            "opds_template": absolute(reverse("opds_search")) + "?q={searchTerms}",
            "atom_template": absolute(reverse("work_search_feed")) + "?q={searchTerms}",
            "html_template": absolute(reverse("work_search")) + "?q={searchTerms}",
        },
    )
    return HttpResponse(body, content_type=OPENSEARCH)
