"""No page's query count grows with the number of works, chapters, tags,
creators or series entries: each page is measured on a small archive, the
archive grows, and the page must cost exactly as many queries again."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.accounts.models import Pseud
from duster.tags.models import Tag
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Creatorship
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work
from duster.works.services.works import work_set_tags

pytestmark = pytest.mark.django_db

FANDOM = "Lamplighter Chronicles"
PAIRING = "Ada/Bram"


class Archive:
    """A small archive by one author, and a way to make it much bigger."""

    def __init__(self):
        self.author = make_user("author")
        self.reader = make_user("reader")
        tags: dict[str, Any] = {
            "relationships": [PAIRING],
            "characters": ["Ada"],
            "freeforms": ["Fluff"],
        }
        self.oneshot = make_work(self.author, title="One Shot", **tags)
        self.serial = make_work(self.author, title="Serial", chapters=2, expected_chapters=None)
        self.unsigned = make_work(self.author, title="Unsigned", anonymous=True, **tags)
        self.adult = make_work(self.author, title="Grown Up", rating="explicit")
        self.series = make_series(self.author, works=[self.serial, self.oneshot, self.unsigned])
        self.fandom = Tag.objects.get(name=FANDOM)
        self.pairing = Tag.objects.get(name=PAIRING)

    def grow(self):
        """Many more works, chapters, tags, co-creators, series and series entries."""
        cocreators = [make_user(f"cocreator{n}") for n in range(3)]
        owl = Pseud.objects.create(user=self.author, name="Night Owl")
        works = []
        for number in range(21):
            work = make_work(
                self.author,
                title=f"Grown {number}",
                chapters=2,
                expected_chapters=None,
                relationships=[PAIRING, f"Pair {number}"],
                characters=[f"Character {number}", "Ada"],
                freeforms=[f"Tag {number}-{n}" for n in range(4)],
                restricted=number % 7 == 0,
                co_creators=[c.default_pseud for c in cocreators],
                summary="<p>Grown summary.</p>",
            )
            Creatorship.objects.filter(work=work).update(approved=True)
            Creatorship.objects.create(work=work, pseud=owl, approved=True, position=9)
            works.append(work)
        for number in range(5):
            make_work(
                self.author,
                title=f"Grown Draft {number}",
                post=False,
                relationships=[PAIRING],
            )
        unsigned = [
            make_work(self.author, title=f"Unsigned {n}", anonymous=True, relationships=[PAIRING])
            for n in range(4)
        ]
        for number in range(6):
            chapter_create(work=self.serial, fields={"body": f"<p>More {number}.</p>"}, post=True)
        chapter_create(work=self.serial, fields={"body": "<p>Unposted.</p>"}, post=False)
        more_tags = {
            "fandoms": [FANDOM, "Second Fandom", "Third Fandom"],
            "relationships": [PAIRING, "Ada/Cy", "Bram/Cy"],
            "characters": [f"Extra {n}" for n in range(10)],
            "freeforms": [f"Extra Tag {n}" for n in range(30)],
        }
        for work in (self.oneshot, self.serial):
            work_set_tags(work=work, tags=more_tags)
            for cocreator in cocreators:
                Creatorship.objects.create(
                    work=work, pseud=cocreator.default_pseud, approved=True, position=5
                )
        for work in works[:12] + unsigned:
            series_add_work(series=self.series, work=work, position=1)
        for number in range(4):
            make_series(self.author, works=[self.serial, *works[number::4]], title=f"S{number}")


PAGES = {
    "one-chapter work": lambda a: a.oneshot.get_absolute_url(),
    "first chapter with the chapter menu": lambda a: a.serial.get_absolute_url(),
    "chapter page": lambda a: a.serial.chapters.get(position=2).get_absolute_url(),
    "entire work": lambda a: a.serial.get_absolute_url() + "?view_full_work=true",
    "chapter index": lambda a: f"/works/{a.serial.pk}/navigate",
    "anonymous work in a series": lambda a: a.unsigned.get_absolute_url(),
    "adult notice": lambda a: a.adult.get_absolute_url(),
    "latest works": lambda a: "/works/",
    "user page": lambda a: "/users/author/",
    "user works": lambda a: "/users/author/works",
    "user works by fandom": lambda a: f"/users/author/works?fandom={a.fandom.slug}",
    "user works by pairing": lambda a: f"/users/author/works?relationship={a.pairing.slug}",
    "user works by an unknown tag": lambda a: "/users/author/works?fandom=no-such-tag",
    "user series": lambda a: "/users/author/series",
    "series page": lambda a: f"/series/{a.series.pk}/",
    "tag page": lambda a: f"/tags/{a.fandom.slug}/",
    "tag works": lambda a: f"/tags/{a.fandom.slug}/works",
    "pairing tag page": lambda a: f"/tags/{a.pairing.slug}/",
    "home": lambda a: "/",
}


def visitor(archive, who: str) -> Client:
    client = Client()
    if who != "guest":
        client.force_login(getattr(archive, who))
    return client


def test_query_counts_do_not_grow_with_the_archive(django_assert_num_queries, settings):
    """For a guest, a logged-in reader and the author, on every page, as
    rendered (a guest's cached page costs none: test_page_cache.py)."""
    settings.PAGE_CACHE_SECONDS = 0
    archive = Archive()
    clients = {who: visitor(archive, who) for who in ("guest", "reader", "author")}
    urls = {name: page(archive) for name, page in PAGES.items()}
    small = {}
    for who, client in clients.items():
        for name, url in urls.items():
            assert client.get(url).status_code == 200, name  # the day's hit is counted once
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, name
            small[who, name] = len(queries)

    archive.grow()

    for who, client in clients.items():
        for name, url in urls.items():
            # Warmed as before: counts kept until a list changes are made again.
            assert client.get(url).status_code == 200, name
            with django_assert_num_queries(small[who, name], info=f"{name} for the {who}"):
                response = client.get(url)
            assert response.status_code == 200, name


def test_grown_pages_really_show_more(client):
    """The growth reaches the pages measured above (guarding the test itself)."""
    archive = Archive()
    archive.grow()
    assert client.get("/works/").content.decode().count('class="work blurb group"') == 20
    assert "Extra Tag 29" in client.get(archive.oneshot.get_absolute_url()).content.decode()
    full = client.get(archive.serial.get_absolute_url() + "?view_full_work=true")
    assert "More 5." in full.content.decode()
    assert "cocreator2" in client.get("/works/").content.decode()
    series = client.get(f"/series/{archive.series.pk}/").content.decode()
    assert series.count('class="work blurb group"') >= 10
    author = Client()
    author.force_login(archive.author)
    assert "Grown Draft 4" in author.get("/users/author/").content.decode()
    assert "Unsigned 3" in author.get(f"/series/{archive.series.pk}/").content.decode()
