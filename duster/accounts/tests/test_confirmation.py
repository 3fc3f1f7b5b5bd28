"""Confirming an address: logging in before confirming says so and offers the
mail again (within limits), a password reset confirms too, and signing up or
resetting tells nobody whether an address has an account."""

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from duster.accounts.models import User
from duster.accounts.tests.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    activation_link,
    link_in,
    logged_in_as,
    text_of,
)
from duster.testing.factories import make_user

pytestmark = pytest.mark.django_db

UNCONFIRMED = (
    "You haven't confirmed this account's email address yet. Open the link we mailed you, "
    "or have us send it again."
)
RESEND = "/account/activation/resend/"


@pytest.fixture
def newcomer(signup):
    """A signup whose first mail went astray."""
    signup()
    mail.outbox.clear()
    return User.objects.get(username="newcomer")


def try_login(client, username="newcomer", password=NEW_PASSWORD):
    return client.post("/account/login/", {"username": username, "password": password})


# --- Logging in before confirming ------------------------------------------------------------


def test_logging_in_unconfirmed_says_so_and_offers_the_mail_again(client, newcomer):
    response = try_login(client)
    assert response.status_code == 200
    assert UNCONFIRMED in text_of(response)
    assert f'action="{RESEND}"' in response.content.decode()
    assert "Send the confirmation again" in text_of(response)
    assert logged_in_as(client) is None


def test_a_wrong_password_for_an_unconfirmed_account_says_only_that_it_is_wrong(client, newcomer):
    response = try_login(client, password="wrong")
    assert "That username and password don't match an account." in text_of(response)
    assert "confirmed" not in text_of(response)
    assert RESEND not in response.content.decode()


def test_the_button_sends_a_fresh_link_that_confirms(client, newcomer, clock, post):
    clock.advance(minutes=2)
    try_login(client)
    response = post(client, RESEND)
    assert response.status_code == 200
    assert "Check your mail" in text_of(response)
    assert "newcomer@example.com" in text_of(response)
    link = activation_link()
    response = Client().get(link)
    assert response.status_code == 302
    assert User.objects.get(pk=newcomer.pk).is_active


def test_the_mail_can_be_sent_again_once_a_minute(client, newcomer, clock, post):
    try_login(client)
    response = post(client, RESEND, follow=True)  # the signup's own mail was just now
    assert "We sent the link a moment ago. You can ask for another in 1 minute." in text_of(
        response
    )
    assert mail.outbox == []
    clock.advance(seconds=30)
    response = post(client, RESEND, follow=True)
    assert "You can ask for another in 30 seconds." in text_of(response)
    clock.advance(seconds=30)
    assert "Check your mail" in text_of(post(client, RESEND))
    assert len(mail.outbox) == 1


def test_the_mail_can_be_sent_again_a_few_times_a_day(client, newcomer, clock, post):
    try_login(client)
    for _ in range(4):  # five a day, the signup's own included
        clock.advance(minutes=1)
        assert "Check your mail" in text_of(post(client, RESEND))
    clock.advance(minutes=1)
    response = post(client, RESEND, follow=True)
    assert (
        "We have sent confirmation links too often today. You can ask again in 24 hours, or "
        "reset your password: that mail confirms the account too."
    ) in text_of(response)
    assert len(mail.outbox) == 4
    clock.advance(hours=24)
    assert "Check your mail" in text_of(post(client, RESEND))


def test_one_address_cannot_ask_for_many_accounts_mail(signup, clock, post, settings):
    settings.ACCOUNT_ADDRESS_MAILS_PER_DAY = 2
    for number in range(3):
        signup(username=f"newcomer{number}", email=f"n{number}@example.com")
    client = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(2):
        clock.advance(minutes=1)
        try_login(client, f"newcomer{number}")
        assert "Check your mail" in text_of(post(client, RESEND))
    clock.advance(minutes=1)
    try_login(client, "newcomer2")
    response = post(client, RESEND, follow=True)
    assert "too often today" in text_of(response)
    # The account's own allowance is untouched: from elsewhere it works.
    other = Client(REMOTE_ADDR="203.0.113.10")
    try_login(other, "newcomer2")
    assert "Check your mail" in text_of(post(other, RESEND))


def test_the_button_works_only_after_the_password_was_given(client, newcomer, post):
    response = post(client, RESEND, follow=True)
    assert "Log in with your username and password first" in text_of(response)
    assert mail.outbox == []
    assert client.get(RESEND).status_code == 405


def test_the_button_for_an_account_confirmed_meanwhile_says_so(client, newcomer, clock, post):
    try_login(client)
    User.objects.filter(pk=newcomer.pk).update(is_active=True)
    clock.advance(minutes=2)
    response = post(client, RESEND, follow=True)
    assert "This account is confirmed already. Log in." in text_of(response)
    assert mail.outbox == []


