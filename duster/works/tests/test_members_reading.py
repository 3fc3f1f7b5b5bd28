"""Members' reading pages take the work, its chapters and its series places
from one reading kept for every member (works.selectors.reading_for): built
once, never stale, and never what a creator of the work or of a work in its
series should see instead."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.testing.factories import make_series, make_user, make_work
from duster.works.choices import WorkState
from duster.works.models import Work
from duster.works.services.series import series_add_work
from duster.works.services.works import creatorship_respond

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def next_link(work: Work) -> str:
    return f'<a rel="next" href="{work.get_absolute_url()}">'


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def cycle(author):
    """A series of a posted work, then a draft of its author's."""
    first = make_work(author, title="Dawn")
    draft = make_work(author, title="Dusk", post=False)
    make_series(author, works=[first, draft], title="Day Cycle")
    return first, draft


def test_a_kept_reading_costs_no_work_chapter_or_series_query(cycle):
    first, _ = cycle
    member = logged_in(make_user("reader"))
    page(member, first.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        html = page(member, first.get_absolute_url())
    assert "Part 1 of" in html and "Day Cycle" in html
    read = " ".join(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT"))
    for table in ("works_work", "works_chapter", "works_seriesentry", "works_creatorship"):
        assert f'FROM "{table}"' not in read


def test_each_creator_sees_their_own_series_works_and_members_do_not(author, cycle):
    first, draft = cycle
    member = logged_in(make_user("reader"))
    assert next_link(draft) not in page(member, first.get_absolute_url())  # kept now
    assert next_link(draft) in page(logged_in(author), first.get_absolute_url())
    assert next_link(draft) not in page(member, first.get_absolute_url())


def test_a_creator_accepted_on_a_series_work_sees_it_at_once(author, cycle):
    first, _ = cycle
    guest_star = make_user("guest_star")
    late = make_work(author, title="Midnight", post=False, co_creators=[guest_star.default_pseud])
    series_add_work(series=first.series_entries.get().series, work=late)
    invited = logged_in(guest_star)
    assert next_link(late) not in page(invited, first.get_absolute_url())  # kept now
    creatorship_respond(creatorship=late.creatorships.get(pseud__user=guest_star), accept=True)
    # The draft between them is the author's alone.
    assert next_link(late) in page(invited, first.get_absolute_url())
    assert next_link(late) not in page(logged_in(make_user("reader")), first.get_absolute_url())


def test_a_work_hidden_around_the_services_is_gone_for_members_at_once(cycle):
    first, _ = cycle
    member = logged_in(make_user("reader"))
    page(member, first.get_absolute_url())
    Work.objects.filter(pk=first.pk).update(state=WorkState.HIDDEN)
    assert member.get(first.get_absolute_url()).status_code == 404
    assert member.get(first.chapters.get().get_absolute_url()).status_code in (302, 404)


def test_a_draft_is_not_found_for_members_but_read_by_its_creator(author, cycle):
    _, draft = cycle
    member = logged_in(make_user("reader"))
    assert member.get(draft.get_absolute_url()).status_code == 404
    assert member.get(draft.get_absolute_url()).status_code == 404  # kept as not found
    assert "Dusk" in page(logged_in(author), draft.get_absolute_url())


def test_the_reader_panel_is_each_members_own(cycle):
    """The article is kept for every member, but not the reader settings form
    between its parts: each member's own settings, and a token their browser
    can post it with."""
    first, _ = cycle
    clients = []
    for name, theme in (("one", "light"), ("two", "dark")):
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(name, reader_theme=theme))
        clients.append(client)
    page(clients[0], first.get_absolute_url())
    html = page(clients[1], first.get_absolute_url())
    panel = html[html.index('class="reader-settings"') :]
    assert '<option value="dark" selected>' in panel
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', panel)
    assert token is not None
    back = first.get_absolute_url()
    answer = clients[1].post(
        "/reader", {"csrfmiddlewaretoken": token[1], "theme": "auto", "back": back}
    )
    assert answer.status_code == 302
