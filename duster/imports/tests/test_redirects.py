"""Old eFiction addresses answer with a 301 to the page that took over, or
with the normal 404 for what is unknown or not the reader's to see."""

import pytest
from django.test import Client

from duster.imports.models import LegacyId
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Work, WorkState

pytestmark = pytest.mark.django_db


def legacy(kind: str, old_id: int, obj) -> None:
    LegacyId.objects.create(kind=kind, old_id=str(old_id), new_id=obj.pk)


@pytest.fixture
def author():
    user = make_user("juniper")
    legacy("author", 7, user)
    return user


@pytest.fixture
def saga(author):
    """Story 12: three chapters (eFiction chapids 101-103)."""
    work = make_work(author, title="Tidewater", chapters=3, expected_chapters=3)
    legacy("story", 12, work)
    for chapid, chapter in zip((101, 102, 103), work.chapters.order_by("position"), strict=True):
        legacy("chapter", chapid, chapter)
    return work


@pytest.fixture
def oneshot(author):
    """Story 13: one chapter (chapid 201)."""
    work = make_work(author, title="Salt")
    legacy("story", 13, work)
    legacy("chapter", 201, work.chapters.get())
    return work


def chapter_at(work: Work, position: int):
    return work.chapters.get(position=position)


def moved_to(response) -> str:
    assert response.status_code == 301, response.status_code
    return response["Location"]


# --- Stories and chapters ---------------------------------------------------------------------


def test_a_story_goes_to_its_work(client, saga):
    assert moved_to(client.get("/viewstory.php?sid=12")) == f"/works/{saga.pk}/"


def test_a_chapter_number_is_its_position(client, saga):
    second = chapter_at(saga, 2)
    response = client.get("/viewstory.php?sid=12&chapter=2")
    assert moved_to(response) == f"/works/{saga.pk}/chapters/{second.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_chapter_one_of_a_oneshot_is_the_work_page(client, oneshot):
    assert moved_to(client.get("/viewstory.php?sid=13&chapter=1")) == f"/works/{oneshot.pk}/"


def test_unknown_parameters_are_ignored(client, saga):
    third = chapter_at(saga, 3)
    response = client.get("/viewstory.php?chapter=3&sid=12&textsize=2&ageconsent=ok&warning=4")
    assert moved_to(response) == f"/works/{saga.pk}/chapters/{third.pk}/"


@pytest.mark.parametrize(
    "query",
    [
        "action=printable&sid=12&textsize=0&chapter=all",
        "action=printable&sid=12",
        "sid=12&chapter=all",
    ],
)
def test_the_printable_whole_story_is_the_entire_work(client, saga, query):
    response = client.get(f"/viewstory.php?{query}")
    assert moved_to(response) == f"/works/{saga.pk}/?view_full_work=true"


def test_a_printable_chapter_is_that_chapter(client, saga):
    second = chapter_at(saga, 2)
    response = client.get("/viewstory.php?action=printable&textsize=1&sid=12&chapter=2")
    assert moved_to(response) == f"/works/{saga.pk}/chapters/{second.pk}/"


def test_the_story_index_is_the_chapter_index(client, saga):
    response = client.get("/viewstory.php?sid=12&index=1")
    assert moved_to(response) == f"/works/{saga.pk}/navigate"


# --- Series, members, reviews, other pages ----------------------------------------------------


def test_a_series_goes_to_its_page(client, author, saga):
    series = make_series(author, works=[saga])
    legacy("series", 4, series)
    assert moved_to(client.get("/viewseries.php?seriesid=4")) == f"/series/{series.pk}/"


def test_a_member_goes_to_their_page(client, author):
    assert moved_to(client.get("/viewuser.php?uid=7&action=storiesby")) == "/users/juniper/"


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("type=ST&item=12", "work"),
        ("sid=12", "work"),
        ("type=ST&item=12&chapid=102", "chapter"),
        ("type=st&item=12&chapid=102", "chapter"),
        ("chid=102", "chapter"),
        ("sid=12&chid=102", "chapter"),
        ("type=ST&item=13&chapid=201", "oneshot"),
    ],
)
def test_reviews_go_to_the_comments(client, saga, oneshot, query, where):
    second = chapter_at(saga, 2)
    expected = {
        "work": f"/works/{saga.pk}/#comments",
        "chapter": f"/works/{saga.pk}/chapters/{second.pk}/#comments",
        "oneshot": f"/works/{oneshot.pk}/#comments",
    }[where]
    assert moved_to(client.get(f"/reviews.php?{query}")) == expected


