"""Accounts through their pages: sign up with email confirmation, log in and
out, change and reset the password, createsuperuser, pseuds, preferences, bad
input on every form, and CSRF tokens."""

import datetime as dt
import re
import time
from html import unescape

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from duster.accounts.models import Pseud, User
from duster.accounts.tests.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    activation_link,
    logged_in_as,
    signup_data,
    value_of,
)
from duster.testing.factories import make_user
from duster.testing.html import errors_at

pytestmark = pytest.mark.django_db

# --- Sign up and confirm --------------------------------------------------------------------


def test_signup_form_has_a_label_for_every_field(client):
    html = client.get("/account/signup/").content.decode()
    for field in ("username", "email", "password1", "password2"):
        assert f'<label for="id_{field}">' in html


def test_signup_sends_one_mail_with_an_activation_link(signup):
    response = signup()
    assert response.status_code == 200
    assert "Check your mail" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newcomer@example.com"]
    assert "Confirm your" in message.subject
    assert "/account/activate/" in message.body
    user = User.objects.get(username="newcomer")
    assert not user.is_active
    assert [p.name for p in user.pseuds.all()] == ["newcomer"]


def test_account_cannot_log_in_until_confirmed(client, signup):
    signup()
    response = client.post("/account/login/", {"username": "newcomer", "password": NEW_PASSWORD})
    assert response.status_code == 200
    assert "You haven't confirmed this account's email address yet" in unescape(
        response.content.decode()
    )
    assert logged_in_as(client) is None


def test_opening_the_link_activates_and_logs_in(client, signup):
    signup()
    link = activation_link()
    response = client.get(link)
    user = User.objects.get(username="newcomer")
    assert response.status_code == 302
    assert response["Location"] == "/users/newcomer/"
    assert user.is_active
    assert logged_in_as(client) == user.pk
    assert "Your account is confirmed" in client.get(response["Location"]).content.decode()


def test_an_activation_link_works_only_once(client, signup):
    signup()
    link = activation_link()
    client.get(link)
    client.post("/account/logout/")
    again = Client().get(link)
    assert again.status_code == 400
    assert logged_in_as(client) is None


def test_activation_link_does_not_revive_a_deactivated_account(signup):
    signup()
    link = activation_link()
    Client().get(link)
    User.objects.filter(username="newcomer").update(is_active=False)
    assert Client().get(link).status_code == 400
    assert not User.objects.get(username="newcomer").is_active


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "MQ:1tXyz:abcdefghijklmnop", "x" * 300],
    ids=["garbage", "bad signature", "long"],
)
def test_tampered_activation_link_gives_a_clear_page(client, signup, token):
    signup()
    response = client.get(f"/account/activate/{token}/")
    assert response.status_code == 400
    assert "This confirmation link is not valid" in response.content.decode()
    assert not User.objects.get(username="newcomer").is_active


def test_token_for_another_purpose_is_refused(client, signup):
    signup()
    user = User.objects.get(username="newcomer")
    forged = signing.dumps(user.pk)  # right key, wrong salt
    assert client.get(f"/account/activate/{forged}/").status_code == 400
    assert not User.objects.get(pk=user.pk).is_active


def test_expired_activation_link_is_refused_and_the_name_can_be_taken_again(
    client, signup, monkeypatch
):
    signup()
    link = activation_link()
    later = timezone.now() + dt.timedelta(days=8)
    monkeypatch.setattr(time, "time", lambda: later.timestamp())  # what signing reads
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(link).status_code == 400

    mail.outbox.clear()
    response = signup()
    assert "Check your mail" in response.content.decode()
    assert User.objects.filter(username="newcomer").count() == 1
    assert len(mail.outbox) == 1


def test_signed_in_user_is_sent_from_signup_to_their_page(client):
    client.force_login(make_user("member"))
    response = client.get("/account/signup/")
    assert response.status_code == 302
    assert response["Location"] == "/users/member/"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "Taken_Name"}, "username", "That username is taken."),
        ({"username": "Orphan_Account"}, "username", "That username is taken."),
        ({"username": ""}, "username", "This field is required."),
        ({"username": "no spaces allowed"}, "username", "Use 3 to 40 letters, digits"),
        ({"username": "ab"}, "username", "Use 3 to 40 letters"),
        ({"username": "u" * 41}, "username", "at most 40 characters"),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"password2": "something else entirely"}, "password2", "didn’t match"),
        ({"password1": "short", "password2": "short"}, "password2", "too short"),
        ({"password1": "password", "password2": "password"}, "password2", "too common"),
        ({"password1": "", "password2": ""}, "password1", "This field is required."),
    ],
    ids=[
        "duplicate username",
        "reserved username",
        "no username",
        "spaces",
        "short username",
        "long username",
        "no email",
        "bad email",
        "mismatch",
        "short password",
        "common password",
        "no password",
    ],
)
def test_bad_signup_input_is_refused_at_the_field_and_kept(
    client, signup, overrides, field, message
):
    make_user("taken_name")
    User.objects.filter(username="taken_name").update(email="taken@example.com")
    before = User.objects.count()
    response = signup(**overrides)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    data = signup_data(**overrides)
    assert value_of(response, "username") == data["username"]
    assert value_of(response, "email") == data["email"]
    assert User.objects.count() == before
    assert mail.outbox == []


