"""Claiming an account imported from an eFiction archive: the mailed link,
the claim page (keep or orphan the works), the address rule, and the
send_claim_links command."""

import io
import re
import time
from html import unescape

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from duster.accounts.models import Pseud, User
from duster.accounts.tests.helpers import logged_in_as, text_of
from duster.community.services.bookmarks import bookmark_save
from duster.community.services.comments import comment_post
from duster.community.services.kudos import kudos_leave
from duster.imports.claims import (
    ORPHAN_USERNAME,
    claim_account,
    claim_link,
    claim_token,
    unclaimed_users,
)
from duster.imports.models import LegacyId
from duster.testing.factories import make_series, make_user, make_work
from duster.testing.html import errors_at, form_values
from duster.works.models import Creatorship, Work

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lanterns over the harbour"
SITE = "http://testserver/"


def make_imported(
    username: str, *, uid: int, email: str | None = None, pen_name: str = "", source="efiction"
) -> User:
    """An account as the eFiction import makes one: active, no usable
    password, its pen name on its default pseud, and its LegacyId row."""
    user = User(
        username=username,
        email=f"{username}@old-archive.example" if email is None else email,
        is_active=True,
    )
    user.set_unusable_password()
    user.save()
    if pen_name:
        Pseud.objects.filter(user=user, is_default=True).update(name=pen_name)
    LegacyId.objects.create(source=source, kind="author", old_id=str(uid), new_id=user.pk)
    return User.objects.get(pk=user.pk)


def path_of(link: str) -> str:
    return link.removeprefix("http://testserver")


def claim_path(user: User) -> str:
    return path_of(claim_link(user, SITE))


def claim_data(**overrides) -> dict:
    return {
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        "works": "keep",
        **overrides,
    }


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def juniper():
    return make_imported("juniper", uid=7, pen_name="Juniper Vane")


@pytest.fixture
def stories(juniper):
    return [
        make_work(juniper, title="Tidewater", chapters=2, expected_chapters=2),
        make_work(juniper, title="Salt and Ink"),
    ]


# --- Who is unclaimed, and the link -----------------------------------------------------------


def test_an_imported_account_without_a_password_is_unclaimed(juniper):
    make_user("member")
    make_imported("elsewhere", uid=7, source="other-archive")
    assert list(unclaimed_users()) == [juniper]
    assert [u.username for u in unclaimed_users("other-archive")] == ["elsewhere"]


def test_the_claim_page_shows_the_account_its_works_and_the_form(client, juniper, stories):
    response = client.get(claim_path(juniper))
    assert response.status_code == 200
    text = text_of(response)
    assert "juniper" in text
    assert "Tidewater" in text and "Salt and Ink" in text
    html = response.content.decode()
    assert f'href="/works/{stories[0].pk}/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Keep my works under my name" in text and "Orphan my works" in text
    assert form_values(response)["works"] == ["keep"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "token",
    ["nonsense", "", "a:b:c"],
    ids=["nonsense", "empty", "colons"],
)
def test_a_bad_token_shows_a_clear_page_with_a_way_to_reset(client, juniper, token):
    response = client.get(f"/account/claim/{token}/" if token else "/account/claim/x/")
    assert response.status_code == 400
    assert "This link to claim an account is not valid" in text_of(response)
    assert 'href="/account/password/reset/"' in response.content.decode()


def test_a_tampered_token_is_refused(client, juniper):
    member = make_imported("someone_else", uid=8)
    token = claim_token(juniper)
    payload, rest = token.split(":", 1)
    data = signing.loads(token, salt="duster.imports.claim")
    forged = signing.dumps({**data, "u": member.pk}, salt="wrong salt")
    for bad in (
        payload[:-1] + ("A" if payload[-1] != "A" else "B") + ":" + rest,
        forged,
        signing.dumps(juniper.pk, salt="duster.accounts.activate"),  # another link's token
    ):
        response = client.get(f"/account/claim/{bad}/")
        assert response.status_code == 400
        response = client.post(f"/account/claim/{bad}/", claim_data())
        assert response.status_code == 400
    assert not fresh(juniper).has_usable_password()
    assert not fresh(member).has_usable_password()


def test_an_expired_token_is_refused(client, juniper, settings, monkeypatch):
    settings.CLAIM_LINK_DAYS = 30
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: now - 31 * 24 * 3600)
        old = claim_path(juniper)
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: now - 29 * 24 * 3600)
        recent = claim_path(juniper)
    assert client.get(old).status_code == 400
    assert "not valid" in text_of(client.get(old))
    assert client.get(recent).status_code == 200


