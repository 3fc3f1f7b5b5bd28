"""The member's inbox: newest first, unread marked, opened by a POST that
marks the item read, a fixed number of queries, and the header's count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duster.community.choices import NotificationKind
from duster.community.models import Notification
from duster.community.services.notifications import notify
from duster.testing.factories import make_series, make_work
from duster.works.models import WorkState

pytestmark = pytest.mark.django_db


def _chapter_news(reader, work):
    return notify(
        users=[reader], kind=NotificationKind.CHAPTER, work=work, chapter=work.chapters.last()
    )[0]


def test_a_guest_is_sent_to_log_in(client):
    response = client.get("/account/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_the_inbox_lists_notifications_newest_first_with_unread_marked(client, author, reader):
    older = make_work(author, title="Older Story")
    newer = make_work(author, title="Newer Story")
    first = _chapter_news(reader, older)
    Notification.objects.filter(pk=first.pk).update(read_at=timezone.now())
    _chapter_news(reader, newer)

    client.force_login(reader)
    page = client.get("/account/inbox/").content.decode()
    assert page.index("Newer Story") < page.index("Older Story")
    assert page.count('class="inbox-item unread"') == 1
    assert "Mark all as read" in page


def test_opening_an_item_marks_it_read_and_leads_to_it(client, author, reader):
    work = make_work(author, title="A Story", chapters=2)
    notification = _chapter_news(reader, work)
    client.force_login(reader)

    assert client.get(f"/account/inbox/{notification.pk}/open").status_code == 405
    response = client.post(f"/account/inbox/{notification.pk}/open")
    assert response.status_code == 302
    last_chapter = work.chapters.last()
    assert last_chapter is not None
    assert response["Location"] == f"/works/{work.pk}/chapters/{last_chapter.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_nobody_opens_another_members_notification(client, author, reader):
    notification = _chapter_news(reader, make_work(author))
    client.force_login(author)
    assert client.post(f"/account/inbox/{notification.pk}/open").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_as_read(client, author, reader):
    for _ in range(3):
        _chapter_news(reader, make_work(author))
    client.force_login(reader)
    response = client.post("/account/inbox/read")
    assert response["Location"] == "/account/inbox/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_a_work_the_member_can_no_longer_see_is_shown_without_a_link(client, author, reader):
    work = make_work(author, title="Taken Down")
    notification = _chapter_news(reader, work)
    work.state = WorkState.HIDDEN
    work.save(update_fields=["state"])

    client.force_login(reader)
    page = client.get("/account/inbox/").content.decode()
    assert "Taken Down" in page
    assert "no longer there for you to read" in page
    assert f"/account/inbox/{notification.pk}/open" not in page
    response = client.post(f"/account/inbox/{notification.pk}/open")
    assert response["Location"] == "/account/inbox/"


def _inbox_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/account/inbox/").status_code == 200
    return len(queries)


def test_the_inbox_asks_a_fixed_number_of_queries(client, author, reader):
    series = make_series(author, [make_work(author)], title="Roads")
    client.force_login(reader)
    client.get("/account/inbox/")  # the session and the unread count are cached

    def add_some():
        work = make_work(author, chapters=2)
        _chapter_news(reader, work)
        notify(users=[reader], kind=NotificationKind.CREATOR_WORK, work=work)
        notify(users=[reader], kind=NotificationKind.SERIES_PART, work=work, series=series)

    add_some()
    client.get("/account/inbox/")
    few = _inbox_queries(client)
    for _ in range(4):
        add_some()
    client.get("/account/inbox/")
    assert _inbox_queries(client) == few
    assert few <= 8


def test_the_header_shows_the_unread_count_and_follows_changes(
    client, author, reader, django_capture_on_commit_callbacks
):
    client.force_login(reader)
    assert "inbox-count" not in client.get("/account/inbox/").content.decode()
    works = [make_work(author) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):  # the cached count is dropped
        for work in works:
            _chapter_news(reader, work)
    page = client.get("/works/").content.decode()
    assert 'Inbox <span class="inbox-count">(2<span class="visually-hidden"> unread' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/inbox/read")
    assert "inbox-count" not in client.get("/works/").content.decode()


def test_the_header_count_is_read_from_the_cache(client, author, reader):
    _chapter_news(reader, make_work(author))
    client.force_login(reader)
    client.get("/works/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/works/")
    assert not any("community_notification" in q["sql"] for q in queries.captured_queries)