# --- Log in, log out ------------------------------------------------------------------------


def test_login_and_logout(client):
    user = make_user("member")
    page = client.get("/account/login/")
    assert page.status_code == 200
    assert '<label for="id_username">' in page.content.decode()
    response = client.post("/account/login/", {"username": "member", "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in_as(client) == user.pk

    assert client.get("/account/logout/").status_code == 405
    assert logged_in_as(client) == user.pk
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert logged_in_as(client) is None


def test_login_follows_next_to_the_page_asked_for(client):
    make_user("member")
    response = client.post(
        "/account/login/?next=/works/new",
        {"username": "member", "password": PASSWORD, "next": "/works/new"},
    )
    assert response["Location"] == "/works/new"


def test_login_does_not_follow_next_off_site(client):
    make_user("member")
    response = client.post(
        "/account/login/",
        {"username": "member", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "member", "password": "wrong"}, None, "That username and password don't"),
        ({"username": "nobody", "password": PASSWORD}, None, "That username and password don't"),
        ({"username": "", "password": PASSWORD}, "username", "This field is required."),
        ({"username": "member", "password": ""}, "password", "This field is required."),
    ],
    ids=["wrong password", "unknown user", "no username", "no password"],
)
def test_bad_login_is_refused_with_a_message_and_keeps_the_username(client, data, field, message):
    make_user("member")
    response = client.post("/account/login/", data)
    assert response.status_code == 200
    if field:
        assert message in errors_at(response, field)
    else:
        assert message in unescape(response.content.decode())
    assert value_of(response, "username") == data["username"]
    assert value_of(response, "password") == ""  # never echoed back
    assert logged_in_as(client) is None


# --- Passwords ------------------------------------------------------------------------------


