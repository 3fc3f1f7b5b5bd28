"""The search page and the sidebar it shares with /works/, tag pages and
creators' works pages: the form, results, facets, pager, messages, the feed
link and the save form, as readers get them."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.search.forms import WorkSearchForm
from duster.search.params import WorkSearch
from duster.tags.models import Tag
from duster.testing.factories import make_user, make_work
from duster.testing.html import errors_at, form_values

pytestmark = pytest.mark.django_db

CONTRACT = [
    "q",
    "include",
    "exclude",
    "rating",
    "warning",
    "category",
    "complete",
    "oneshot",
    "crossover",
    "language",
    "words_from",
    "words_to",
    "updated_from",
    "updated_to",
    "posted_from",
    "posted_to",
    "hits_min",
    "kudos_min",
    "comments_min",
    "bookmarks_min",
    "creator",
    "sort",
]


def text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(html).split())


def titles(response) -> list[str]:
    """The titles of the works listed, in order."""
    html = response.content.decode()
    return [
        unescape(t) for t in re.findall(r'id="work_\d+_title"><a href="[^"]*">([^<]*)</a>', html)
    ]


def facets(response, kind: str = "include") -> dict[str, str]:
    """Tag name -> the address of its facet link that includes (or excludes) it."""
    html = response.content.decode()
    if kind == "include":
        found = re.findall(r'<li><a href="([^"]*)" rel="nofollow">([^<]*)</a> <span', html)
    else:
        found = re.findall(
            r'<a class="exclude" href="([^"]*)"[^>]*>.*?Leave out ([^<]*)</span>', html
        )
    return {unescape(name): unescape(url) for url, name in found}


@pytest.fixture
def writer():
    return make_user("writer")


@pytest.fixture
def shelf(writer, django_capture_on_commit_callbacks):
    """Four works in two fandoms, one restricted, one anonymous; their text
    indexed as when the posting commits."""
    with django_capture_on_commit_callbacks(execute=True):
        make_work(
            writer,
            title="Harbour Lights",
            fandoms=["Glass Harbour"],
            relationships=["Ada/Bram"],
            freeforms=["Fluff"],
            rating="teen",
            chapters=3,
        )
        make_work(
            writer,
            title="Moth Wings",
            fandoms=["Moth Kingdom"],
            relationships=["Ada/Bram"],
            freeforms=["Angst"],
            expected_chapters=None,
        )
        make_work(writer, title="Members Only", fandoms=["Glass Harbour"], restricted=True)
        make_work(writer, title="Nobody's Tale", fandoms=["Moth Kingdom"], anonymous=True)


# --- The form ---------------------------------------------------------------------------------


def test_the_search_page_has_every_contract_parameter_as_a_field(client):
    response = client.get("/works/search")
    assert response.status_code == 200
    html = response.content.decode()
    for name in CONTRACT:
        assert f'name="{name}"' in html, name
    assert 'data-tag-suggest="any"' in html
    assert "tag-suggest.js" in html


def test_the_form_shows_the_search_it_ran(client, shelf):
    query = (
        "q=lights&include=Glass+Harbour&exclude=Angst&rating=teen&complete=1&oneshot=1"
        "&crossover=exclude&language=en&words_from=10&words_to=900&posted_from=2020-01-02"
        "&kudos_min=0&creator=writer&sort=title"
    )
    values = form_values(client.get(f"/works/search?{query}"))
    assert values["q"] == ["lights"]
    assert values["include"] == ["Glass Harbour"]
    assert values["exclude"] == ["Angst"]
    assert values["rating"] == ["teen"]
    assert values["complete"] == ["1"]
    assert values["oneshot"] == ["1"]
    assert values["crossover"] == ["exclude"]
    assert values["language"] == ["en"]
    assert values["words_from"] == ["10"] and values["words_to"] == ["900"]
    assert values["posted_from"] == ["2020-01-02"]
    assert values["kudos_min"] == ["0"]
    assert values["creator"] == ["writer"]
    assert values["sort"] == ["title"]


def test_submitting_the_form_as_a_browser_would_gives_the_same_search():
    """The sidebar's values, sent back, parse to the very search they show."""
    search = WorkSearch.from_query(
        {"q": '"a phrase" -word', "include": ["A", "B"], "rating": ["teen", "general"],
         "complete": "0", "oneshot": "1", "words_from": "5", "updated_to": "2024-03-01",
         "hits_min": "3", "sort": "kudos"}
    )  # fmt: skip
    form = WorkSearchForm(search, [], scoped_by_creator=False)
    sent: dict[str, list[str]] = {}
    for field in form:
        value = field.value()
        values = value if isinstance(value, list) else [value]
        sent[field.html_name] = [str(v) if v is not True else "1" for v in values if v]
    assert WorkSearch.from_query(sent) == search