def test_a_link_works_once(client, juniper):
    path = claim_path(juniper)
    assert client.post(path, claim_data()).status_code == 302
    other = Client()
    response = other.get(path)
    assert response.status_code == 400
    assert "not valid" in text_of(response)
    response = other.post(path, claim_data(new_password1="x" * 20, new_password2="x" * 20))
    assert response.status_code == 400
    assert fresh(juniper).check_password(NEW_PASSWORD)


def test_a_new_unusable_password_ends_the_links_sent_before(client, juniper):
    path = claim_path(juniper)
    juniper.set_unusable_password()  # as an administrator resetting the account would
    juniper.save(update_fields=["password"])
    assert client.get(path).status_code == 400
    assert client.get(claim_path(juniper)).status_code == 200


def test_a_member_with_a_password_has_no_claim_link(client):
    member = make_user("member")
    LegacyId.objects.create(kind="author", old_id="3", new_id=member.pk)
    assert client.get(claim_path(member)).status_code == 400


def test_a_deactivated_imported_account_cannot_be_claimed(client, juniper):
    path = claim_path(juniper)
    User.objects.filter(pk=juniper.pk).update(is_active=False)
    assert client.get(path).status_code == 400


# --- Claiming: keep or orphan ----------------------------------------------------------------


def test_keeping_sets_the_password_logs_in_and_keeps_the_works(client, juniper, stories):
    response = client.post(claim_path(juniper), claim_data())
    assert response.status_code == 302
    assert response["Location"] == "/users/juniper/"
    user = fresh(juniper)
    assert user.check_password(NEW_PASSWORD) and user.is_active
    assert logged_in_as(client) == user.pk
    assert list(unclaimed_users()) == []
    assert set(Work.objects.credited_to(user, viewer=user)) == set(stories)
    page = client.get(response["Location"])
    assert "Your account and your works are yours now." in text_of(page)
    # It logs in with its password from now on.
    client.logout()
    client.post("/account/login/", {"username": "juniper", "password": NEW_PASSWORD})
    assert logged_in_as(client) == user.pk


def test_orphaning_moves_every_credit_under_the_same_pen_name(client, juniper, stories):
    reader = make_user("reader")
    work = stories[0]
    kudos_leave(work=work, user=reader)
    comment_post(work=work, user=reader, body="A lovely harbour.")
    bookmark_save(user=reader, work=work, notes="Read again.")
    series = make_series(juniper, works=stories, title="Coastlines")
    second_pseud = Pseud.objects.create(user=juniper, name="J. Vane")
    Creatorship.objects.filter(work=stories[1]).update(pseud=second_pseud)
    before = Work.objects.values("pk", "kudos_count", "comment_count", "bookmark_count")
    before_rows = {row["pk"]: row for row in before}

    response = client.post(claim_path(juniper), claim_data(works="orphan"), follow=True)

    assert "your works are orphaned" in text_of(response)
    user = fresh(juniper)
    assert user.check_password(NEW_PASSWORD)
    assert not Creatorship.objects.filter(pseud__user=user).exists()
    orphan = User.objects.get(username=ORPHAN_USERNAME)
    assert orphan.is_active and not orphan.has_usable_password()
    assert [str(p) for p in Work.objects.get(pk=work.pk).credited_pseuds()] == [
        "Juniper Vane (orphan_account)"
    ]
    assert [str(p) for p in Work.objects.get(pk=stories[1].pk).credited_pseuds()] == [
        "J. Vane (orphan_account)"
    ]
    assert [str(p) for p in series.credited_pseuds()] == ["Juniper Vane (orphan_account)"]
    for row in Work.objects.values("pk", "kudos_count", "comment_count", "bookmark_count"):
        assert row == before_rows[row["pk"]]
    assert (work.kudos.count(), work.comments.count(), work.bookmarks.count()) == (1, 1, 1)
    page = Client().get(f"/works/{work.pk}/")
    assert "Juniper Vane (orphan_account)" in text_of(page)
    # The account itself stays, with its pseuds (and whatever it wrote as a reader).
    assert Pseud.objects.filter(user=user).count() == 2


