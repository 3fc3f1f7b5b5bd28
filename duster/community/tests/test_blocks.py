"""Blocking from the member's own list and from a user's page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duster.accounts.blocks import block_user, is_blocked
from duster.accounts.models import Block
from duster.community.models import Kudos
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return make_user("member")


@pytest.fixture
def troll():
    return make_user("troll")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


class TestBlocksPage:
    def test_lists_the_blocked_users_with_unblock_buttons(self, member_client, member, troll):
        block_user(user=member, other=troll)
        page = member_client.get("/account/blocks/").content.decode()
        assert "troll" in page
        assert 'action="/users/troll/unblock"' in page
        assert "csrfmiddlewaretoken" in page

    def test_says_when_no_one_is_blocked(self, member_client):
        assert (
            "You are not blocking anyone." in member_client.get("/account/blocks/").content.decode()
        )

    def test_blocks_by_username_case_aside(self, member_client, member, troll):
        response = member_client.post("/account/blocks/", {"username": "TROLL"}, follow=True)
        assert is_blocked(user=troll, by=[member.pk])
        assert "You blocked troll" in response.content.decode()

    def test_an_unknown_username_is_answered_beside_the_field_and_kept(self, member_client):
        response = member_client.post("/account/blocks/", {"username": "nobody-here"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "There is no user called “nobody-here”." in page
        assert 'value="nobody-here"' in page
        assert not Block.objects.exists()

    def test_blocking_yourself_is_refused_with_a_message(self, member_client):
        response = member_client.post("/account/blocks/", {"username": "member"})
        assert "You cannot block yourself." in response.content.decode()
        assert not Block.objects.exists()

    def test_an_empty_username_is_answered(self, member_client):
        response = member_client.post("/account/blocks/", {"username": ""})
        assert "Type the username of the person to block." in response.content.decode()

    def test_needs_a_login(self, client):
        response = client.get("/account/blocks/")
        assert response.status_code == 302
        assert "/account/login/" in response["Location"]

    def test_query_count_does_not_grow_with_the_blocked_users(
        self, member_client, member, django_assert_max_num_queries
    ):
        block_user(user=member, other=make_user("first"))
        member_client.get("/account/blocks/")
        with CaptureQueriesContext(connection) as small:
            member_client.get("/account/blocks/")
        for n in range(10):
            block_user(user=member, other=make_user(f"more{n}"))
        with django_assert_max_num_queries(len(small)):
            member_client.get("/account/blocks/")


class TestBlockButtons:
    def test_block_and_unblock_from_the_users_page(self, member_client, member, troll):
        page = member_client.get("/users/troll/").content.decode()
        assert 'action="/users/troll/block"' in page
        response = member_client.post("/users/troll/block", {"next": "/users/troll/"})
        assert response["Location"] == "/users/troll/"
        assert is_blocked(user=troll, by=[member.pk])
        page = member_client.get("/users/troll/").content.decode()
        assert 'action="/users/troll/unblock"' in page
        assert "Unblock troll" in page
        member_client.post("/users/troll/unblock", {"next": "/users/troll/"})
        assert not is_blocked(user=troll, by=[member.pk])

    def test_blocking_twice_keeps_one_block(self, member_client, member, troll):
        member_client.post("/users/troll/block")
        member_client.post("/users/troll/block")
        assert Block.objects.filter(blocker=member, blocked=troll).count() == 1

    def test_blocking_yourself_from_your_page_is_refused(self, member_client):
        response = member_client.post("/users/member/block", follow=True)
        assert "You cannot block yourself." in response.content.decode()
        assert not Block.objects.exists()

    def test_no_block_button_on_your_own_page(self, member_client):
        page = member_client.get("/users/member/").content.decode()
        assert "/block" not in page
        assert "/users/member/report" not in page

    def test_a_guest_sees_the_report_link_and_no_form(self, client, troll):
        page = client.get("/users/troll/").content.decode()
        assert 'href="/users/troll/report"' in page
        assert "/users/troll/block" not in page
        assert "csrfmiddlewaretoken" not in page

    def test_a_guest_posting_is_sent_to_log_in(self, client, troll):
        response = client.post("/users/troll/block")
        assert response.status_code == 302
        assert "/account/login/" in response["Location"]
        assert not Block.objects.exists()

    def test_unknown_users_are_404(self, member_client):
        assert member_client.post("/users/nobody/block").status_code == 404
        assert member_client.post("/users/nobody/unblock").status_code == 404

    def test_get_is_refused(self, member_client, troll):
        assert member_client.get("/users/troll/block").status_code == 405

    def test_blocking_keeps_what_they_left_before(self, member, troll):
        # Blocking refuses new actions only (the comment and kudos services
        # enforce it); nothing that exists is removed here.
        work = make_work(member)
        now = timezone.now()
        Kudos.objects.create(work=work, user=troll, day=now.date(), created_at=now)
        block_user(user=member, other=troll)
        assert Kudos.objects.filter(work=work, user=troll).exists()
