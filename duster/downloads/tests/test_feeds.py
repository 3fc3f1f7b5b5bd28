"""The Atom feeds of a tag, a creator and a series: what a feed reader
gets (parsed with feedparser), newest work or chapter first, only what the
reader may see, a fixed number of queries, and from the page cache for
guests until something changes."""

import datetime as dt
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duster.downloads.book import book_for, work_for_download
from duster.downloads.views import download_url
from duster.search.index import filter_index, filter_index_reset
from duster.tags.models import Tag, TagType
from duster.tags.tests.graphs import add_meta, canonical, merge
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Work
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work, series_create

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def feed(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def titles(parsed) -> list[str]:
    return [entry.title for entry in parsed.entries]


def dated(*works: Work) -> None:
    """Each work updated a day before the next, the first the oldest."""
    now = timezone.now()
    for age, work in enumerate(reversed(works), start=1):
        Work.objects.filter(pk=work.pk).update(updated_at=now - dt.timedelta(days=age))
    filter_index_reset()  # the dates changed behind the index's back


@pytest.fixture
def writer():
    return make_user("writer")


@pytest.fixture
def reader():
    return make_user("reader")


def test_the_addresses_are_the_designs(writer):
    from django.urls import reverse

    assert reverse("tag_feed", kwargs={"slug": "fluff"}) == "/tags/fluff/feed.atom"
    assert reverse("user_feed", kwargs={"username": "writer"}) == "/users/writer/feed.atom"
    assert reverse("series_feed", kwargs={"pk": 7}) == "/series/7/feed.atom"


def test_an_entry_has_title_chapters_author_summary_tags_and_epub(client, writer):
    work = make_work(
        writer,
        title="Lanterns & <Ledgers>",
        summary="<p>Ada keeps the <em>lamps</em> lit.</p>",
        freeforms=["Fluff"],
        chapters=3,
        expected_chapters=None,
    )
    parsed = feed(client, "/tags/fluff/feed.atom")
    assert parsed.feed.title == "Works tagged Fluff"
    assert parsed.feed.link == "http://testserver/tags/fluff/works"
    (entry,) = parsed.entries
    assert entry.title == "Lanterns & <Ledgers> (3/?)"
    assert entry.link == f"http://testserver{work.get_absolute_url()}"
    assert entry.author == "writer"
    assert entry.author_detail.href == "http://testserver/users/writer/works?pseud=" + str(
        writer.default_pseud.pk
    )
    assert entry.summary == "<p>Ada keeps the <em>lamps</em> lit.</p>"
    assert {"Fluff", "Lamplighter Chronicles", "General Audiences"} <= {
        tag.term for tag in entry.tags
    }
    shown = work_for_download(work.pk, AnonymousUser())
    assert shown is not None
    book = book_for(shown, with_chapters=False)
    assert entry.id == book.identifier
    (epub,) = entry.enclosures
    assert epub.href == f"http://testserver{download_url(work, 'epub')}"
    assert epub.type == "application/epub+zip"
    work.refresh_from_db()
    assert work.updated_at is not None
    assert entry.updated_parsed[:6] == work.updated_at.utctimetuple()[:6]


def test_a_one_shot_is_titled_without_chapters(client, writer):
    make_work(writer, title="Short", complete=True)
    assert titles(feed(client, "/users/writer/feed.atom")) == ["Short"]


@pytest.mark.parametrize("scope", ["tag", "creator", "series"])
def test_a_new_chapter_brings_its_work_to_the_top(client, writer, scope):
    old, middle, new = (
        make_work(writer, title=title, freeforms=["Fluff"], expected_chapters=None)
        for title in ("Old", "Middle", "New")
    )
    series = make_series(writer, [old, middle, new])
    url = {
        "tag": "/tags/fluff/feed.atom",
        "creator": "/users/writer/feed.atom",
        "series": f"/series/{series.pk}/feed.atom",
    }[scope]
    dated(old, middle, new)
    assert titles(feed(client, url)) == ["New (1/?)", "Middle (1/?)", "Old (1/?)"]
    chapter_create(work=old, fields={"body": "<p>At last, more.</p>"}, post=True)
    parsed = feed(client, url)
    assert titles(parsed) == ["Old (2/?)", "New (1/?)", "Middle (1/?)"]
    assert parsed.entries[0].updated_parsed > parsed.entries[1].updated_parsed


def test_a_feed_holds_the_newest_twenty(client, writer):
    works = [make_work(writer, title=f"Numbered {n}", freeforms=["Fluff"]) for n in range(23)]
    dated(*works)
    found = titles(feed(client, "/tags/fluff/feed.atom"))
    assert found == [f"Numbered {n}" for n in range(22, 2, -1)]


def test_a_tag_feed_follows_meta_tags_and_synonyms(client, writer):
    make_work(writer, title="On Television", fandoms=["BtVS (TV)"])
    make_work(writer, title="In Comics", fandoms=["Buffy Comics"])
    make_work(writer, title="Spelled Oddly", relationships=["Spuffy"])
    everything = canonical("Buffy - All Media", TagType.FANDOM)
    for name in ("BtVS (TV)", "Buffy Comics"):
        add_meta(canonical(name, TagType.FANDOM), everything)
    pairing = canonical("Buffy Summers/Spike")
    synonym = Tag.objects.get(name="Spuffy")
    merge(synonym, pairing)
    assert set(titles(feed(client, f"/tags/{everything.slug}/feed.atom"))) == {
        "On Television",
        "In Comics",
    }
    by_synonym = feed(client, f"/tags/{synonym.slug}/feed.atom")
    assert titles(by_synonym) == ["Spelled Oddly"]
    assert by_synonym.feed.title == "Works tagged Buffy Summers/Spike"


class TestVisibility:
    def test_drafts_are_never_in_a_feed(self, client, writer):
        draft = make_work(writer, title="Unfinished", post=False, freeforms=["Fluff"])
        make_work(writer, title="Posted", freeforms=["Fluff"])
        series = make_series(writer, [draft])
        client.force_login(writer)
        assert titles(feed(client, "/tags/fluff/feed.atom")) == ["Posted"]
        assert titles(feed(client, "/users/writer/feed.atom")) == ["Posted"]
        assert titles(feed(client, f"/series/{series.pk}/feed.atom")) == []
        client.logout()
        assert client.get(f"/series/{series.pk}/feed.atom").status_code == 404

    def test_restricted_works_are_for_members(self, client, writer, reader):
        work = make_work(writer, title="Members Only", freeforms=["Quiet"], restricted=True)
        make_work(writer, title="Open", freeforms=["Quiet", "Loud"])
        series = make_series(writer, [work])
        assert titles(feed(client, "/tags/quiet/feed.atom")) == ["Open"]
        assert titles(feed(client, "/users/writer/feed.atom")) == ["Open"]
        assert client.get(f"/series/{series.pk}/feed.atom").status_code == 404
        client.force_login(reader)
        assert set(titles(feed(client, "/tags/quiet/feed.atom"))) == {"Open", "Members Only"}
        assert set(titles(feed(client, "/users/writer/feed.atom"))) == {"Open", "Members Only"}
        assert titles(feed(client, f"/series/{series.pk}/feed.atom")) == ["Members Only"]

    def test_an_anonymous_work_never_names_its_creator(self, client, writer, reader):
        signed = make_work(writer, title="Signed", freeforms=["Masks"])
        unsigned = make_work(writer, title="Unsigned", anonymous=True, freeforms=["Masks"])
        series = make_series(writer, [signed, unsigned])
        for who in (None, reader):
            if who is not None:
                client.force_login(who)
            response = client.get("/tags/masks/feed.atom")
            by_title = {e.title: e for e in feed(client, "/tags/masks/feed.atom").entries}
            assert by_title["Unsigned"].author == "Anonymous"
            assert "href" not in by_title["Unsigned"].get("author_detail", {})
            raw = ET.fromstring(response.content)  # noqa: S314  our own answer
            (entry,) = [
                e for e in raw.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "Unsigned"
            ]
            assert "writer" not in ET.tostring(entry, encoding="unicode")
            assert titles(feed(client, "/users/writer/feed.atom")) == ["Signed"]
            assert titles(feed(client, f"/series/{series.pk}/feed.atom")) == ["Signed"]

    @pytest.mark.parametrize(
        "url", ["/tags/no-such-tag/feed.atom", "/users/nobody/feed.atom", "/series/999/feed.atom"]
    )
    def test_what_does_not_exist_is_not_found(self, client, url):
        assert client.get(url).status_code == 404


def _add_works(writer, series, numbers) -> None:
    for n in numbers:
        work = make_work(writer, title=f"Numbered {n}", freeforms=["Fluff", f"Tag {n}"])
        series_add_work(series=series, work=work)


@pytest.mark.parametrize(
    "url", ["/tags/fluff/feed.atom", "/users/writer/feed.atom", "/series/{series}/feed.atom"]
)
def test_queries_do_not_grow_with_the_works(
    client, settings, writer, url, django_assert_num_queries
):
    settings.PAGE_CACHE_SECONDS = 0
    series = series_create(pseud=writer.default_pseud, fields={"title": "Long"})
    address = url.format(series=series.pk)
    _add_works(writer, series, range(3))
    client.get("/opds/")  # what every request reads once (the image host policy)
    filter_index()  # built or caught up alike before both counts
    with CaptureQueriesContext(connection) as few:
        assert len(feed(client, address).entries) == 3
    _add_works(writer, series, range(3, 10))
    filter_index()
    with django_assert_num_queries(len(few)):
        response = client.get(address)
    assert len(feedparser.parse(response.content).entries) == 10


@pytest.mark.parametrize("scope", ["tag", "creator", "series"])
def test_a_guest_gets_the_kept_feed_until_a_chapter_is_posted(client, writer, scope):
    work = make_work(writer, title="Lanterns", freeforms=["Fluff"], expected_chapters=None)
    series = make_series(writer, [work])
    url = {
        "tag": "/tags/fluff/feed.atom",
        "creator": "/users/writer/feed.atom",
        "series": f"/series/{series.pk}/feed.atom",
    }[scope]
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert len(queries) == 0
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert "public" in again["Cache-Control"]
    chapter_create(work=work, fields={"body": "<p>More.</p>"}, post=True)
    assert titles(feed(client, url)) == ["Lanterns (2/?)"]


def test_the_pages_point_to_their_feeds(client, writer):
    work = make_work(writer, title="Lanterns", freeforms=["Fluff"])
    series = make_series(writer, [work])
    pages = {
        "/tags/fluff/": "/tags/fluff/feed.atom",
        "/tags/fluff/works": "/tags/fluff/feed.atom",
        "/users/writer/": "/users/writer/feed.atom",
        "/users/writer/works": "/users/writer/feed.atom",
        f"/series/{series.pk}/": f"/series/{series.pk}/feed.atom",
    }
    for page, feed_url in pages.items():
        html = client.get(page).content.decode()
        assert '<link rel="alternate" type="application/atom+xml"' in html, page
        assert f'href="{feed_url}"' in html, page
        feed(client, feed_url)
