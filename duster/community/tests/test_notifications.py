"""Notification delivery: inbox rows, mail at once / daily digest / never,
the claim that keeps a retried task from sending twice, and the signed
unsubscribe links every mail carries."""

import datetime as dt
import re

import pytest
from django.core import mail, signing
from django.db import transaction
from django.utils import timezone

from duster.accounts.models import EmailChoice
from duster.community import mail as community_mail
from duster.community.choices import NotificationKind
from duster.community.models import Comment, Notification, Subscription
from duster.community.services.notifications import (
    digest_send,
    digests_send_due,
    notification_mails_retry,
    notification_mails_send,
    notify,
)
from duster.community.services.subscriptions import subscription_add
from duster.lib.richtext import full_clean_public
from duster.testing.factories import make_work
from duster.works.models import WorkState

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(author):
    return make_work(author, title="Lanterns & Tides")


def _comment(work, user, text="What a lovely chapter.") -> Comment:
    comment = Comment(
        work=work,
        chapter=work.chapters.first(),
        user=user,
        pseud=user.default_pseud,
        created_at=timezone.now(),
    )
    comment.rich_text_set("body", text, "text")
    full_clean_public(comment)
    comment.save()
    comment.thread = comment
    comment.save(update_fields=["thread"])
    return comment


def _notify_comment(capture, work, commenter, recipient, **extra):
    comment = _comment(work, commenter, **extra)
    with capture(execute=True), transaction.atomic():
        notify(
            users=[recipient],
            kind=NotificationKind.COMMENT,
            work=work,
            chapter=comment.chapter,
            comment=comment,
        )
    return comment


def _set_email(user, choice):
    user.notification_email = choice
    user.save(update_fields=["notification_email"])