def test_a_second_orphaning_reuses_the_shared_pen_name(client, juniper):
    first = make_work(juniper, title="First")
    namesake = make_imported("namesake", uid=9, pen_name="juniper vane")
    second = make_work(namesake, title="Second")
    client.post(claim_path(juniper), claim_data(works="orphan"))
    Client().post(claim_path(namesake), claim_data(works="orphan"))
    orphan = User.objects.get(username=ORPHAN_USERNAME)
    assert orphan.pseuds.filter(name__iexact="juniper vane").count() == 1
    pseud = orphan.pseuds.get(name__iexact="juniper vane")
    assert set(Work.objects.credited_to(orphan, viewer=None)) == {first, second}
    assert set(pseud.creatorships.values_list("work_id", flat=True)) == {first.pk, second.pk}


def test_orphaning_refuses_when_a_member_holds_the_orphan_username(client, juniper, stories):
    make_user(ORPHAN_USERNAME)
    response = client.post(claim_path(juniper), claim_data(works="orphan"))
    assert response.status_code == 200
    assert "Works can't be orphaned here" in text_of(response)
    assert not fresh(juniper).has_usable_password()
    assert Creatorship.objects.filter(pseud__user=juniper).count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"new_password2": "something else entirely"}, "new_password2", "didn’t match"),
        ({"new_password1": "short", "new_password2": "short"}, "new_password2", "too short"),
        (
            {"new_password1": "password", "new_password2": "password"},
            "new_password2",
            "too common",
        ),
        ({"new_password1": "", "new_password2": ""}, "new_password1", "This field is required."),
        ({"works": ""}, "works", "Choose whether to keep your works or orphan them."),
    ],
    ids=["mismatch", "short", "common", "empty", "no choice"],
)
def test_bad_input_is_shown_at_the_field_and_the_choice_kept(
    client, juniper, stories, overrides, field, message
):
    data = claim_data(**{"works": "orphan", **overrides})
    response = client.post(claim_path(juniper), data)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    if data["works"]:
        assert form_values(response)["works"] == ["orphan"]
    assert not fresh(juniper).has_usable_password()
    assert logged_in_as(client) is None
    assert Creatorship.objects.filter(pseud__user=juniper).count() == 2
    assert not User.objects.filter(username=ORPHAN_USERNAME).exists()