def test_a_password_reset_for_an_unconfirmed_account_confirms_it(client, newcomer, post):
    post(client, "/account/password/reset/", {"email": "newcomer@example.com"})
    (message,) = mail.outbox
    assert "choosing a new password\nconfirms it too" in message.body
    form = client.get(link_in(message, "/account/password/reset/"), follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    page = client.get(response["Location"])
    assert "Your account is confirmed too." in text_of(page)
    assert "Your new password is set." in text_of(page)
    assert User.objects.get(pk=newcomer.pk).is_active
    fresh = Client()
    try_login(fresh, password=PASSWORD)
    assert logged_in_as(fresh) == newcomer.pk


def test_a_password_reset_does_not_revive_a_deactivated_account(client, post):
    user = make_user("banned")
    User.objects.filter(pk=user.pk).update(is_active=False, last_login=user.date_joined)
    post(client, "/account/password/reset/", {"email": "banned@example.com"})
    assert mail.outbox == []


def test_reset_mails_go_out_at_most_once_a_minute(client, clock, post):
    make_user("member")
    for _ in range(3):
        post(client, "/account/password/reset/", {"email": "member@example.com"})
    assert len(mail.outbox) == 1
    clock.advance(minutes=1)
    post(client, "/account/password/reset/", {"email": "member@example.com"})
    assert len(mail.outbox) == 2


def test_an_expired_signup_can_still_log_in_to_ask_for_a_new_link(client, newcomer, clock, post):
    clock.advance(days=8)
    response = try_login(client)
    assert UNCONFIRMED in text_of(response)
    post(client, RESEND)
    link = activation_link()
    # The new link's clock starts now.
    assert Client().get(link).status_code == 302


# --- Signing up with an address that has an account ---------------------------------------


@pytest.fixture
def owner():
    return make_user("owner")  # owner@example.com, confirmed


def test_signing_up_with_a_known_address_answers_as_for_a_new_one(client, signup, owner):
    known = signup(username="intruder", email="OWNER@example.com")
    new = signup(client=Client(), username="stranger", email="stranger@example.com")
    assert known.status_code == new.status_code == 200
    assert text_of(known).replace("OWNER@example.com", "X") == text_of(new).replace(
        "stranger@example.com", "X"
    )


def test_a_known_address_gets_a_note_instead_of_a_link(signup, owner):
    signup(username="intruder", email="Owner@Example.com")
    (message,) = mail.outbox
    assert message.to == ["owner@example.com"]
    assert message.subject == "Someone tried to sign up to Duster with your address"
    assert "Hello owner," in message.body
    assert "no new account was made with it" in message.body
    assert link_in(message, "/account/login/") == "/account/login/"
    assert link_in(message, "/account/password/reset/") == "/account/password/reset/"
    assert "/account/activate/" not in message.body
    assert "intruder" not in message.body


def test_a_signup_with_a_known_address_behaves_like_any_other_afterwards(client, signup, owner):
    """Nothing an attacker can do next tells the two apart: the username is
    taken either way, and logging in says "not confirmed" either way."""
    signup(username="intruder", email="owner@example.com")
    signup(username="stranger", email="stranger@example.com")
    for username in ("intruder", "stranger"):
        again = signup(username=username.upper(), email="third@example.com")
        assert "That username is taken." in text_of(again)
        assert UNCONFIRMED in text_of(try_login(Client(), username))


def test_the_signup_with_a_known_address_can_never_be_confirmed(signup, owner):
    signup(username="intruder", email="owner@example.com")
    intruder = User.objects.get(username="intruder")
    token = signing.dumps(intruder.pk, salt="duster.accounts.activate")  # as if it leaked
    assert Client().get(f"/account/activate/{token}/").status_code == 400
    assert not User.objects.get(pk=intruder.pk).is_active


def test_the_owner_is_told_at_most_once_a_minute(signup, owner, clock):
    for number in range(3):
        signup(username=f"intruder{number}", email="owner@example.com")
    assert len(mail.outbox) == 1
    clock.advance(minutes=1)
    signup(username="intruder9", email="owner@example.com")
    assert len(mail.outbox) == 2


def test_asking_again_for_a_signup_with_a_known_address_tells_the_owner(
    client, signup, owner, clock, post
):
    signup(username="intruder", email="owner@example.com")
    mail.outbox.clear()
    clock.advance(minutes=2)
    try_login(client, "intruder")
    response = post(client, RESEND)
    assert "Check your mail" in text_of(response)
    (message,) = mail.outbox
    assert message.to == ["owner@example.com"]
    assert "tried to sign up" in message.subject


def test_two_waiting_signups_may_share_an_address_and_the_first_confirmed_keeps_it(signup):
    signup(username="first", email="shared@example.com")
    signup(username="second", email="shared@example.com")
    first_link, second_link = (link_in(m, "/account/activate/") for m in mail.outbox)
    assert Client().get(second_link).status_code == 302
    assert Client().get(first_link).status_code == 400
    assert User.objects.get(username="second").is_active
    assert not User.objects.get(username="first").is_active


def test_a_reset_for_an_address_with_a_confirmed_account_goes_to_it_only(client, signup, post):
    make_user("owner")
    signup(username="intruder", email="owner@example.com")
    mail.outbox.clear()
    post(client, "/account/password/reset/", {"email": "owner@example.com"})
    (message,) = mail.outbox
    assert "Hello owner," in message.body


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(post):
    make_user("member")
    known = post(Client(), "/account/password/reset/", {"email": "member@example.com"})
    unknown = post(Client(), "/account/password/reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


def test_a_second_confirmed_account_with_the_same_address_is_refused(owner):
    """The admin's forms check the model's constraints, with this message."""
    other = make_user("other")
    other.email = "OWNER@example.com"
    with pytest.raises(ValidationError) as error:
        other.full_clean()
    assert "An account with this email address exists already." in error.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()
