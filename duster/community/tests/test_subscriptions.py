"""Subscriptions to works, series and creators: who may subscribe, the
buttons, and delivery of new chapters, works and series parts through the
task backend."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from duster.accounts.models import EmailChoice
from duster.community.choices import NotificationKind
from duster.community.models import Notification, Subscription
from duster.community.services.subscriptions import (
    series_subscribers_notify,
    subscription_add,
    subscription_remove,
)
from duster.testing.factories import make_series, make_user, make_work
from duster.works.selectors import work_for_reader
from duster.works.services.chapters import chapter_create, chapter_post
from duster.works.services.series import series_add_work
from duster.works.services.works import work_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(author):
    return make_work(author, title="The Long Road", expected_chapters=None)


@pytest.fixture
def posting(django_capture_on_commit_callbacks):
    """Run a posting service and what it enqueues once it commits."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --- Subscribing ----------------------------------------------------------------------------


def test_a_reader_subscribes_once_to_a_work(reader, work):
    first = subscription_add(user=reader, work=work)
    again = subscription_add(user=reader, work=work)
    assert first.pk == again.pk
    assert Subscription.objects.filter(user=reader).count() == 1
    assert subscription_remove(user=reader, work=work) is True
    assert subscription_remove(user=reader, work=work) is False


def test_nobody_subscribes_to_themselves(author, work):
    with pytest.raises(ValidationError):
        subscription_add(user=author, work=work)
    with pytest.raises(ValidationError):
        subscription_add(user=author, creator=author)
    series = make_series(author, [work])
    with pytest.raises(ValidationError):
        subscription_add(user=author, series=series)


def test_nobody_subscribes_to_a_draft_they_cannot_see(author, reader):
    draft = make_work(author, post=False)
    with pytest.raises(ValidationError):
        subscription_add(user=reader, work=draft)
    series = make_series(author, [draft])
    with pytest.raises(ValidationError):
        subscription_add(user=reader, series=series)


def _work_button(rf, user, work) -> str:
    """community/_subscribe.html as the work page's footer includes it."""
    request = rf.get(f"/works/{work.pk}/")
    request.user = user
    return render_to_string("community/_subscribe.html", {"work": work}, request=request)


def test_the_subscribe_button_subscribes_and_unsubscribes(client, rf, author, reader, work):
    assert f'action="/works/{work.pk}/subscribe"' in _work_button(rf, reader, work)
    assert "form" not in _work_button(rf, author, work)  # not on one's own work
    assert "form" not in _work_button(rf, AnonymousUser(), work)

    client.force_login(reader)
    response = client.post(f"/works/{work.pk}/subscribe", {"next": f"/works/{work.pk}/"})
    assert response.status_code == 302
    assert response["Location"] == f"/works/{work.pk}/"
    assert Subscription.objects.filter(user=reader, work=work).exists()
    assert f'action="/works/{work.pk}/unsubscribe"' in _work_button(rf, reader, work)
    client.post(f"/works/{work.pk}/unsubscribe")
    assert not Subscription.objects.exists()


def test_a_guest_sees_no_subscribe_button_and_is_sent_to_log_in(client, work):
    page = client.get(f"/works/{work.pk}/")
    assert b"/subscribe" not in page.content
    response = client.post(f"/works/{work.pk}/subscribe")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert not Subscription.objects.exists()


def test_a_get_never_subscribes(client, reader, work):
    client.force_login(reader)
    assert client.get(f"/works/{work.pk}/subscribe").status_code == 405
    assert not Subscription.objects.exists()


def test_subscribing_to_a_hidden_work_is_a_404(client, author, reader):
    draft = make_work(author, post=False)
    client.force_login(reader)
    assert client.post(f"/works/{draft.pk}/subscribe").status_code == 404


def test_series_and_creator_pages_have_subscribe_buttons_for_members(client, author, reader, work):
    series = make_series(author, [work], title="Roads")
    client.force_login(reader)
    page = client.get(f"/series/{series.pk}/")
    assert f'action="/series/{series.pk}/subscribe"'.encode() in page.content
    client.post(f"/series/{series.pk}/subscribe")
    page = client.get("/users/author/")
    assert b'action="/users/author/subscribe"' in page.content
    client.post("/users/author/subscribe")
    assert Subscription.objects.filter(user=reader).count() == 2


def test_an_offsite_next_is_not_followed(client, reader, work):
    client.force_login(reader)
    response = client.post(f"/works/{work.pk}/subscribe", {"next": "https://evil.example/"})
    assert response["Location"] == f"/works/{work.pk}/"


def test_the_subscriptions_page_lists_and_removes(client, author, reader, work):
    series = make_series(author, [work], title="Roads")
    for target in ({"work": work}, {"series": series}, {"creator": author}):
        subscription_add(user=reader, **target)
    client.force_login(reader)
    page = client.get("/account/subscriptions/")
    assert page.status_code == 200
    for text in (b"The Long Road", b"Roads", b"author"):
        assert text in page.content
    response = client.post(f"/series/{series.pk}/unsubscribe", {"next": "/account/subscriptions/"})
    assert response["Location"] == "/account/subscriptions/"
    assert Subscription.objects.filter(user=reader).count() == 2


def test_the_subscriptions_page_asks_a_fixed_number_of_queries(
    client, author, reader, django_assert_max_num_queries
):
    for number in range(6):
        subscription_add(user=reader, work=make_work(author, title=f"W{number}"))
    client.force_login(reader)
    client.get("/account/subscriptions/")
    with django_assert_max_num_queries(9):
        assert client.get("/account/subscriptions/").status_code == 200


