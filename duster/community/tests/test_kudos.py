"""Kudos: who may leave them, once, and how the work page shows them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.accounts.blocks import block_user
from duster.accounts.client import address_digest
from duster.community.models import Kudos
from duster.community.selectors.kudos import kudos_summary
from duster.community.services.kudos import kudos_leave
from duster.testing.factories import make_user, make_work
from duster.works.models import Work

pytestmark = pytest.mark.django_db


def kudos_count(work) -> int:
    return Work.objects.get(pk=work.pk).kudos_count


def member_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The service's rules ---------------------------------------------------------------------


def test_member_leaves_kudos_once(work, reader):
    kudos_leave(work=work, user=reader)
    with pytest.raises(ValidationError, match="You have already left kudos here."):
        kudos_leave(work=work, user=reader)
    assert Kudos.objects.filter(work=work).count() == 1
    assert kudos_count(work) == 1


def test_member_cannot_leave_kudos_again_the_next_day(work, reader, monkeypatch):
    kudos_leave(work=work, user=reader)
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: tomorrow)
    with pytest.raises(ValidationError, match="already left kudos"):
        kudos_leave(work=work, user=reader)
    assert kudos_count(work) == 1


def test_guest_leaves_kudos_once_a_day_from_one_address(work, monkeypatch):
    kudos_leave(work=work, address="203.0.113.9")
    with pytest.raises(ValidationError, match="already left kudos here today"):
        kudos_leave(work=work, address="203.0.113.9")
    kudos_leave(work=work, address="203.0.113.10")  # another guest
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: tomorrow)
    kudos_leave(work=work, address="203.0.113.9")
    assert Kudos.objects.filter(work=work, user=None).count() == 3
    assert kudos_count(work) == 3


def test_guest_address_is_stored_only_as_a_digest_and_ipv6_by_its_network(work):
    kudos = kudos_leave(work=work, address="2001:db8::1")
    assert "2001" not in kudos.guest_key and len(kudos.guest_key) == 64
    with pytest.raises(ValidationError):
        kudos_leave(work=work, address="2001:db8::2")  # the same /64: the same guest
    assert address_digest("2001:db8::1") == address_digest("2001:db8::ffff")


def test_guest_without_an_address_is_refused(work):
    with pytest.raises(ValidationError, match="could not tell"):
        kudos_leave(work=work, address="")
    assert kudos_count(work) == 0


def test_creator_cannot_leave_kudos_on_their_own_work(work, author):
    with pytest.raises(ValidationError, match="your own work"):
        kudos_leave(work=work, user=author)
    assert not Kudos.objects.exists()


def test_co_creator_cannot_leave_kudos_either(author):
    partner = make_user("partner")
    work = make_work(author, co_creators=[partner.default_pseud])
    work.creatorships.update(approved=True)
    with pytest.raises(ValidationError, match="your own work"):
        kudos_leave(work=Work.objects.get(pk=work.pk), user=partner)


def test_blocked_user_cannot_leave_kudos(work, author, reader):
    block_user(user=author, other=reader)
    with pytest.raises(ValidationError, match="can't leave kudos on this work"):
        kudos_leave(work=work, user=reader)
    assert kudos_count(work) == 0


def test_kudos_on_a_work_the_user_cannot_see_are_refused(author, reader):
    draft = make_work(author, post=False)
    restricted = make_work(author, restricted=True)
    with pytest.raises(ValidationError):
        kudos_leave(work=draft, user=reader)
    with pytest.raises(ValidationError):
        kudos_leave(work=restricted, address="203.0.113.9")
    kudos_leave(work=restricted, user=reader)  # members may read it
    assert Kudos.objects.count() == 1


# --- The pages -------------------------------------------------------------------------------


def test_member_posts_kudos_and_is_thanked_on_the_work_page(work, reader):
    client = member_client(reader)
    response = client.post(f"/works/{work.pk}/kudos")
    assert response.status_code == 303
    assert response["Location"] == f"/works/{work.pk}/#kudos"
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for leaving kudos!" in page
    assert "You left kudos on this work." in page
    assert '<a href="/users/reader/">reader</a>' in page
    assert kudos_count(work) == 1


def test_second_kudos_by_a_member_shows_the_error(work, reader):
    client = member_client(reader)
    client.post(f"/works/{work.pk}/kudos")
    response = client.post(f"/works/{work.pk}/kudos", follow=True)
    assert "You have already left kudos here." in response.content.decode()
    assert kudos_count(work) == 1


def test_member_sees_a_kudos_button_on_the_work_page(work, reader):
    page = member_client(reader).get(work.get_absolute_url()).content.decode()
    assert f'action="/works/{work.pk}/kudos"' in page
    assert 'Kudos: <span class="count">0</span>' in page


def test_creator_sees_no_kudos_button(work, author):
    page = member_client(author).get(work.get_absolute_url()).content.decode()
    assert f'action="/works/{work.pk}/kudos"' not in page


def test_guest_work_page_links_to_the_kudos_page_and_has_no_form(client, work):
    page = client.get(work.get_absolute_url()).content.decode()
    assert f'href="/works/{work.pk}/kudos"' in page
    assert "csrfmiddlewaretoken" not in page


def test_guest_leaves_kudos_through_the_confirm_page(work):
    client = Client(enforce_csrf_checks=True)
    confirm = client.get(f"/works/{work.pk}/kudos")
    assert confirm.status_code == 200
    token = confirm.context["csrf_token"]
    response = client.post(f"/works/{work.pk}/kudos", {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for leaving kudos!" in page
    again = client.post(f"/works/{work.pk}/kudos", {"csrfmiddlewaretoken": str(token)}, follow=True)
    assert "already left kudos here today" in again.content.decode()
    assert kudos_count(work) == 1


def test_guest_kudos_on_a_restricted_work_is_a_404(client, author):
    restricted = make_work(author, restricted=True)
    assert client.get(f"/works/{restricted.pk}/kudos").status_code == 404
    assert client.post(f"/works/{restricted.pk}/kudos").status_code == 404
    assert kudos_count(restricted) == 0


def test_blocked_member_gets_the_message_not_an_error_page(work, author, reader):
    block_user(user=author, other=reader)
    response = member_client(reader).post(f"/works/{work.pk}/kudos", follow=True)
    assert response.status_code == 200
    assert "can&#x27;t leave kudos on this work" in response.content.decode()


def test_cached_guest_page_shows_new_kudos(client, work, reader):
    client.get(work.get_absolute_url())  # cached now
    kudos_leave(work=work, user=reader)
    page = client.get(work.get_absolute_url()).content.decode()
    assert 'Kudos: <span class="count">1</span>' in page
    assert ">reader</a>" in page


def test_who_left_kudos_names_the_latest_members_and_counts_the_rest(work):
    for number in range(4):
        kudos_leave(work=work, user=make_user(f"fan{number}"))
    kudos_leave(work=work, address="203.0.113.1")
    kudos_leave(work=work, address="203.0.113.2")
    summary = kudos_summary(Work.objects.get(pk=work.pk), limit=3)
    assert [u.username for u in summary.members] == ["fan3", "fan2", "fan1"]
    assert summary.others == ["1 more user", "2 guests"]


def test_work_page_queries_do_not_grow_with_kudos(
    work, reader, django_assert_num_queries, settings
):
    settings.PAGE_CACHE_SECONDS = 0
    kudos_leave(work=work, user=make_user())
    kudos_leave(work=work, address="203.0.113.1")
    guest, member = Client(), member_client(reader)
    url = work.get_absolute_url()
    counts = {}
    for name, client in (("guest", guest), ("member", member)):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[name] = len(queries)
    for number in range(60):
        kudos_leave(work=work, user=make_user(f"many{number}"))
        kudos_leave(work=work, address=f"198.51.100.{number}")
    for name, client in (("guest", guest), ("member", member)):
        client.get(url)  # what the kudos changed built again, as the first time
        with django_assert_num_queries(counts[name]):
            page = client.get(url).content.decode()
        assert "and 11 more users and 61 guests left kudos" in page


def queries_for(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


@pytest.mark.parametrize("with_kudos", [False, True])
def test_kudos_and_bookmarks_add_few_queries_to_the_work_page(
    work, reader, monkeypatch, settings, with_kudos
):
    """What these two parts cost a work page once it was shown (the lead's
    query-count test holds the totals): nothing. Who left kudos is kept
    until the work's pages change, and what a member has of the work is one
    statement for the whole footer (duster.community.selectors.member)."""
    from duster.community import page
    from duster.community.selectors.bookmarks import bookmarks_page_context
    from duster.community.selectors.kudos import kudos_page_context

    settings.PAGE_CACHE_SECONDS = 0
    if with_kudos:
        kudos_leave(work=work, user=make_user())
    url = work.get_absolute_url()
    guest, member = Client(), member_client(reader)
    full = {"guest": queries_for(guest, url), "member": queries_for(member, url)}
    others = tuple(p for p in page.PARTS if p not in (kudos_page_context, bookmarks_page_context))
    monkeypatch.setattr(page, "PARTS", others)
    without = {"guest": queries_for(guest, url), "member": queries_for(member, url)}
    added = {who: full[who] - without[who] for who in full}
    assert added == {"guest": 0, "member": 0}