def test_password_change(client):
    user = make_user("member")
    client.force_login(user)
    assert client.get("/account/password/change/").status_code == 200
    response = client.post(
        "/account/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert "Your password was changed" in client.get(response["Location"]).content.decode()
    assert logged_in_as(client) == user.pk  # the session survives the change
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            "old_password",
            "Your old password was entered incorrectly",
        ),
        (
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other"},
            "new_password2",
            "didn’t match",
        ),
        (
            {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
            "new_password2",
            "too short",
        ),
    ],
    ids=["wrong old password", "mismatch", "weak"],
)
def test_bad_password_change_is_refused_at_the_field(client, data, field, message):
    user = make_user("member")
    client.force_login(user)
    response = client.post("/account/password/change/", data)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_needs_login(client):
    response = client.get("/account/password/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_password_reset_by_email(client, post):
    user = make_user("member")
    assert client.get("/account/password/reset/").status_code == 200
    response = post(client, "/account/password/reset/", {"email": "member@example.com"})
    assert response.status_code == 302
    assert (
        "a link to choose a new password is on its way"
        in client.get(response["Location"]).content.decode()
    )
    (message,) = mail.outbox
    assert message.to == ["member@example.com"]
    found = re.search(r"http://testserver(/account/password/reset/\S+/)", str(message.body))
    assert found
    link = found.group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    assert "set-password" in set_url
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Your new password is set" in client.get(response["Location"]).content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    # The link is spent.
    assert "invalid or used already" in Client().get(link, follow=True).content.decode()


def test_password_reset_mismatch_is_refused_at_the_field(client, post):
    make_user("member")
    post(client, "/account/password/reset/", {"email": "member@example.com"})
    found = re.search(r"http://testserver(/\S+/)", str(mail.outbox[0].body))
    assert found
    link = found.group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": "nope"})
    assert response.status_code == 200
    assert "didn’t match" in errors_at(response, "new_password2")


def test_password_reset_for_an_unknown_address_sends_nothing_and_tells_nothing(client, post):
    make_user("member")
    response = post(client, "/account/password/reset/", {"email": "stranger@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_reset_with_a_bad_address_is_refused_at_the_field(client):
    response = client.post("/account/password/reset/", {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in errors_at(response, "email")
    assert value_of(response, "email") == "not an address"


def test_tampered_password_reset_link_gives_a_clear_page(client):
    make_user("member")
    response = client.get("/account/password/reset/MQ/not-a-token/")
    assert response.status_code == 200
    assert "This password reset link is invalid" in response.content.decode()


# --- createsuperuser ------------------------------------------------------------------------


def test_createsuperuser_without_input_uses_the_standard_variables(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "admin@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    call_command("createsuperuser", interactive=False, verbosity=0)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.email == "admin@example.com"
    assert admin.check_password(NEW_PASSWORD)
    assert [(p.name, p.is_default) for p in admin.pseuds.all()] == [("admin", True)]
    client = Client()
    assert client.login(username="admin", password=NEW_PASSWORD)
    assert client.get("/users/admin/").status_code == 200


# --- Pseuds ---------------------------------------------------------------------------------


@pytest.fixture
def member_client(client):
    client.force_login(make_user("member"))
    return client


def test_adding_a_pseud_lists_it_on_the_user_page(member_client):
    assert member_client.get("/account/pseuds/new/").status_code == 200
    response = member_client.post(
        "/account/pseuds/new/", {"name": "  Night   Owl ", "description": "Writes at night."}
    )
    assert response.status_code == 302
    pseud = Pseud.objects.get(name="Night Owl")
    assert not pseud.is_default
    page = Client().get("/users/member/").content.decode()
    assert "Night Owl" in page and "Writes at night." in page


def test_editing_a_pseud(member_client):
    user = User.objects.get(username="member")
    pseud = Pseud.objects.create(user=user, name="Old Pen Name")
    page = member_client.get(f"/account/pseuds/{pseud.pk}/edit/")
    assert value_of(page, "name") == "Old Pen Name"
    response = member_client.post(
        f"/account/pseuds/{pseud.pk}/edit/", {"name": "New Pen Name", "description": ""}
    )
    assert response.status_code == 302
    pseud.refresh_from_db()
    assert pseud.name == "New Pen Name"


def test_default_pseud_keeps_the_username(member_client):
    default = Pseud.objects.get(user__username="member", is_default=True)
    response = member_client.post(
        f"/account/pseuds/{default.pk}/edit/", {"name": "Renamed", "description": "Hello."}
    )
    assert response.status_code == 302
    default.refresh_from_db()
    assert (default.name, default.description) == ("member", "Hello.")


def test_someone_elses_pseud_cannot_be_edited(member_client):
    other = make_user("other").default_pseud
    response = member_client.post(f"/account/pseuds/{other.pk}/edit/", {"name": "Mine Now"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name == "other"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "night owl"}, "name", "You have a pseud with this name already."),
        ({"name": "MEMBER"}, "name", "You have a pseud with this name already."),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "<script>"}, "name", "Use 1 to 40 letters"),
        ({"name": "n" * 41}, "name", "at most 40 characters"),
        ({"name": "Fine Name", "description": "d" * 501}, "description", "at most 500"),
    ],
    ids=[
        "duplicate",
        "same as username",
        "empty",
        "bad characters",
        "too long",
        "long description",
    ],
)
def test_bad_pseud_input_is_refused_at_the_field_and_kept(member_client, data, field, message):
    Pseud.objects.create(user=User.objects.get(username="member"), name="Night Owl")
    before = Pseud.objects.count()
    data = {"description": "Typed description.", **data}
    response = member_client.post("/account/pseuds/new/", data)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    assert value_of(response, "name") == data["name"]
    assert value_of(response, "description") == data["description"]
    assert Pseud.objects.count() == before


# --- Preferences ----------------------------------------------------------------------------


def test_preferences_are_saved(member_client):
    page = member_client.get("/account/preferences/")
    assert page.status_code == 200
    response = member_client.post(
        "/account/preferences/", {"view_adult": "on", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    user = User.objects.get(username="member")
    assert (user.view_adult, user.time_zone) == (True, "Europe/Berlin")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "'; DROP TABLE"])
def test_bad_time_zone_is_refused_at_the_field(member_client, zone):
    response = member_client.post("/account/preferences/", {"view_adult": "on", "time_zone": zone})
    assert response.status_code == 200
    assert errors_at(response, "time_zone")
    assert 'name="view_adult"' in response.content.decode()
    assert re.search(r'name="view_adult"[^>]*checked', response.content.decode())
    user = User.objects.get(username="member")
    assert (user.view_adult, user.time_zone) == (False, "UTC")


def test_preferences_need_login(client):
    assert client.get("/account/preferences/").status_code == 302


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/account/signup/", "/account/login/", "/account/password/reset/"],
)
def test_guest_form_pages_carry_a_csrf_token_and_need_it(url):
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert client.post(url, {"username": "x", "email": "x@example.com"}).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/account/preferences/",
        "/account/pseuds/new/",
        "/account/pseuds/{pseud}/edit/",
        "/account/password/change/",
    ],
)
def test_member_form_pages_carry_a_csrf_token_and_need_it(url):
    user = make_user("member")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = url.format(pseud=user.default_pseud.pk)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert client.post(url, {"name": "Sneaky", "time_zone": "UTC"}).status_code == 403
    assert Pseud.objects.count() == 1


def test_logout_without_a_csrf_token_is_refused():
    user = make_user("member")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/account/logout/").status_code == 403
    assert logged_in_as(client) == user.pk