def test_series_reviews_go_to_the_series(client, author, saga):
    series = make_series(author, works=[saga])
    legacy("series", 4, series)
    assert moved_to(client.get("/reviews.php?type=SE&item=4")) == f"/series/{series.pk}/"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/index.php", "/"),
        ("/index.php?action=login", "/"),
        ("/viewpage.php?id=rules", "/"),
        ("/authors.php?list=authors", "/works/"),
        ("/browse.php?type=categories", "/fandoms/"),
        ("/search.php", "/works/search"),
    ],
)
def test_other_pages_go_to_the_nearest_page(client, old, new):
    assert moved_to(client.get(old)) == new


# --- What is not there, or not the reader's to see ---------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/viewstory.php",
        "/viewstory.php?sid=",
        "/viewstory.php?sid=abc",
        "/viewstory.php?sid=12abc",
        "/viewstory.php?sid=-12",
        "/viewstory.php?sid=1e3",
        "/viewstory.php?sid=%C2%B2",
        "/viewstory.php?sid=99999999999999999999999",
        "/viewstory.php?sid=99",
        "/viewstory.php?sid=12&chapter=9",
        "/viewstory.php?sid=12&chapter=0",
        "/viewstory.php?sid=12&chapter=two",
        "/viewstory.php?sid=7",  # an author's id, not a story's
        "/viewseries.php?seriesid=4",
        "/viewseries.php?seriesid=x",
        "/viewuser.php?uid=99",
        "/viewuser.php?uid=",
        "/reviews.php",
        "/reviews.php?type=ST",
        "/reviews.php?type=ST&item=99",
        "/reviews.php?type=ST&item=12&chapid=201",  # another story's chapter
        "/reviews.php?chid=999",
        "/reviews.php?type=XX&item=12",
        "/reviews.php?type=SE&item=zz",
    ],
)
def test_unknown_and_malformed_ids_are_the_normal_404(client, saga, oneshot, path):
    response = client.get(path)
    assert response.status_code == 404
    assert [t.name for t in response.templates][:1] == ["404.html"]
    assert "Location" not in response


@pytest.mark.parametrize("state", [WorkState.DRAFT, WorkState.HIDDEN])
def test_drafts_and_hidden_works_are_not_found_for_readers(client, saga, state):
    Work.objects.filter(pk=saga.pk).update(state=state)
    reader = make_user("reader")
    member = Client()
    member.force_login(reader)
    for browser in (client, member):
        assert browser.get("/viewstory.php?sid=12").status_code == 404
        assert browser.get("/viewstory.php?sid=12&chapter=2").status_code == 404
        assert browser.get("/reviews.php?type=ST&item=12&chapid=102").status_code == 404
        assert browser.get("/reviews.php?chid=102").status_code == 404


def test_restricted_works_redirect_members_only(client, saga):
    Work.objects.filter(pk=saga.pk).update(restricted=True)
    assert client.get("/viewstory.php?sid=12").status_code == 404
    member = Client()
    member.force_login(make_user("reader"))
    assert moved_to(member.get("/viewstory.php?sid=12")) == f"/works/{saga.pk}/"


def test_an_unposted_chapter_is_not_found_for_readers_but_its_creator_gets_there(
    client, saga, author
):
    third = chapter_at(saga, 3)
    type(third).objects.filter(pk=third.pk).update(posted=False)
    assert client.get("/viewstory.php?sid=12&chapter=3").status_code == 404
    assert client.get("/reviews.php?chid=103").status_code == 404
    creator = Client()
    creator.force_login(author)
    response = creator.get("/viewstory.php?sid=12&chapter=3")
    assert moved_to(response) == f"/works/{saga.pk}/chapters/{third.pk}/"


