"""Tag pages, a tag's works and the fandom index, read through the filter tags."""

import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.tags.models import Media, Tag, TagType
from duster.tags.tests.graphs import add_meta, canonical, merge, tag
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.django_db
FANDOM = TagType.FANDOM


def text(response) -> str:
    """The page's words, tags taken out."""
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(html).split())


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def buffy(author):
    """Three spellings of one pairing under a canonical relationship, in a
    fandom that is a sub tag of an all-media meta fandom."""
    make_work(author, title="One", fandoms=["BtVS (TV)"], relationships=["Spike/Buffy"])
    make_work(author, title="Two", fandoms=["BtVS (TV)"], relationships=["buffy x spike"])
    make_work(author, title="Three", fandoms=["Buffy Comics"], relationships=["Spuffy"])
    make_work(author, title="Elsewhere", fandoms=["Firefly"], relationships=["Mal/Inara"])
    make_work(author, title="Draft", post=False, fandoms=["Secret Fandom"])
    pairing = canonical("Buffy Summers/Spike")
    for spelling in ("Spike/Buffy", "buffy x spike", "Spuffy"):
        merge(tag(spelling), pairing)
    tv = canonical("BtVS (TV)", FANDOM, media=Media.TV)
    comics = canonical("Buffy Comics", FANDOM, media=Media.COMICS)
    everything = canonical("Buffy the Vampire Slayer - All Media Types", FANDOM)
    add_meta(tv, everything)
    add_meta(comics, everything)
    spike = canonical("Spike", TagType.CHARACTER)
    pairing.characters.add(spike, canonical("Buffy Summers", TagType.CHARACTER))
    pairing.fandoms.add(tv)
    return pairing


class TestTagPage:
    def test_a_canonical_tag_shows_its_synonyms_fandoms_characters_and_works(self, client, buffy):
        page = text(client.get(f"/tags/{buffy.slug}/"))
        assert "Relationship · 3 works" in page
        assert "Canonical" in page
        for name in ("Spike/Buffy", "buffy x spike", "Spuffy", "BtVS (TV)", "Spike"):
            assert name in page
        assert "One" in page and "Three" in page and "Elsewhere" not in page

    def test_a_synonym_points_to_its_canonical_tag(self, client, buffy):
        response = client.get(f"/tags/{tag('Spuffy').slug}/")
        assert "Synonym of Buffy Summers/Spike" in text(response)
        assert f'href="{buffy.get_absolute_url()}"' in response.content.decode()

    def test_a_meta_tag_lists_works_of_every_sub_tag(self, client, buffy):
        everything = tag("Buffy the Vampire Slayer - All Media Types", FANDOM)
        page = text(client.get(f"/tags/{everything.slug}/"))
        assert "Fandom · 3 works" in page
        assert "Sub tags" in page and "BtVS (TV)" in page and "Buffy Comics" in page
        works = text(client.get(f"/tags/{everything.slug}/works"))
        assert all(title in works for title in ("One", "Two", "Three"))
        assert "Elsewhere" not in works

    def test_a_synonyms_works_page_redirects_to_the_canonical_works(self, client, buffy):
        response = client.get(f"/tags/{tag('Spuffy').slug}/works")
        assert response.status_code == 302
        assert response["Location"] == buffy.works_url

    def test_a_tag_used_only_on_a_draft_is_not_found(self, client, author, buffy):
        assert client.get(f"/tags/{tag('Secret Fandom', FANDOM).slug}/").status_code == 404
        client.force_login(author)
        assert client.get(f"/tags/{tag('Secret Fandom', FANDOM).slug}/").status_code == 200

    def test_a_creators_works_filter_by_a_pairing_follows_its_synonyms(self, client, buffy):
        page = text(client.get(f"/users/author/works?relationship={buffy.slug}"))
        assert "3 works" in page and "Elsewhere" not in page


class TestFandomIndex:
    def test_fandoms_are_grouped_by_media_with_counts_a_to_z(self, client, buffy, author):
        make_work(author, title="Another", fandoms=["Angel (TV)"])
        Tag.objects.filter(name="Angel (TV)").update(media=Media.TV)
        html = client.get("/fandoms/").content.decode()
        page = text(client.get("/fandoms/"))
        assert page.index("TV Shows") < page.index("Cartoons & Comics") < page.index("Other fan")
        tv = page[page.index("TV Shows", page.index("Fandoms ")) :]
        assert tv.index("A Angel (TV) (1)") < tv.index("B BtVS (TV) (2)")
        assert "Firefly (1)" in page and "Secret Fandom" not in page
        assert "Buffy the Vampire Slayer - All Media Types (3)" in page
        assert 'href="/tags/' in html

    def test_the_counts_change_on_the_next_request_after_a_new_work(self, client, author):
        make_work(author, fandoms=["Firefly"])
        assert "Firefly (1)" in text(client.get("/fandoms/"))
        make_work(author, fandoms=["Firefly"])
        assert "Firefly (2)" in text(client.get("/fandoms/"))


def _measure(client: Client, url: str) -> int:
    """Queries for the page, once what a first visit sets up is done; the
    fandom index's counts are counted afresh (they are kept until a list changes)."""
    assert client.get(url).status_code == 200, url
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_tag_pages_cost_the_same_queries_however_big_the_graph(buffy, author):
    reader = make_user("reader")
    clients = {"guest": Client(), "reader": Client()}
    clients["reader"].force_login(reader)
    everything = tag("Buffy the Vampire Slayer - All Media Types", FANDOM)
    urls = [
        f"/tags/{buffy.slug}/",
        f"/tags/{buffy.slug}/works",
        f"/tags/{everything.slug}/",
        f"/tags/{everything.slug}/works",
        "/fandoms/",
    ]
    small = {(who, url): _measure(c, url) for who, c in clients.items() for url in urls}

    for n in range(8):
        make_work(
            author,
            title=f"More {n}",
            fandoms=[f"Fandom {n}", "BtVS (TV)"],
            relationships=[f"Spelling {n}", "Spuffy"],
            characters=[f"Person {n}"],
            freeforms=[f"Tag {n}"],
        )
        merge(tag(f"Spelling {n}"), buffy)
        sub = canonical(f"Fandom {n}", FANDOM, media=Media.values[n % len(Media.values)])
        add_meta(sub, everything)
        meta = canonical(f"Meta {n}")
        add_meta(buffy, meta)
        buffy.fandoms.add(sub)
        buffy.characters.add(canonical(f"Person {n}", TagType.CHARACTER))

    for (who, url), count in small.items():
        assert _measure(clients[who], url) == count, f"{url} for the {who}"
    assert "More 7" in text(clients["guest"].get(f"/tags/{everything.slug}/works"))
    assert "Spelling 7" in text(clients["guest"].get(f"/tags/{buffy.slug}/"))
