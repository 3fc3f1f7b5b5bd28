"""The OPDS catalog: every feed parses (feedparser, and ElementTree for the
OPDS parts), carries the links an e-reader app walks by, lists only what
the reader may see, pages without errors, costs the same few queries
whatever the number of works, and comes from the page cache for guests
without ever being stale."""

import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duster.downloads.book import book_for, work_for_download
from duster.downloads.formats import offered
from duster.downloads.opds_catalog import ACQUIRE, ACQUISITION, NAVIGATION, OPENSEARCH
from duster.downloads.views import download_url
from duster.search.index import filter_index
from duster.tags.models import Tag, TagType
from duster.tags.tests.graphs import add_meta, canonical, merge
from duster.testing.factories import make_series, make_user, make_work
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work, series_create

pytestmark = pytest.mark.django_db

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/terms/",
    "os": "http://a9.com/-/spec/opensearch/1.1/",
    "thr": "http://purl.org/syndication/thread/1.0",
}
ATOM = "{http://www.w3.org/2005/Atom}"


def catalog(client, url: str, kind: str = ACQUISITION) -> ET.Element:
    """The feed at `url`, checked as a feed reader and as XML would check it."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == kind
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return ET.fromstring(response.content)  # noqa: S314  our own answer


def links(element: ET.Element) -> dict[str, list[ET.Element]]:
    found: dict[str, list[ET.Element]] = {}
    for link in element.findall("atom:link", NS):
        found.setdefault(link.get("rel", ""), []).append(link)
    return found


def titles(feed: ET.Element) -> list[str]:
    return [entry.findtext("atom:title", namespaces=NS) or "" for entry in entries(feed)]


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall("atom:entry", NS)


def local(href: str | None) -> str:
    assert href is not None and href.startswith("http://testserver/"), href
    return href.removeprefix("http://testserver")


@pytest.fixture
def writer():
    return make_user("writer")


@pytest.fixture
def reader():
    return make_user("reader")


class TestNavigation:
    def test_the_root_links_to_each_list_with_its_kind(self, client, writer):
        make_work(writer, title="Lanterns")
        root = catalog(client, "/opds/", NAVIGATION)
        found = links(root)
        assert local(found["self"][0].get("href")) == "/opds/"
        assert found["self"][0].get("type") == NAVIGATION
        assert local(found["start"][0].get("href")) == "/opds/"
        assert found["start"][0].get("type") == NAVIGATION
        searches = {link.get("type"): link.get("href") for link in found["search"]}
        assert local(searches[OPENSEARCH]) == "/opds/opensearch.xml"
        assert local(searches[ACQUISITION]) == "/opds/search?q={searchTerms}"
        assert root.findtext("atom:id", namespaces=NS) == "http://testserver/opds/"
        assert root.find("atom:updated", NS) is not None
        kinds = {}
        for entry in entries(root):
            link = entry.find("atom:link", NS)
            assert link is not None
            kinds[entry.findtext("atom:title", namespaces=NS)] = (
                local(link.get("href")),
                link.get("type"),
            )
        assert kinds == {
            "Recently updated": ("/opds/recent", ACQUISITION),
            "Fandoms": ("/opds/fandoms", NAVIGATION),
            "Popular tags": ("/opds/tags", NAVIGATION),
            "Series": ("/opds/series", NAVIGATION),
            "Creators": ("/opds/creators", NAVIGATION),
        }
        for entry in entries(root):
            assert entry.findtext("atom:id", namespaces=NS)
            assert entry.findtext("atom:updated", namespaces=NS)

    def test_every_list_leads_to_feeds_that_parse(self, client, writer):
        work = make_work(
            writer,
            title="Lanterns",
            fandoms=["Lamplighter Chronicles"],
            relationships=["Ada/Grace"],
            characters=["Ada"],
            freeforms=["Fluff"],
        )
        series = make_series(writer, [work], title="The Lamp Cycle")
        expected = {
            "/opds/fandoms": ("Lamplighter Chronicles", "/opds/tags/lamplighter-chronicles"),
            "/opds/tags": ("Fluff", "/opds/tags/fluff"),
            "/opds/series": ("The Lamp Cycle", f"/opds/series/{series.pk}"),
            "/opds/creators": ("writer", "/opds/creators/writer"),
        }
        for url, (title, target) in expected.items():
            feed = catalog(client, url, NAVIGATION)
            found = links(feed)
            assert local(found["up"][0].get("href")) == "/opds/"
            assert local(found["start"][0].get("href")) == "/opds/"
            assert "search" in found
            by_title = {e.findtext("atom:title", namespaces=NS): e for e in entries(feed)}
            assert title in by_title, url
            link = by_title[title].find("atom:link", NS)
            assert link is not None
            assert local(link.get("href")) == target
            assert link.get("type") == ACQUISITION
            assert link.get(f"{{{NS['thr']}}}count") == "1"
            works = catalog(client, target)
            assert titles(works) == ["Lanterns"]
            assert "search" in links(works) and "start" in links(works)

    def test_popular_tags_are_counted_most_used_first(self, client, writer):
        make_work(writer, freeforms=["Fluff", "Angst"])
        make_work(writer, freeforms=["Fluff"], relationships=["Ada/Grace"])
        feed = catalog(client, "/opds/tags", NAVIGATION)
        assert titles(feed)[0] == "Fluff"
        assert set(titles(feed)) == {"Fluff", "Angst", "Ada/Grace"}
        first = entries(feed)[0]
        assert first.findtext("atom:content", namespaces=NS) == "Additional Tag · 2 works"


class TestAcquisition:
    def test_a_work_entry_has_what_an_e_reader_needs(self, client, writer):
        work = make_work(
            writer,
            title="Lanterns & <Ledgers>",
            summary="<p>Ada keeps the &quot;lamps&quot; lit.</p>",
            freeforms=["Fluff"],
            chapters=2,
            expected_chapters=None,
        )
        (entry,) = entries(catalog(client, "/opds/recent"))
        shown = work_for_download(work.pk, AnonymousUser())
        assert shown is not None
        book = book_for(shown, with_chapters=False)
        assert entry.findtext("atom:id", namespaces=NS) == book.identifier
        assert entry.findtext("atom:title", namespaces=NS) == "Lanterns & <Ledgers> (2/?)"
        assert entry.findtext("atom:author/atom:name", namespaces=NS) == "writer"
        assert entry.findtext("dc:language", namespaces=NS) == "en"
        assert work.published_at is not None
        assert entry.findtext("dc:issued", namespaces=NS) == work.published_at.date().isoformat()
        assert entry.findtext("atom:updated", namespaces=NS)
        assert entry.findtext("atom:summary", namespaces=NS) == 'Ada keeps the "lamps" lit.'
        content = entry.find("atom:content", NS)
        assert content is not None and content.get("type") == "html"
        assert "<p>Ada keeps the" in (content.text or "")
        terms = {c.get("term") for c in entry.findall("atom:category", NS)}
        assert {"Fluff", "Lamplighter Chronicles", "General Audiences"} <= terms
        found = links(entry)
        assert [(local(a.get("href")), a.get("type")) for a in found["alternate"]] == [
            (work.get_absolute_url(), "text/html")
        ]
        acquisitions = {a.get("type"): local(a.get("href")) for a in found[ACQUIRE]}
        assert acquisitions == {
            fmt.media_type.split(";")[0]: download_url(work, fmt.extension) for fmt in offered()
        }
        assert acquisitions["application/epub+zip"].endswith(".epub")
        assert "text/html" in acquisitions and "text/plain" in acquisitions

    def test_a_series_lists_its_works_in_the_creators_order(self, client, writer):
        first = make_work(writer, title="First Part")
        second = make_work(writer, title="Second Part")
        series = make_series(writer, [second, first])
        feed = catalog(client, f"/opds/series/{series.pk}")
        assert titles(feed) == ["Second Part", "First Part"]
        assert local(links(feed)["up"][0].get("href")) == "/opds/series"
        assert local(links(feed)["alternate"][0].get("href")) == series.get_absolute_url()

    def test_a_tag_feed_follows_meta_tags_and_synonyms(self, client, writer):
        make_work(writer, title="On Television", fandoms=["BtVS (TV)"])
        make_work(writer, title="In Comics", fandoms=["Buffy Comics"])
        make_work(writer, title="Spelled Oddly", relationships=["Spuffy"])
        everything = canonical("Buffy - All Media", TagType.FANDOM)
        for name in ("BtVS (TV)", "Buffy Comics"):
            add_meta(canonical(name, TagType.FANDOM), everything)
        pairing = canonical("Buffy Summers/Spike")
        merge(Tag.objects.get(name="Spuffy"), pairing)
        meta = catalog(client, f"/opds/tags/{everything.slug}")
        assert set(titles(meta)) == {"On Television", "In Comics"}
        assert local(links(meta)["up"][0].get("href")) == "/opds/fandoms"
        synonym = client.get(f"/opds/tags/{Tag.objects.get(name='Spuffy').slug}")
        assert synonym.status_code == 302
        assert synonym["Location"] == f"/opds/tags/{pairing.slug}"
        assert titles(catalog(client, synonym["Location"])) == ["Spelled Oddly"]

    def test_search_finds_by_title_and_keeps_its_query_in_its_links(
        self, client, writer, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):  # the text index follows
            make_work(writer, title="Lanterns in the Fog")
            make_work(writer, title="Quiet Harbour")
        feed = catalog(client, "/opds/search?q=lanterns")
        assert titles(feed) == ["Lanterns in the Fog"]
        assert local(links(feed)["self"][0].get("href")) == "/opds/search?q=lanterns"

    def test_the_opensearch_description_points_at_the_search_feed(self, client):
        response = client.get("/opds/opensearch.xml")
        assert response.status_code == 200
        assert response["Content-Type"] == OPENSEARCH
        description = ET.fromstring(response.content)  # noqa: S314
        assert description.tag == f"{{{NS['os']}}}OpenSearchDescription"
        assert description.findtext("os:ShortName", namespaces=NS)
        templates = {
            url.get("type"): url.get("template") for url in description.findall("os:Url", NS)
        }
        assert templates[ACQUISITION] == "http://testserver/opds/search?q={searchTerms}"

    @pytest.mark.parametrize(
        "url", ["/opds/tags/no-such-tag", "/opds/series/999999", "/opds/creators/nobody"]
    )
    def test_what_does_not_exist_is_not_found(self, client, url):
        assert client.get(url).status_code == 404


class TestPages:
    @pytest.fixture
    def many(self, writer):
        return [make_work(writer, title=f"Numbered {n}") for n in range(23)]

    def test_a_long_feed_has_pages_linked_both_ways(self, client, many):
        first = catalog(client, "/opds/recent")
        assert len(entries(first)) == 20
        found = links(first)
        assert local(found["next"][0].get("href")) == "/opds/recent?page=2"
        assert local(found["last"][0].get("href")) == "/opds/recent?page=2"
        assert "previous" not in found and "first" not in found
        assert first.findtext("os:totalResults", namespaces=NS) == "23"
        second = catalog(client, local(found["next"][0].get("href")))
        assert len(entries(second)) == 3
        back = links(second)
        assert local(back["previous"][0].get("href")) == "/opds/recent"
        assert local(back["first"][0].get("href")) == "/opds/recent"
        assert local(back["self"][0].get("href")) == "/opds/recent?page=2"
        assert "next" not in back
        assert set(titles(first)).isdisjoint(titles(second))
        assert second.findtext("os:startIndex", namespaces=NS) == "21"

    @pytest.mark.parametrize(
        "page, count", [("999999999999", 3), ("0", 20), ("-1", 20), ("abc", 20), ("²", 20)]
    )
    def test_a_bad_page_number_shows_the_nearest_page(self, client, many, page, count):
        assert len(entries(catalog(client, f"/opds/recent?page={page}"))) == count

    @pytest.mark.parametrize("page", ["999999999999", "x"])
    def test_bad_page_numbers_on_lists_and_series(self, client, writer, many, page):
        series = make_series(writer, many)
        assert len(entries(catalog(client, f"/opds/series/{series.pk}?page={page}"))) in (3, 20)
        for url in ("/opds/fandoms", "/opds/series", "/opds/creators"):
            assert len(entries(catalog(client, f"{url}?page={page}", NAVIGATION))) == 1
        assert entries(catalog(client, f"/opds/tags?page={page}", NAVIGATION)) == []

    def test_a_series_feed_has_pages_in_reading_order(self, client, writer, many):
        series = make_series(writer, many)
        first = catalog(client, f"/opds/series/{series.pk}")
        assert titles(first) == [f"Numbered {n}" for n in range(20)]
        assert local(links(first)["next"][0].get("href")) == f"/opds/series/{series.pk}?page=2"

    def test_a_long_list_has_pages(self, client, writer):
        make_work(writer, fandoms=[f"Fandom {n:02}" for n in range(55)])
        first = catalog(client, "/opds/fandoms", NAVIGATION)
        assert len(entries(first)) == 50
        assert local(links(first)["next"][0].get("href")) == "/opds/fandoms?page=2"
        second = catalog(client, "/opds/fandoms?page=2", NAVIGATION)
        assert titles(second) == [f"Fandom {n}" for n in range(50, 55)]


class TestVisibility:
    def test_drafts_are_never_listed(self, client, writer):
        make_work(writer, title="Unfinished", post=False, freeforms=["Secret"])
        client.force_login(writer)
        assert titles(catalog(client, "/opds/recent")) == []
        assert titles(catalog(client, "/opds/creators/writer")) == []
        assert "Secret" not in titles(catalog(client, "/opds/tags", NAVIGATION))

    def test_restricted_works_are_for_members(
        self, client, writer, reader, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):  # the text index follows
            work = make_work(writer, title="Members Only", freeforms=["Quiet"], restricted=True)
        series = make_series(writer, [work])
        guest_urls = ["/opds/recent", "/opds/creators/writer", "/opds/search?q=members"]
        for url in guest_urls:
            assert titles(catalog(client, url)) == []
        assert client.get(f"/opds/series/{series.pk}").status_code == 404
        assert client.get("/opds/tags/quiet").status_code == 404
        assert titles(catalog(client, "/opds/creators", NAVIGATION)) == []
        client.force_login(reader)
        for url in [*guest_urls, f"/opds/series/{series.pk}", "/opds/tags/quiet"]:
            assert titles(catalog(client, url)) == ["Members Only"]
        assert titles(catalog(client, "/opds/creators", NAVIGATION)) == ["writer"]

    def test_an_anonymous_work_never_names_its_creator(self, client, writer, reader):
        named = make_work(writer, title="Signed")
        hidden = make_work(writer, title="Unsigned", anonymous=True, freeforms=["Masks"])
        series = make_series(writer, [named, hidden])
        for who in (None, reader):
            if who is not None:
                client.force_login(who)
            recent = {
                e.findtext("atom:title", namespaces=NS): e
                for e in entries(catalog(client, "/opds/recent"))
            }
            unsigned = recent["Unsigned"]
            assert unsigned.findtext("atom:author/atom:name", namespaces=NS) == "Anonymous"
            assert unsigned.find("atom:author/atom:uri", NS) is None
            masks = client.get("/opds/tags/masks")
            assert masks.status_code == 200 and b"Unsigned" in masks.content
            assert b"writer" not in masks.content
            assert titles(catalog(client, "/opds/creators/writer")) == ["Signed"]
            assert titles(catalog(client, f"/opds/series/{series.pk}")) == ["Signed"]
            creators = catalog(client, "/opds/creators", NAVIGATION)
            assert entries(creators)[0].findtext("atom:content", namespaces=NS) == "1 work"
            listed = catalog(client, "/opds/series", NAVIGATION)
            assert entries(listed)[0].findtext("atom:content", namespaces=NS) == "1 work by writer"


def _queries(client, url: str) -> tuple[int, int]:
    """How many queries a guest's fetch of `url` costs, and its entries."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.count(b"<entry>")