# --- Delivery -------------------------------------------------------------------------------


def test_a_new_chapter_reaches_the_works_subscribers_by_mail(posting, author, reader, work):
    subscription_add(user=reader, work=work)
    chapter = posting(lambda: chapter_create(work=work, fields={"body": "<p>More.</p>"}))

    notification = Notification.objects.get(user=reader)
    assert notification.kind == NotificationKind.CHAPTER
    assert notification.chapter == chapter
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "New chapter of The Long Road"
    assert f"/works/{work.pk}/chapters/{chapter.pk}/" in message.body
    assert "subscribed" in message.body
    assert _kinds(author) == []  # not to the work's own creator


def test_a_draft_chapter_notifies_when_it_is_posted(posting, reader, work):
    subscription_add(user=reader, work=work)
    chapter = posting(
        lambda: chapter_create(work=work, fields={"body": "<p>Later.</p>"}, post=False)
    )
    assert _kinds(reader) == []
    posting(lambda: chapter_post(chapter=chapter))
    assert _kinds(reader) == [NotificationKind.CHAPTER]
    posting(lambda: chapter_post(chapter=chapter))  # posting again changes nothing
    assert _kinds(reader) == [NotificationKind.CHAPTER]


def test_a_new_work_reaches_its_creators_subscribers(posting, author, reader):
    subscription_add(user=reader, creator=author)
    work = posting(lambda: make_work(author, title="Fresh Start"))
    assert _kinds(reader) == [NotificationKind.CREATOR_WORK]
    assert mail.outbox[0].subject == "New work by author: Fresh Start"
    assert Notification.objects.get(user=reader).work == work


def test_an_anonymous_work_does_not_reach_its_creators_subscribers(posting, author, reader):
    subscription_add(user=reader, creator=author)
    posting(lambda: make_work(author, title="Unsigned", anonymous=True))
    assert _kinds(reader) == []
    assert mail.outbox == []


def test_an_anonymous_work_added_to_a_series_does_not_reach_its_subscribers(
    posting, author, reader, work
):
    series = make_series(author, [work], title="Roads")
    subscription_add(user=reader, series=series)
    unsigned = make_work(author, title="Unsigned", anonymous=True)
    posting(lambda: series_add_work(series=series, work=unsigned))
    assert _kinds(reader) == []


def test_a_draft_does_not_notify_until_posted(posting, author, reader):
    subscription_add(user=reader, creator=author)
    draft = posting(lambda: make_work(author, title="Not Yet", post=False))
    assert _kinds(reader) == []
    posting(lambda: work_post(work=draft))
    assert _kinds(reader) == [NotificationKind.CREATOR_WORK]


def test_a_work_added_to_a_series_reaches_the_series_subscribers(posting, author, reader, work):
    series = make_series(author, [work], title="Roads")
    subscription_add(user=reader, series=series)
    sequel = make_work(author, title="The Road Back")
    posting(lambda: series_add_work(series=series, work=sequel))

    notification = Notification.objects.get(user=reader)
    assert notification.kind == NotificationKind.SERIES_PART
    assert (notification.series, notification.work) == (series, sequel)
    assert mail.outbox[0].subject == "New part of Roads: The Road Back"


def test_a_draft_added_to_a_series_notifies_once_when_posted(posting, author, reader, work):
    series = make_series(author, [work], title="Roads")
    subscription_add(user=reader, series=series)
    subscription_add(user=reader, creator=author)
    draft = make_work(author, title="Coming Soon", post=False)
    posting(lambda: series_add_work(series=series, work=draft))
    assert _kinds(reader) == []

    posting(lambda: work_post(work=draft))
    assert sorted(_kinds(reader)) == [NotificationKind.CREATOR_WORK, NotificationKind.SERIES_PART]
    # Told already: a retried task tells nobody again.
    assert series_subscribers_notify(series_id=series.pk, work_id=draft.pk) == 0
    assert Notification.objects.filter(user=reader).count() == 2


def test_subscribers_are_told_in_batches(posting, author, work, monkeypatch):
    from duster.community.services import subscriptions

    monkeypatch.setattr(subscriptions, "BATCH", 2)
    readers = [make_user(f"reader{n}") for n in range(5)]
    for reader in readers:
        subscription_add(user=reader, work=work)
    readers[0].notification_email = EmailChoice.NEVER
    readers[0].save(update_fields=["notification_email"])
    posting(lambda: chapter_create(work=work, fields={"body": "<p>More.</p>"}))
    assert Notification.objects.filter(kind=NotificationKind.CHAPTER).count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"reader{n}@example.com" for n in range(1, 5)]


def test_the_unsubscribe_link_in_a_creator_mail_ends_that_subscription(
    posting, client, author, reader
):
    subscription_add(user=reader, creator=author)
    posting(lambda: make_work(author, title="Fresh Start"))
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    match = re.search(r"(/unsubscribe/[^>]+)>", header)
    assert match is not None
    path = match.group(1)
    page = client.get(path)
    assert b"new works by author" in page.content
    client.post(path, {"List-Unsubscribe": "One-Click"})
    assert not Subscription.objects.filter(user=reader).exists()


def test_the_work_page_button_costs_a_member_one_query_and_a_guest_none(
    rf, author, reader, work, django_assert_num_queries
):
    subscription_add(user=reader, work=work)
    work = work_for_reader(work.pk, reader)  # credits loaded, as on the work page
    with django_assert_num_queries(1):
        assert "unsubscribe" in _work_button(rf, reader, work)
    with django_assert_num_queries(0):
        assert "form" not in _work_button(rf, AnonymousUser(), work)
