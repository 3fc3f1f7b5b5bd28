"""Failed logins: waits that double, a lockout with one mail to the owner,
per account and per client address, on the site's login page and the
admin's; usernames that ignore case."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import aauthenticate, authenticate
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory

from duster.accounts import backends
from duster.accounts.client import client_address
from duster.accounts.models import Throttle, User
from duster.accounts.tests.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    link_in,
    logged_in_as,
    mails_with,
    text_of,
)
from duster.accounts.throttle import login_attempt_begin
from duster.testing.factories import make_user

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed attempts; try again in 60 minutes or reset your password."
LOCK_MAIL = "is locked after failed logins"


@pytest.fixture
def log_in(post):
    """log_in(username, password, client=…, url=…) -> the response; any mail
    it causes goes out."""

    def log_in(username, password, *, client=None, url="/account/login/"):
        client = client or Client(REMOTE_ADDR="192.0.2.10")
        return post(client, url, {"username": username, "password": password})

    return log_in


def lock(log_in, clock, username="member", *, client=None):
    """Fail as slowly as the waits ask, until the account locks."""
    for _ in range(10):
        clock.advance(minutes=5)
        response = log_in(username, "wrong", client=client)
        assert "Too many failed attempts" not in text_of(response)
    return log_in(username, PASSWORD, client=client)


# --- Per account ---------------------------------------------------------------------------


def test_three_failures_are_free_then_the_next_must_wait_two_seconds(log_in, clock):
    make_user("member")
    for _ in range(3):
        response = log_in("member", "wrong")
        assert "That username and password don't match an account." in text_of(response)
    response = log_in("member", PASSWORD)
    assert response.status_code == 200
    assert "Too many failed attempts; try again in 2 seconds or reset your password." in text_of(
        response
    )


def test_each_further_failure_doubles_the_wait(log_in, clock):
    make_user("member")
    for _ in range(3):
        log_in("member", "wrong")
    for wait in (2, 4, 8, 16):
        clock.advance(seconds=wait - 1)
        assert "try again in 1 second " in text_of(log_in("member", "wrong"))
        clock.advance(seconds=1)
        assert "That username and password" in text_of(log_in("member", "wrong"))
    assert "try again in 32 seconds" in text_of(log_in("member", "wrong"))


def test_after_ten_failures_the_account_locks_with_a_clear_message(log_in, clock):
    make_user("member")
    response = lock(log_in, clock)
    assert LOCKED in text_of(response)
    assert 'href="/account/password/reset/"' in response.content.decode()


def test_the_right_password_does_not_log_in_during_a_lockout(log_in, clock):
    make_user("member")
    lock(log_in, clock)
    client = Client(REMOTE_ADDR="198.51.100.7")  # another address changes nothing
    response = log_in("member", PASSWORD, client=client)
    assert LOCKED in text_of(response)
    assert logged_in_as(client) is None
    clock.advance(minutes=59)
    assert "try again in 1 minute " in text_of(log_in("member", PASSWORD, client=client))
    assert logged_in_as(client) is None


def test_160_wrong_passwords_in_a_burst_then_the_right_one_do_not_log_in(log_in, clock):
    make_user("member")
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(160):
        log_in("member", "wrong", client=client)
    response = log_in("member", PASSWORD, client=client)
    assert "Too many failed attempts" in text_of(response)
    assert logged_in_as(client) is None
    # Refused attempts checked no password and counted nothing.
    assert Throttle.objects.get(scope="login-account", key="member").count == 3


def test_160_wrong_passwords_spread_over_time_then_the_right_one_do_not_log_in(log_in, clock):
    make_user("member")
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(160):
        clock.advance(seconds=20)
        log_in("member", "wrong", client=client)
    response = log_in("member", PASSWORD, client=client)
    assert "Too many failed attempts; try again in" in text_of(response)
    assert logged_in_as(client) is None
    assert len(mails_with(LOCK_MAIL)) == 1


def test_the_owner_gets_one_mail_when_the_account_locks(log_in, clock):
    make_user("member")
    lock(log_in, clock)
    for _ in range(20):
        log_in("member", "wrong")
    clock.advance(minutes=61)
    assert "That username and password" in text_of(log_in("member", "wrong"))
    assert LOCKED in text_of(log_in("member", "wrong"))  # locked again at once
    (message,) = mails_with(LOCK_MAIL)
    assert message.to == ["member@example.com"]
    assert "10 times with the wrong password" in message.body
    assert "stopped all logins to it for 60 minutes" in message.body
    assert link_in(message, "/account/password/reset/") == "/account/password/reset/"


def test_a_lockout_ends_after_its_time_and_the_right_password_works(log_in, clock):
    make_user("member")
    lock(log_in, clock)
    clock.advance(minutes=61)
    client = Client()
    log_in("member", PASSWORD, client=client)
    assert logged_in_as(client) == User.objects.get(username="member").pk


def test_a_success_starts_the_count_again(log_in, clock):
    make_user("member")
    for _ in range(2):
        log_in("member", "wrong")
    client = Client()
    log_in("member", PASSWORD, client=client)
    assert logged_in_as(client) is not None
    for _ in range(3):
        assert "That username and password" in text_of(log_in("member", "wrong"))
    assert "try again in 2 seconds" in text_of(log_in("member", "wrong"))


def test_failures_are_forgotten_after_a_quiet_day(log_in, clock):
    make_user("member")
    lock(log_in, clock)
    clock.advance(hours=25)
    # Ten more failures let through one by one: the count began again, and
    # the owner hears of the new lockout too.
    assert LOCKED in text_of(lock(log_in, clock))
    assert len(mails_with(LOCK_MAIL)) == 2


def test_a_password_reset_lifts_the_lockout(log_in, clock, client, post):
    make_user("member")
    lock(log_in, clock)
    post(client, "/account/password/reset/", {"email": "member@example.com"})
    (message,) = mails_with("Reset your password")
    set_url = client.get(link_in(message, "/account/password/reset/"), follow=True)
    set_url = set_url.redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    fresh = Client()
    log_in("member", NEW_PASSWORD, client=fresh)
    assert logged_in_as(fresh) == User.objects.get(username="member").pk


def test_an_unknown_username_is_throttled_the_same_and_mails_nobody(log_in, clock):
    make_user("member")
    response = lock(log_in, clock, "nobody_here")
    assert LOCKED in text_of(response)
    assert mail.outbox == []


def test_client_login_without_a_request_is_throttled_per_account(clock):
    make_user("member")
    for _ in range(3):
        assert not Client().login(username="member", password="wrong")
    assert not Client().login(username="member", password=PASSWORD)
    clock.advance(seconds=2)
    assert Client().login(username="member", password=PASSWORD)


def test_the_async_path_is_throttled_too(clock):
    make_user("member")
    for _ in range(3):
        assert async_to_sync(aauthenticate)(username="member", password="wrong") is None
    assert async_to_sync(aauthenticate)(username="member", password=PASSWORD) is None
    clock.advance(seconds=2)
    assert async_to_sync(aauthenticate)(username="member", password=PASSWORD) is not None


# --- Per address ---------------------------------------------------------------------------


def test_one_address_guessing_many_accounts_is_held_back(log_in, clock):
    make_user("member")
    client = Client(REMOTE_ADDR="203.0.113.5")
    for number in range(20):
        response = log_in(f"someone{number}", "wrong", client=client)
        assert "That username and password" in text_of(response)
    response = log_in("member", PASSWORD, client=client)
    assert "Too many failed attempts; try again in 2 seconds" in text_of(response)
    assert logged_in_as(client) is None
    # Another address is not held back.
    other = Client(REMOTE_ADDR="203.0.113.6")
    log_in("member", PASSWORD, client=other)
    assert logged_in_as(other) is not None


def test_successful_logins_from_a_shared_address_do_not_add_up(log_in, clock):
    for number in range(30):
        make_user(f"reader{number}")
    for number in range(30):
        client = Client(REMOTE_ADDR="203.0.113.5")
        log_in(f"reader{number}", PASSWORD, client=client)
        assert logged_in_as(client) is not None


def test_an_ipv6_address_counts_by_its_64_network():
    request = RequestFactory(REMOTE_ADDR="2001:db8:1:2:aaaa::1").get("/")
    assert client_address(request) == "2001:db8:1:2::/64"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "192.0.2.10"),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (1, "", "192.0.2.10"),
    ],
    ids=["no proxy", "one proxy", "forged left entry", "two proxies", "header missing"],
)
def test_behind_proxies_the_address_is_the_one_the_outermost_saw(
    settings, proxies, forwarded, expected
):
    settings.CLIENT_ADDRESS_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory(REMOTE_ADDR="192.0.2.10", **headers).get("/")
    assert client_address(request) == expected


# --- Settings -------------------------------------------------------------------------------


def test_the_limits_are_settings(log_in, clock, settings):
    settings.LOGIN_FREE_FAILURES = 1
    settings.LOGIN_LOCKOUT_FAILURES = 2
    settings.LOGIN_LOCKOUT_MINUTES = 5
    make_user("member")
    log_in("member", "wrong")
    clock.advance(seconds=2)
    log_in("member", "wrong")
    response = log_in("member", PASSWORD)
    assert "Too many failed attempts; try again in 5 minutes" in text_of(response)
    assert len(mails_with(LOCK_MAIL)) == 1


# --- The admin's login --------------------------------------------------------------------


def test_the_admin_login_is_throttled_with_the_same_message(log_in, clock):
    make_user("keeper", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(3):
        response = log_in("keeper", "wrong", client=client, url="/admin/login/")
        assert "Please enter the correct username and password" in text_of(response)
    response = log_in("keeper", PASSWORD, client=client, url="/admin/login/")
    assert response.status_code == 200
    assert "Too many failed attempts; try again in 2 seconds" in text_of(response)
    assert logged_in_as(client) is None


def test_the_admin_and_the_site_share_the_count_and_the_owner_mail(log_in, clock):
    make_user("keeper", is_staff=True, is_superuser=True)
    for attempt in range(10):
        clock.advance(minutes=5)
        url = "/admin/login/" if attempt % 2 else "/account/login/"
        log_in("keeper", "wrong", url=url)
    client = Client()
    response = log_in("keeper", PASSWORD, client=client, url="/admin/login/")
    assert LOCKED in text_of(response)
    assert logged_in_as(client) is None
    assert len(mails_with(LOCK_MAIL)) == 1


def test_the_admin_login_still_works(log_in, clock):
    make_user("keeper", is_staff=True, is_superuser=True)
    client = Client()
    response = log_in("Keeper", PASSWORD, client=client, url="/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- Usernames ignore case ----------------------------------------------------------------


@pytest.mark.parametrize("typed", ["lantern_7", "LANTERN_7", "Lantern_7"])
def test_a_username_logs_in_whatever_its_case(log_in, typed):
    user = make_user("Lantern_7")
    client = Client()
    response = log_in(typed, PASSWORD, client=client)
    assert response.status_code == 302
    assert logged_in_as(client) == user.pk


def test_failures_count_against_the_account_whatever_the_case(log_in, clock):
    make_user("member")
    for typed in ("member", "MEMBER", "Member"):
        log_in(typed, "wrong")
    assert "try again in 2 seconds" in text_of(log_in("mEmBeR", PASSWORD))


@pytest.mark.parametrize("url", ["/account/login/", "/account/signup/", "/admin/login/"])
def test_username_fields_ask_for_no_capitals_and_a_username(client, url):
    html = client.get(url).content.decode()
    (tag,) = re.findall(r'<input[^>]*name="username"[^>]*>', html)
    assert 'autocapitalize="none"' in tag
    assert 'autocomplete="username"' in tag


# --- Parallel attempts ---------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite runs one writer at a time anyway (BEGIN IMMEDIATE); its in-memory test "
    "database refuses parallel writers instead of making them wait",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_get_no_more_through_than_the_limit(monkeypatch):
    """Twenty wrong passwords at once: each is counted under a row lock before
    its password is checked, so only the three free ones get a check."""
    make_user("member")
    let_through = []

    def counting_begin(**kwargs):
        attempt = login_attempt_begin(**kwargs)
        let_through.append(attempt)
        return attempt

    monkeypatch.setattr(backends, "login_attempt_begin", counting_begin)

    def attempt(_):
        try:
            return authenticate(username="member", password="wrong")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(attempt, range(20))) == {None}
    assert len(let_through) == 3
    assert Throttle.objects.get(scope="login-account", key="member").count == 3