def test_blank_fields_are_dropped_from_the_address(client):
    response = client.get("/works/search?q=&include=Fluff&exclude=&words_from=&sort=")
    assert response.status_code == 302
    assert response["Location"] == "/works/search?include=Fluff"
    assert client.get("/works/?q=&page=")["Location"] == "/works/"


# --- Results ---------------------------------------------------------------------------------


def test_a_guest_finds_the_posted_works_they_may_see(client, shelf):
    response = client.get("/works/search")
    assert "3 works found" in text(response)
    assert "Members Only" not in titles(response)
    assert "Nobody's Tale by Anonymous" in text(response)


def test_a_member_also_finds_restricted_works(client, shelf):
    client.force_login(make_user("reader"))
    assert "4 works found" in text(client.get("/works/search"))


def test_filters_narrow_the_results(client, shelf):
    response = client.get("/works/search?include=Ada/Bram&exclude=Angst")
    assert titles(response) == ["Harbour Lights"]
    assert "1 work found" in text(response)
    assert titles(client.get("/works/search?complete=0")) == ["Moth Wings"]
    assert titles(client.get("/works/search?rating=teen")) == ["Harbour Lights"]


def test_a_creator_search_never_finds_their_anonymous_work(client, shelf):
    found = titles(client.get("/works/search?creator=writer"))
    assert "Nobody's Tale" not in found and "Harbour Lights" in found


def test_text_matches_show_a_highlighted_snippet_under_the_blurb(
    client, writer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_work(writer, title="Lantern Keeper")
    response = client.get("/works/search?q=chapter")
    html = response.content.decode()
    assert titles(response) == ["Lantern Keeper"]
    snippet = re.search(r'<p class="snippet">(.*?)</p>', html, re.S)
    assert snippet and "<mark>" in snippet.group(1).lower()


def test_facets_link_to_the_same_search_with_the_tag_included_or_excluded(client, shelf):
    response = client.get("/works/search?rating=teen&rating=general&page=1")
    included = facets(response)
    assert "Glass Harbour" in included and "Ada/Bram" in included
    assert "Ada/Bram (2)" in text(response)
    include = parse_qs(urlsplit(included["Ada/Bram"]).query)
    assert include == {"include": ["Ada/Bram"], "rating": ["general", "teen"]}
    exclude = parse_qs(urlsplit(facets(response, "exclude")["Fluff"]).query)
    assert exclude == {"exclude": ["Fluff"], "rating": ["general", "teen"]}
    narrowed = client.get(included["Ada/Bram"])
    assert sorted(titles(narrowed)) == ["Harbour Lights", "Moth Wings"]
    assert "Ada/Bram" not in facets(narrowed)  # already narrowed to


def test_the_pager_keeps_the_search(client, writer):
    for number in range(45):
        make_work(writer, title=f"Numbered {number:02}", freeforms=["Fluff"])
    first = client.get("/works/search?include=Fluff&sort=title")
    assert titles(first)[0] == "Numbered 00"
    html = first.content.decode()
    assert "Page 1 of 3" in text(first)
    assert '<a href="/works/search?include=Fluff&amp;sort=title&amp;page=2" rel="next">' in html
    assert '<a href="/works/search?include=Fluff&amp;sort=title&amp;page=3">Last »</a>' in html
    last = client.get("/works/search?include=Fluff&sort=title&page=3")
    assert titles(last) == [
        "Numbered 40",
        "Numbered 41",
        "Numbered 42",
        "Numbered 43",
        "Numbered 44",
    ]
    assert (
        '<a href="/works/search?include=Fluff&amp;sort=title">« First</a>' in last.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ('q="unbalanced', None, ""),
        ("q=nosuchfield:lamp", None, ""),
        ("q=" + "lamp " * 2000, "q", "The text query was cut to its first 500 characters."),
        ("page=999999999", None, "That page number can't be shown; here is the first page."),
        ("page=-1", None, "That page number can't be shown; here is the first page."),
        ("page=40", None, "here is the last."),
        ("words_from=abc", "words_from", "“abc” is not a whole number; it was left out."),
        ("include=No+Such+Tag", "include", "No tag is called “No Such Tag”; it was left out."),
        ("sort=sideways", "sort", "“sideways” is not a sort order; the default was used."),
        ("posted_to=2024-13-45", "posted_to", "“2024-13-45” is not a date (YYYY-MM-DD)"),
    ],
)
def test_bad_input_gives_a_message_and_still_the_results(client, shelf, query, field, message):
    response = client.get(f"/works/search?{query}")
    assert response.status_code == 200
    if message:
        notice = re.search(
            r'<div class="notice search-messages".*?</div>', response.content.decode(), re.S
        )
        assert notice and message in unescape(notice.group(0))
    if field:
        assert message in errors_at(response, field)
    assert "works found" in text(response)