def _unsubscribe_path(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    match = re.search(r"<https?://[^/]+(/unsubscribe/[^>]+)>", header)
    assert match is not None
    return match.group(1)


# --- Immediately, daily, never -------------------------------------------------------------


def test_a_comment_notifies_the_creator_by_mail_at_once(
    work, author, reader, django_capture_on_commit_callbacks
):
    comment = _notify_comment(django_capture_on_commit_callbacks, work, reader, author)

    assert Notification.objects.filter(user=author, kind=NotificationKind.COMMENT).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["author@example.com"]
    assert message.subject == "New comment on Lanterns & Tides"
    assert "reader commented on “Lanterns & Tides”" in message.body
    assert "What a lovely chapter." in message.body
    assert f"/comments/{comment.pk}/" in message.body
    assert "&amp;" not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _unsubscribe_path(message) in message.body
    assert Notification.objects.get(user=author).emailed_at is not None


def test_no_mail_leaves_before_the_transaction_commits(work, author, reader):
    comment = _comment(work, reader)
    with transaction.atomic():
        notify(users=[author], kind=NotificationKind.COMMENT, work=work, comment=comment)
    # The test's own transaction never commits: the task was never enqueued.
    assert mail.outbox == []


def test_a_member_on_the_daily_digest_gets_no_mail_at_once(
    work, author, reader, django_capture_on_commit_callbacks
):
    _set_email(author, EmailChoice.DAILY)
    _notify_comment(django_capture_on_commit_callbacks, work, reader, author)

    assert mail.outbox == []
    assert Notification.objects.get(user=author).emailed_at is None


def test_a_member_who_wants_no_mail_gets_the_inbox_only(
    work, author, reader, django_capture_on_commit_callbacks
):
    _set_email(author, EmailChoice.NEVER)
    _notify_comment(django_capture_on_commit_callbacks, work, reader, author)
    assert mail.outbox == []
    assert digests_send_due(everyone=True) == 0
    assert mail.outbox == []
    assert Notification.objects.filter(user=author).count() == 1


def test_a_reply_mail_says_it_is_a_reply(work, author, reader, django_capture_on_commit_callbacks):
    comment = _comment(work, author, "Thank you!")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(users=[reader], kind=NotificationKind.REPLY, work=work, comment=comment)
    assert mail.outbox[0].subject == "Reply to your comment on Lanterns & Tides"
    assert "author replied to your comment" in mail.outbox[0].body


def test_a_reply_by_the_creator_of_an_anonymous_work_does_not_name_them(
    author, reader, django_capture_on_commit_callbacks
):
    work = make_work(author, title="Unsigned", anonymous=True)
    comment = _comment(work, author, "Thank you!")
    Comment.objects.filter(pk=comment.pk).update(by_creator=True)
    comment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(users=[reader], kind=NotificationKind.REPLY, work=work, comment=comment)
    body = mail.outbox[0].body
    assert "author" not in body.split("Hello reader", 1)[1]
    assert "The creator (anonymous) replied" in body


# --- The claim -----------------------------------------------------------------------------


def test_a_retried_mail_task_never_sends_twice(
    work, author, reader, django_capture_on_commit_callbacks
):
    _notify_comment(django_capture_on_commit_callbacks, work, reader, author)
    notification = Notification.objects.get(user=author)
    assert len(mail.outbox) == 1

    assert notification_mails_send(notification_ids=[notification.pk]) == 0
    assert notification_mails_send(notification_ids=[notification.pk]) == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_gives_the_claim_back(work, author, reader, monkeypatch):
    comment = _comment(work, reader)
    (notification,) = notify(
        users=[author], kind=NotificationKind.COMMENT, work=work, comment=comment
    )

    def broken(self, *args, **kwargs):
        raise OSError("the mail server is down")

    monkeypatch.setattr(community_mail.EmailMessage, "send", broken)
    with pytest.raises(OSError):
        notification_mails_send(notification_ids=[notification.pk])
    notification.refresh_from_db()
    assert notification.emailed_at is None

    monkeypatch.undo()
    assert notification_mails_send(notification_ids=[notification.pk]) == 1
    assert len(mail.outbox) == 1


def test_a_digest_already_sent_is_not_sent_again_as_single_mails(work, author, reader):
    _set_email(author, EmailChoice.DAILY)
    comment = _comment(work, reader)
    (notification,) = notify(
        users=[author], kind=NotificationKind.COMMENT, work=work, comment=comment
    )
    assert digest_send(user=author) == 1
    _set_email(author, EmailChoice.IMMEDIATELY)
    assert notification_mails_send(notification_ids=[notification.pk]) == 0
    assert len(mail.outbox) == 1


def test_no_mail_about_a_work_the_member_can_no_longer_see(work, author, reader):
    subscription_add(user=reader, work=work)
    chapter = work.chapters.first()
    (notification,) = notify(
        users=[reader], kind=NotificationKind.CHAPTER, work=work, chapter=chapter
    )
    work.state = WorkState.HIDDEN
    work.save(update_fields=["state"])
    assert notification_mails_send(notification_ids=[notification.pk]) == 0
    assert mail.outbox == []


# --- Digests -------------------------------------------------------------------------------


def test_the_daily_digest_lists_what_was_not_mailed_once_a_day_old(work, author, reader):
    _set_email(author, EmailChoice.DAILY)
    for text in ("First!", "Second!"):
        comment = _comment(work, reader, text)
        notify(users=[author], kind=NotificationKind.COMMENT, work=work, comment=comment)

    assert digests_send_due() == 0  # nothing is a day old yet
    later = timezone.now() + dt.timedelta(days=1, minutes=1)
    assert digests_send_due(now=later) == 1

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.subject == "Your Duster digest: 2 new notifications"
    assert digest.body.count("reader commented on “Lanterns & Tides”") == 2
    assert "List-Unsubscribe" in digest.extra_headers
    assert not Notification.objects.filter(user=author, emailed_at__isnull=True).exists()

    assert digests_send_due(now=later + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_the_digest_command_sends_everything_waiting_with_all(work, author, reader):
    from django.core.management import call_command

    _set_email(author, EmailChoice.DAILY)
    comment = _comment(work, reader)
    notify(users=[author], kind=NotificationKind.COMMENT, work=work, comment=comment)
    call_command("send_digests", verbosity=0)
    assert mail.outbox == []
    call_command("send_digests", "--all", verbosity=0)
    assert len(mail.outbox) == 1


def test_two_digest_runs_at_once_send_one_digest(work, author, reader):
    _set_email(author, EmailChoice.DAILY)
    comment = _comment(work, reader)
    notify(users=[author], kind=NotificationKind.COMMENT, work=work, comment=comment)
    assert digest_send(user=author) == 1
    assert digest_send(user=author) == 0
    assert len(mail.outbox) == 1


# --- Unsubscribe links ---------------------------------------------------------------------


def test_the_link_in_a_comment_mail_stops_notification_mail_after_a_confirmation(
    client, work, author, reader, django_capture_on_commit_callbacks
):
    _notify_comment(django_capture_on_commit_callbacks, work, reader, author)
    path = _unsubscribe_path(mail.outbox[0])

    page = client.get(path)
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content
    author.refresh_from_db()
    assert author.notification_email == EmailChoice.IMMEDIATELY  # a GET changes nothing

    csrf_client = type(client)(enforce_csrf_checks=True)
    assert csrf_client.post(path).status_code == 403  # the button needs its CSRF token
    page = csrf_client.get(path)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert match is not None
    token = match.group(1)
    done = csrf_client.post(path, {"csrfmiddlewaretoken": token.decode()})
    assert done.status_code == 200
    author.refresh_from_db()
    assert author.notification_email == EmailChoice.NEVER


def test_one_click_unsubscribe_needs_no_csrf_token(
    work, author, reader, django_capture_on_commit_callbacks, client
):
    subscription_add(user=reader, work=work)
    notify(users=[reader], kind=NotificationKind.CHAPTER, work=work, chapter=work.chapters.first())
    notification_mails_send(notification_ids=Notification.objects.values_list("pk", flat=True))
    path = _unsubscribe_path(mail.outbox[0])

    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscription.objects.filter(user=reader).exists()
    reader.refresh_from_db()
    assert reader.notification_email == EmailChoice.IMMEDIATELY  # only that subscription


def test_a_tampered_unsubscribe_link_is_a_clear_400(client, reader):
    token = community_mail.email_token(user_id=reader.pk)
    for bad in (token[:-2] + "xx", "nonsense", token.replace(":", "", 1)):
        response = client.get(f"/unsubscribe/{bad}")
        assert response.status_code == 400
        assert b"damaged or incomplete" in response.content
        response = client.post(f"/unsubscribe/{bad}", {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 400
    reader.refresh_from_db()
    assert reader.notification_email == EmailChoice.IMMEDIATELY


def test_a_token_for_one_purpose_does_not_work_for_another(client, reader):
    # Signed with another salt (an account confirmation link, say): refused.
    token = signing.dumps({"u": reader.pk}, salt="duster.accounts.activate")
    assert client.get(f"/unsubscribe/{token}").status_code == 400


def test_an_expired_unsubscribe_link_says_so(client, reader, monkeypatch):
    token = community_mail.email_token(user_id=reader.pk)
    monkeypatch.setattr(community_mail, "UNSUBSCRIBE_MAX_AGE", dt.timedelta(seconds=-1))
    response = client.get(f"/unsubscribe/{token}")
    assert response.status_code == 400
    assert b"too old" in response.content


def test_unsubscribing_twice_is_harmless(client, reader, work):
    subscription_add(user=reader, work=work)
    token = community_mail.subscription_token(user_id=reader.pk, target={"work": work.pk})
    first = client.post(f"/unsubscribe/{token}", {"List-Unsubscribe": "One-Click"})
    second = client.post(f"/unsubscribe/{token}", {"List-Unsubscribe": "One-Click"})
    assert first.status_code == second.status_code == 200
    assert b"already unsubscribed" not in first.content
    assert b"already unsubscribed" in second.content


def test_the_unsubscribe_header_stays_one_readable_url(
    work, author, reader, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://archive.example/"
    _notify_comment(django_capture_on_commit_callbacks, work, reader, author)
    raw = mail.outbox[0].message().as_bytes().decode()
    header = next(line for line in raw.splitlines() if line.startswith("List-Unsubscribe:"))
    path = _unsubscribe_path(mail.outbox[0])
    assert header == f"List-Unsubscribe: <https://archive.example{path}>"


def test_a_comment_and_its_reply_reach_the_author_and_the_reader_by_mail(
    work, author, reader, django_capture_on_commit_callbacks
):
    from duster.community.services.comments import comment_post

    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_post(work=work, user=reader, body="Loved it.")
    assert [m.to for m in mail.outbox] == [["author@example.com"]]
    assert mail.outbox[0].subject == "New comment on Lanterns & Tides"

    with django_capture_on_commit_callbacks(execute=True):
        comment_post(work=work, user=author, parent=comment, body="Thank you!")
    assert [m.to for m in mail.outbox][1:] == [["reader@example.com"]]
    assert mail.outbox[1].subject == "Reply to your comment on Lanterns & Tides"
    assert "Thank you!" in mail.outbox[1].body


def test_members_choose_their_notification_mail_in_preferences(client, reader):
    client.force_login(reader)
    page = client.get("/account/preferences/").content.decode()
    assert 'name="notification_email"' in page
    assert 'name="history_enabled"' in page
    for link in ("/account/inbox/", "/account/subscriptions/", "/account/history/"):
        assert f'href="{link}"' in page
    response = client.post(
        "/account/preferences/", {"time_zone": "UTC", "notification_email": "daily"}
    )
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.notification_email == EmailChoice.DAILY
    assert reader.history_enabled is False  # an unticked box

    response = client.post(
        "/account/preferences/", {"time_zone": "UTC", "notification_email": "weekly"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_hourly_retry_sends_what_a_lost_task_left(work, author, reader):
    comment = _comment(work, reader)
    # Not committed: the mail task was never enqueued, as if it were lost.
    (notification,) = notify(
        users=[author], kind=NotificationKind.COMMENT, work=work, comment=comment
    )
    assert notification_mails_retry() == 0  # too new: its task may be on its way
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=20)
    )
    assert notification_mails_retry() == 1
    assert notification_mails_retry() == 0
    assert len(mail.outbox) == 1
