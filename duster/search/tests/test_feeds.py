"""The Atom feed of a work search: the same query as the page, newest first,
one page of entries, never naming the creator of an anonymous work."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duster.search.index import filter_index_reset
from duster.testing.factories import make_user, make_work
from duster.works.models import Work

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[dict[str, str | None]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314  our own answer
    found = []
    for entry in feed.findall(f"{ATOM}entry"):
        found.append(
            {
                "title": entry.findtext(f"{ATOM}title"),
                "link": entry.findall(f"{ATOM}link")[0].get("href"),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
                "updated": entry.findtext(f"{ATOM}updated"),
                "summary": entry.findtext(f"{ATOM}summary"),
            }
        )
    return found


def dated(work: Work, days_ago: int) -> None:
    Work.objects.filter(pk=work.pk).update(updated_at=timezone.now() - dt.timedelta(days=days_ago))


@pytest.fixture
def writer():
    return make_user("writer")


def test_the_feed_lists_the_newest_matching_works_whatever_the_sort(client, writer):
    older = make_work(writer, title="Older", freeforms=["Fluff"], summary="<p>Once.</p>")
    newer = make_work(writer, title="Newer", freeforms=["Fluff"])
    make_work(writer, title="Elsewhere", freeforms=["Angst"])
    dated(older, 3)
    dated(newer, 1)
    filter_index_reset()  # the dates changed behind the index's back
    found = entries(client.get("/works/search.atom?include=Fluff&sort=title"))
    assert [e["title"] for e in found] == ["Newer", "Older"]
    first = found[0]
    assert first["link"] == f"http://testserver/works/{newer.pk}/"
    assert first["author"] == "writer"
    newer.refresh_from_db()
    assert first["updated"] and newer.updated_at
    updated = dt.datetime.fromisoformat(first["updated"])
    assert abs(updated - newer.updated_at) < dt.timedelta(seconds=1)
    assert found[1]["summary"] == "<p>Once.</p>"


def test_the_feed_holds_one_page_of_entries(client, writer):
    for number in range(23):
        make_work(writer, title=f"Numbered {number}")
    assert len(entries(client.get("/works/search.atom"))) == 20


def test_the_feed_names_no_creator_of_an_anonymous_work(client, writer):
    make_work(writer, title="Unsigned", anonymous=True)
    response = client.get("/works/search.atom")
    (entry,) = entries(response)
    assert entry["author"] == "Anonymous"
    assert b"writer" not in response.content
    assert entries(client.get("/works/search.atom?creator=writer")) == []


def test_the_feed_leaves_restricted_works_to_members(client, writer):
    make_work(writer, title="Members Only", restricted=True)
    assert entries(client.get("/works/search.atom")) == []
    client.force_login(make_user("reader"))
    assert [e["title"] for e in entries(client.get("/works/search.atom"))] == ["Members Only"]


@pytest.mark.parametrize(
    "query",
    ['q="still', "page=999999999", "page=-1", "words_from=abc", "include=No+Such+Tag", "sort=x"],
)
def test_bad_input_still_gives_a_feed(client, writer, query, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_work(writer, title="Still Here")
    assert [e["title"] for e in entries(client.get(f"/works/search.atom?{query}"))] == [
        "Still Here"
    ]


def test_a_guest_feed_is_kept_by_the_page_cache(client, writer):
    make_work(writer, title="Cached")
    first = client.get("/works/search.atom")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/works/search.atom")
    assert len(queries) == 0
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