def test_an_absurd_query_on_every_search_page_never_fails(client, shelf, writer):
    fandom = Tag.objects.get(name="Glass Harbour")
    query = 'q=title:"x&include=&exclude=%FF&page=0&words_to=1e9&hits_min=-3&language=xx'
    for path in (
        "/works/search",
        "/works/",
        fandom.works_url,
        "/users/writer/works",
        "/works/search.atom",
    ):
        response = client.get(f"{path}?{query}", follow=True)
        assert response.status_code == 200, path


# --- The page's scope: /works/, a tag, a creator ----------------------------------------------


def test_every_results_page_links_its_feed(client, shelf):
    fandom = Tag.objects.get(name="Glass Harbour")
    expected = {
        "/works/search?rating=teen": "/works/search.atom?rating=teen",
        "/works/": "/works/search.atom",
        fandom.works_url + "?sort=kudos": "/works/search.atom?include=Glass+Harbour",
        "/users/writer/works?complete=1": "/works/search.atom?complete=1&amp;creator=writer",
    }
    for page, feed in expected.items():
        html = client.get(page).content.decode()
        assert (
            f'<link rel="alternate" type="application/atom+xml" title="Atom feed of these works" href="{feed}">'
            in html
        ), page


def test_a_tag_page_searches_within_the_tag(client, shelf):
    fandom = Tag.objects.get(name="Moth Kingdom")
    response = client.get(fandom.works_url)
    assert sorted(titles(response)) == ["Moth Wings", "Nobody's Tale"]
    assert "Moth Kingdom" not in facets(response)
    assert titles(client.get(fandom.works_url + "?q=wings")) == ["Moth Wings"]


def test_a_creator_page_searches_their_works_without_a_creator_field(client, shelf):
    response = client.get("/users/writer/works?include=Fluff")
    assert titles(response) == ["Harbour Lights"]
    assert 'name="creator"' not in response.content.decode()
    assert "Glass Harbour (1)" in text(client.get("/users/writer/works"))


def test_old_fandom_and_relationship_links_to_a_creators_works_still_narrow(client, shelf):
    fandom = Tag.objects.get(name="Glass Harbour")
    pairing = Tag.objects.get(name="Ada/Bram")
    response = client.get(f"/users/writer/works?fandom={fandom.slug}&relationship={pairing.slug}")
    assert titles(response) == ["Harbour Lights"]
    assert form_values(response)["include"] == ["Glass Harbour, Ada/Bram"]


# --- Members, guests, the page cache and query counts ------------------------------------------


def test_a_member_can_save_the_search_with_its_scope(client, shelf):
    client.force_login(make_user("reader"))
    fandom = Tag.objects.get(name="Glass Harbour")
    html = client.get(fandom.works_url + "?complete=1&sort=kudos").content.decode()
    form = re.search(
        r'<form class="save-search" method="post" action="([^"]*)">(.*?)</form>', html, re.S
    )
    assert form and form.group(1) == "/account/preferences/searches/add"
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert 'name="query" value="include=Glass+Harbour&amp;complete=1&amp;sort=kudos"' in form.group(
        2
    )
    assert 'name="name"' in form.group(2)


def test_guests_get_no_save_form_and_a_cached_page(client, shelf):
    first = client.get("/works/search?include=Fluff")
    assert "save-search" not in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/works/search?include=Fluff")
    assert len(queries) == 0
    assert again.content == first.content


@pytest.mark.parametrize(
    "query",
    ["", "?include=Fluff&sort=kudos", "?q=chapter&complete=1", "?exclude=Angst&rating=general"],
)
@pytest.mark.django_db(transaction=True)  # each posting commits: its text is indexed
def test_the_query_count_does_not_grow_with_the_results(
    django_assert_num_queries, settings, writer, query
):
    settings.PAGE_CACHE_SECONDS = 0
    reader = Client()
    reader.force_login(make_user("reader"))
    guest = Client()

    def count(client) -> int:
        client.get(f"/works/search{query}")  # warm: the index, the fixed tags
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/works/search{query}").status_code == 200
        return len(queries)

    def add(number: int) -> None:
        for n in range(number):
            make_work(
                writer,
                title=f"Work {n}",
                freeforms=["Fluff", f"Tag {n}"],
                relationships=[f"A/B{n}"],
            )

    add(5)
    small = {"reader": count(reader), "guest": count(guest)}
    add(15)
    for who, client in (("reader", reader), ("guest", guest)):
        client.get(f"/works/search{query}")
        with django_assert_num_queries(small[who], info=f"{who} {query}"):
            response = client.get(f"/works/search{query}")
        assert response.content.decode().count('class="work blurb group"') == 20