def test_a_series_of_nothing_the_reader_may_see_is_not_found(client, author, saga):
    series = make_series(author, works=[saga])
    legacy("series", 4, series)
    Work.objects.filter(pk=saga.pk).update(anonymous=True)
    assert client.get("/viewseries.php?seriesid=4").status_code == 404
    creator = Client()
    creator.force_login(author)
    assert moved_to(creator.get("/viewseries.php?seriesid=4")) == f"/series/{series.pk}/"


def test_a_deactivated_member_is_not_found(client, author):
    type(author).objects.filter(pk=author.pk).update(is_active=False)
    assert client.get("/viewuser.php?uid=7").status_code == 404


def test_ids_from_another_source_are_not_used(client, author):
    work = make_work(author)
    LegacyId.objects.create(source="elsewhere", kind="story", old_id="55", new_id=work.pk)
    assert client.get("/viewstory.php?sid=55").status_code == 404


def test_targets_are_paths_on_this_site(client, saga):
    response = client.get(
        "/viewstory.php?sid=12&next=https://evil.example/&chapter=all",
        HTTP_HOST="testserver",
    )
    target = moved_to(response)
    assert target.startswith("/") and not target.startswith("//")
    assert "evil" not in target


def test_only_get_and_head(client, saga):
    assert client.post("/viewstory.php?sid=12").status_code == 405
    assert client.head("/viewstory.php?sid=12").status_code == 301


# --- Caches -----------------------------------------------------------------------------------


def test_a_redirect_is_never_cached_so_a_later_hidden_work_stops_at_once(client, saga, settings):
    settings.PAGE_CACHE_SECONDS = 600
    response = client.get("/viewstory.php?sid=12")
    assert moved_to(response) == f"/works/{saga.pk}/"
    control = response["Cache-Control"]
    assert "no-store" in control and "max-age=0" in control
    assert client.get(f"/works/{saga.pk}/").status_code == 200  # that page is cached for guests
    # Hidden with a plain update: no signal, so no cache would hear of it.
    Work.objects.filter(pk=saga.pk).update(state=WorkState.HIDDEN)
    assert client.get("/viewstory.php?sid=12").status_code == 404
    assert client.get("/reviews.php?sid=12").status_code == 404


def test_a_404_is_never_cached_either(client, saga, settings):
    settings.PAGE_CACHE_SECONDS = 600
    assert client.get("/viewstory.php?sid=99").status_code == 404
    legacy("story", 99, saga)
    assert moved_to(client.get("/viewstory.php?sid=99")) == f"/works/{saga.pk}/"


# --- Queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/viewstory.php?sid=12", 1),
        ("/viewstory.php?sid=12&chapter=2", 2),
        ("/viewstory.php?sid=12&action=printable&chapter=all", 1),
        ("/viewseries.php?seriesid=4", 1),
        ("/viewuser.php?uid=7", 1),
        ("/reviews.php?type=ST&item=12", 1),
        ("/reviews.php?type=ST&item=12&chapid=102", 1),
        ("/index.php", 0),
        ("/viewstory.php?sid=99", 1),
        ("/viewstory.php?sid=abc", 0),
    ],
)
def test_a_guest_redirect_costs_a_fixed_few_queries(
    client, author, saga, path, queries, django_assert_num_queries
):
    make_work(author, chapters=4, expected_chapters=4)  # more rows change nothing
    legacy("series", 4, make_series(author, works=[saga]))
    client.get("/index.php")  # the middleware's own first reads (image hosts)
    with django_assert_num_queries(queries):
        response = client.get(path)
    assert response.status_code in (301, 404)


def test_a_member_redirect_costs_their_account_and_a_fixed_few(
    author, saga, django_assert_num_queries
):
    member = Client()
    member.force_login(make_user("reader"))
    member.get("/index.php")  # a first request may store the session
    # The member (the session is in the cache), then as for a guest.
    with django_assert_num_queries(2):
        assert member.get("/viewstory.php?sid=12").status_code == 301
    with django_assert_num_queries(3):
        assert member.get("/viewstory.php?sid=12&chapter=2").status_code == 301
