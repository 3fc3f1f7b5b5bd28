"""Members' reading pages are filled into one shell kept for every member
(duster.lib.memberpages): the same page a full render gives, each member's
own parts (name, inbox, kudos, bookmark, comment box, tokens) rendered for
them alone, and never stale."""

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from duster.community.services.bookmarks import bookmark_save
from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.services.chapters import chapter_update
from duster.works.services.works import work_update

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HITS = re.compile(r'<dd class="hits">\d+</dd>')


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def logged_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    return response


def rendered_whole(response) -> bool:
    return "works/work_detail.html" in [t.name for t in response.templates]


@pytest.fixture
def work():
    return make_work(make_user("author"), title="Lanterns", chapters=3, expected_chapters=None)


def comparable(html: str) -> str:
    """Without the tokens (new on each page) and the hits, which a shell
    shows as its reading had them (the hits are late on cached pages)."""
    return HITS.sub("", TOKEN.sub('name="csrfmiddlewaretoken" value=""', html))


@pytest.mark.parametrize("page", ["work", "chapter", "entire work"])
def test_a_page_from_the_shell_is_the_page_a_full_render_gives(work, page):
    url = {
        "work": work.get_absolute_url(),
        "chapter": work.chapters.order_by("position")[1].get_absolute_url(),
        "entire work": work.get_absolute_url() + "?view_full_work=true",
    }[page]
    first, member = logged_in(make_user("first")), logged_in(make_user("second"))
    get(first, url)  # builds the shell
    from_shell = get(member, url)
    assert not rendered_whole(from_shell)
    with override_settings(PAGE_CACHE_SECONDS=0):
        whole = get(member, url)
    assert rendered_whole(whole)
    assert comparable(from_shell.content.decode()) == comparable(whole.content.decode())


def test_each_member_gets_their_own_parts_and_nothing_of_anothers(work):
    first_user, second_user = make_user("firstreader"), make_user("secondreader")
    bookmark_save(user=first_user, work=work)
    first, second = logged_in(first_user), logged_in(second_user)
    first_html = get(first, work.get_absolute_url()).content.decode()
    assert "/users/firstreader/" in first_html and "Edit bookmark" in first_html
    response = get(second, work.get_absolute_url())
    html = response.content.decode()
    assert not rendered_whole(response)
    assert "/users/secondreader/" in html and "firstreader" not in html
    assert "Edit bookmark" not in html and ">Bookmark</a>" in html
    assert not set(TOKEN.findall(first_html)) & set(TOKEN.findall(html))


def test_every_form_on_a_page_from_the_shell_posts_with_its_token(work):
    first = logged_in(make_user("first"))
    member = logged_in(make_user("second"), enforce_csrf_checks=True)
    get(first, work.get_absolute_url())
    html = get(member, work.get_absolute_url()).content.decode()
    tokens = TOKEN.findall(html)
    assert len(tokens) >= 4  # menu, reader settings, theme switch, kudos, comment box…
    for token in tokens:
        answer = member.post(
            "/reader", {"csrfmiddlewaretoken": token, "theme": "dark", "back": "/"}
        )
        assert answer.status_code == 302


def test_a_change_shows_on_the_next_members_request_whatever_wrote_it(work):
    member = logged_in(make_user("reader"))
    get(member, work.get_absolute_url())
    work_update(
        work=work,
        fields={"title": "Candles", "rating": "general", "warnings": ["none"], "language": "en"},
        tags={"fandoms": ["Lamplighter Chronicles"]},
    )
    assert "Candles" in get(member, work.get_absolute_url()).content.decode()
    chapter = work.chapters.order_by("position").first()
    chapter_update(
        chapter=chapter, fields={"body": "<p>A moth at the glass.</p>"}, version=chapter.version
    )
    assert "A moth at the glass." in get(member, work.get_absolute_url()).content.decode()
    Work.objects.filter(pk=work.pk).update(summary="<p>Written around the services.</p>")
    assert "Written around the services." in get(member, work.get_absolute_url()).content.decode()


def test_each_member_sees_dates_in_their_own_time_zone(work):
    Work.objects.filter(pk=work.pk).update(published_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    london = logged_in(make_user("london"))
    tokyo = logged_in(make_user("tokyo", time_zone="Asia/Tokyo"))
    in_utc = get(london, work.get_absolute_url()).content.decode()
    in_tokyo = get(tokyo, work.get_absolute_url()).content.decode()
    assert ">2026-03-01</time>" in in_utc
    assert ">2026-03-02</time>" in in_tokyo


def test_a_members_own_settings_choose_the_page(work):
    chapters = logged_in(make_user("chapters"))
    whole = logged_in(make_user("whole", reader_full_work=True, reader_theme="dark"))
    get(chapters, work.get_absolute_url())
    html = get(whole, work.get_absolute_url()).content.decode()
    assert html.count('class="chapter') >= 3 and 'data-theme="dark"' in html


def test_messages_waiting_are_shown_to_their_member(work):
    member = logged_in(make_user("reader"))
    get(member, work.get_absolute_url())
    member.post(f"/works/{work.pk}/kudos")
    html = get(member, work.get_absolute_url()).content.decode()
    assert "Thank you for leaving kudos!" in html
    assert (
        "Thank you for leaving kudos!" not in get(member, work.get_absolute_url()).content.decode()
    )


def test_a_creator_gets_their_own_page_not_the_shell(work):
    reader = logged_in(make_user("reader"))
    author = logged_in(work.creatorships.get().pseud.user)
    get(reader, work.get_absolute_url())
    response = get(author, work.get_absolute_url())
    assert rendered_whole(response)
    assert "Edit work" in response.content.decode()