def test_the_form_needs_its_csrf_token(juniper):
    client = Client(enforce_csrf_checks=True)
    path = claim_path(juniper)
    response = client.post(path, claim_data())
    assert response.status_code == 403
    assert not fresh(juniper).has_usable_password()
    page = client.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token
    response = client.post(path, {**claim_data(), "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert fresh(juniper).check_password(NEW_PASSWORD)


# --- The address rule -------------------------------------------------------------------------


def test_imported_accounts_may_share_an_address_with_anyone():
    member = make_user("member")
    a = make_imported("first_twin", uid=1, email="twins@old.example")
    b = make_imported("second_twin", uid=2, email="TWINS@old.example")
    c = make_imported("member_too", uid=3, email=member.email)
    assert {a, b, c} <= set(User.objects.confirmed())


def test_two_accounts_with_passwords_still_cannot_share_a_confirmed_address():
    make_user("member")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(
            username="copycat", email="MEMBER@example.com", password="another-password"
        )


def test_claiming_is_refused_while_a_member_with_a_password_has_the_address(client, stories):
    juniper = fresh(stories[0].credited_pseuds()[0].user)
    make_user("member")
    User.objects.filter(pk=juniper.pk).update(email="Member@Example.com")
    response = client.post(claim_path(juniper), claim_data(works="orphan"))
    assert response.status_code == 200
    assert "Another account here has this account's email address" in text_of(response)
    user = fresh(juniper)
    assert not user.has_usable_password()
    assert logged_in_as(client) is None
    assert Creatorship.objects.filter(pseud__user=user).count() == 2
    assert not User.objects.filter(username=ORPHAN_USERNAME).exists()


def test_of_two_imported_accounts_sharing_an_address_only_one_can_claim_it(client):
    a = make_imported("first_twin", uid=1, email="twins@old.example")
    b = make_imported("second_twin", uid=2, email="twins@old.example")
    claim_account(user=a, password=NEW_PASSWORD, orphan=False)
    with pytest.raises(ValidationError) as refused:
        claim_account(user=b, password=NEW_PASSWORD, orphan=False)
    assert "Another account here has this account's email address" in refused.value.messages[0]
    assert not fresh(b).has_usable_password()


def test_claim_account_refuses_an_account_claimed_already(juniper):
    claim_account(user=juniper, password=NEW_PASSWORD, orphan=False)
    with pytest.raises(ValidationError, match="claimed already"):
        claim_account(user=juniper, password="another long password", orphan=True)
    assert fresh(juniper).check_password(NEW_PASSWORD)


# --- A password reset claims it too ------------------------------------------------------------


def reset_link() -> str:
    (message,) = mail.outbox
    found = re.search(r"http://testserver(/account/password/reset/\S+/)", str(message.body))
    assert found, message.body
    return found.group(1)


def test_a_password_reset_for_an_unclaimed_address_claims_it(
    client, juniper, stories, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/password/reset/", {"email": juniper.email})
    assert mail.outbox[0].to == [juniper.email]
    response = client.get(reset_link(), follow=True)
    set_url = response.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert fresh(juniper).check_password(NEW_PASSWORD)
    assert list(unclaimed_users()) == []
    assert Creatorship.objects.filter(pseud__user=juniper).count() == 2


def test_a_password_reset_goes_to_the_member_who_holds_the_address(
    client, django_capture_on_commit_callbacks
):
    member = make_user("member")
    make_imported("old_name", uid=4, email=member.email)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/password/reset/", {"email": member.email})
    (message,) = mail.outbox
    assert "member" in message.body and "old_name" not in message.body


def test_logging_in_to_an_unclaimed_account_never_succeeds(client, juniper):
    for password in ("", "!", juniper.password, juniper.password.removeprefix("!")):
        client.post("/account/login/", {"username": "juniper", "password": password})
        assert logged_in_as(client) is None


# --- Mailing the links ------------------------------------------------------------------------


def run_command(*args, capture) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with capture(execute=True):
        call_command("send_claim_links", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_send_claim_links_mails_each_unclaimed_account_its_link(
    juniper, stories, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver/"
    make_imported("no_address", uid=8, email="")
    make_imported("bad_address", uid=9, email="not an address")
    make_user("member")
    out, _ = run_command(
        "--archive", "The Lighthouse Archive", capture=django_capture_on_commit_callbacks
    )
    assert "Queued 1 claim link." in out
    assert "2 accounts have no email address: bad_address, no_address" in out
    (message,) = mail.outbox
    assert message.to == [juniper.email]
    assert "The Lighthouse Archive" in message.body
    assert "Tidewater" in message.body and "Salt and Ink" in message.body
    assert f"http://testserver/works/{stories[0].pk}/" in message.body
    link = re.search(r"http://testserver(/account/claim/\S+/)", str(message.body))
    assert link
    assert "&amp;" not in message.body
    page = Client().get(unescape(link.group(1)))
    assert page.status_code == 200 and "juniper" in text_of(page)


def test_the_mail_names_the_import_source_when_no_archive_name_is_given(
    juniper, django_capture_on_commit_callbacks
):
    run_command(capture=django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert "The eFiction archive has moved to" in message.body


def test_a_dry_run_only_counts(juniper, django_capture_on_commit_callbacks):
    make_imported("another", uid=8)
    out, _ = run_command("--dry-run", capture=django_capture_on_commit_callbacks)
    assert "Would queue 2 claim links." in out
    assert mail.outbox == []


def test_send_claim_links_for_named_users_and_sources(juniper, django_capture_on_commit_callbacks):
    make_imported("another", uid=8)
    make_imported("elsewhere", uid=9, source="other")
    out, err = run_command(
        "--user", "JUNIPER", "--user", "nobody", capture=django_capture_on_commit_callbacks
    )
    assert "Queued 1 claim link." in out
    assert "No unclaimed account from efiction is called nobody." in err
    assert [m.to for m in mail.outbox] == [[juniper.email]]
    mail.outbox.clear()
    out, _ = run_command("--source", "other", capture=django_capture_on_commit_callbacks)
    assert "Queued 1 claim link." in out
    assert [m.to for m in mail.outbox] == [["elsewhere@old-archive.example"]]


def test_claimed_accounts_get_no_mail(juniper, django_capture_on_commit_callbacks):
    claim_account(user=juniper, password=NEW_PASSWORD, orphan=False)
    out, _ = run_command(capture=django_capture_on_commit_callbacks)
    assert "Queued 0 claim links." in out
    assert mail.outbox == []