def _add_works(writer, series, numbers) -> None:
    """For each number: a creator's work with a fandom and a tag of its own,
    in a series of theirs, and one of the writer's in the writer's series."""
    for n in numbers:
        other = make_user(f"other{n}")
        fandoms, freeforms = [f"Fandom {n}"], ["Fluff", f"Tag {n}"]
        theirs = make_work(other, title=f"Numbered {n}", fandoms=fandoms, freeforms=freeforms)
        make_series(other, [theirs])
        own = make_work(writer, title=f"Own {n}", fandoms=fandoms, freeforms=freeforms)
        series_add_work(series=series, work=own)


@pytest.mark.parametrize(
    "url",
    [
        "/opds/",
        "/opds/recent",
        "/opds/tags/fluff",
        "/opds/creators/writer",
        "/opds/series/{series}",
        "/opds/search?q=numbered",
        "/opds/fandoms",
        "/opds/tags",
        "/opds/series",
        "/opds/creators",
    ],
)
def test_queries_do_not_grow_with_the_works(
    client, settings, writer, url, django_assert_num_queries, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 0
    series = series_create(pseud=writer.default_pseud, fields={"title": "Long"})
    with django_capture_on_commit_callbacks(execute=True):  # the text index follows
        _add_works(writer, series, range(3))
    address = url.format(series=series.pk)
    client.get("/opds/")  # what every request reads once (the image host policy)
    filter_index()  # built or caught up alike before both counts
    few, shown = _queries(client, address)
    with django_capture_on_commit_callbacks(execute=True):
        _add_works(writer, series, range(3, 10))
    filter_index()
    with django_assert_num_queries(few):
        response = client.get(address)
    if url != "/opds/":
        assert response.content.count(b"<entry>") > shown


class TestCache:
    def test_a_guest_gets_the_kept_feed_until_a_chapter_is_posted(self, client, writer):
        work = make_work(writer, title="Lanterns", expected_chapters=None)
        series = make_series(writer, [work])
        urls = ["/opds/recent", "/opds/tags/lamplighter-chronicles", f"/opds/series/{series.pk}"]
        first = {url: client.get(url) for url in urls}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                again = client.get(url)
            assert len(queries) == 0, url
            assert again.content == first[url].content
            assert again["Content-Type"] == first[url]["Content-Type"]
        chapter_create(work=work, fields={"body": "<p>More.</p>"}, post=True)
        for url in urls:
            assert titles(catalog(client, url)) == ["Lanterns (2/?)"], url

    def test_members_are_not_served_from_the_cache(self, client, writer, reader):
        make_work(writer, title="Open")
        client.get("/opds/recent")
        client.force_login(reader)
        response = client.get("/opds/recent")
        assert "private" in response["Cache-Control"]
