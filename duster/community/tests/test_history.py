"""Reading history and Marked for Later: one row per member and work, written
once per window (never a row per view), an off switch, clearing, "continue
reading", and lists that cost a fixed number of queries."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from duster.community.models import Reading
from duster.community.selectors.reading import reading_page_context
from duster.community.services.history import (
    history_clear,
    history_delete,
    reading_mark_for_later,
    reading_record,
    reading_unmark_for_later,
)
from duster.testing.factories import make_user, make_work
from duster.works.choices import WorkState
from duster.works.models import Work
from duster.works.selectors import chapters_for_reader, work_for_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def serial(author):
    return make_work(author, title="Serial", chapters=3, expected_chapters=None)


def chapter(work, position):
    return work.chapters.get(position=position)


def reading_of(user, work) -> Reading:
    return Reading.objects.get(user=user, work=work)


def page_call(user, work, url: str):
    """A call of the reading part for the page at `url`, as the view makes it."""
    request = RequestFactory().get(url)
    request.user = user
    request.resolver_match = resolve(url)
    work = work_for_reader(work.pk, user)
    chapters = chapters_for_reader(work, user)
    match = request.resolver_match
    if match.url_name == "chapter_detail":
        shown = [c for c in chapters if c.pk == match.kwargs["chapter_id"]]
    else:
        shown = chapters[:1]
    return lambda: reading_page_context(
        request, work=work, chapters=chapters, shown=shown, full_work=len(chapters) == 1
    )


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE")]


class TestRecording:
    def test_a_members_first_view_records_the_work_and_chapter(self, client, reader, serial):
        client.force_login(reader)
        client.get(chapter(serial, 2).get_absolute_url())
        reading = reading_of(reader, serial)
        assert reading.chapter == chapter(serial, 2)
        assert reading.visits == 1
        assert not reading.marked_for_later

    def test_views_within_the_window_write_no_row(self, client, reader, serial):
        client.force_login(reader)
        url = chapter(serial, 2).get_absolute_url()
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            for _ in range(3):
                client.get(url)
        assert not [sql for sql in writes(queries) if "community_reading" in sql]
        assert reading_of(reader, serial).visits == 1

    def test_a_repeated_view_costs_the_reading_part_one_query(
        self, reader, serial, django_assert_num_queries
    ):
        call = page_call(reader, serial, chapter(serial, 2).get_absolute_url())
        call()
        with django_assert_num_queries(1):
            context = call()
        assert context["reading_member"] is True

    def test_another_chapter_in_the_window_moves_the_chapter_not_the_visits(
        self, client, reader, serial
    ):
        client.force_login(reader)
        client.get(chapter(serial, 1).get_absolute_url())
        client.get(chapter(serial, 2).get_absolute_url())
        reading = reading_of(reader, serial)
        assert reading.chapter == chapter(serial, 2)
        assert reading.visits == 1

    def test_a_view_after_the_window_is_another_visit(self, client, reader, serial):
        client.force_login(reader)
        url = chapter(serial, 2).get_absolute_url()
        client.get(url)
        caches["default"].clear()  # the window's cache entry expired
        client.get(url)
        assert reading_of(reader, serial).visits == 2

    def test_the_work_front_page_does_not_move_the_chapter_back(self, client, reader, serial):
        client.force_login(reader)
        client.get(chapter(serial, 3).get_absolute_url())
        caches["default"].clear()
        client.get(serial.get_absolute_url())
        reading = reading_of(reader, serial)
        assert reading.chapter == chapter(serial, 3)
        assert reading.visits == 2

    def test_history_switched_off_records_nothing(self, client, serial):
        reader = make_user("private", history_enabled=False)
        client.force_login(reader)
        client.get(serial.get_absolute_url())
        client.get(chapter(serial, 2).get_absolute_url())
        assert not Reading.objects.filter(user=reader).exists()

    def test_guests_are_not_recorded_and_cost_no_query(self, serial, django_assert_num_queries):
        call = page_call(AnonymousUser(), serial, serial.get_absolute_url())
        with django_assert_num_queries(0):
            context = call()
        assert context == {"reading_member": False}
        assert not Reading.objects.exists()

    def test_creators_reading_their_own_work_are_not_recorded(self, client, author, serial):
        client.force_login(author)
        client.get(chapter(serial, 2).get_absolute_url())
        assert not Reading.objects.exists()

    def test_a_row_deleted_meanwhile_is_written_again(self, reader, serial):
        first = chapter(serial, 1)
        assert reading_record(user=reader, work=serial, chapter=first)
        Reading.objects.all().delete()
        caches["default"].clear()
        assert reading_record(user=reader, work=serial, chapter=first)
        assert reading_of(reader, serial).visits == 1


class TestContinueReading:
    def test_a_later_visit_offers_the_last_chapter_read(self, client, reader, serial):
        client.force_login(reader)
        client.get(chapter(serial, 2).get_absolute_url())
        page = client.get(serial.get_absolute_url()).content.decode()
        assert "Continue reading: Chapter 2" in page
        assert f'href="{chapter(serial, 2).get_absolute_url()}"' in page

    def test_no_continue_link_on_the_chapter_itself(self, client, reader, serial):
        client.force_login(reader)
        url = chapter(serial, 2).get_absolute_url()
        client.get(url)
        assert "Continue reading" not in client.get(url).content.decode()

    def test_the_guest_page_has_only_the_report_link(self, client, serial):
        page = client.get(serial.get_absolute_url()).content.decode()
        assert f"/works/{serial.pk}/report" in page
        assert "Mark for later" not in page
        assert "Continue reading" not in page


class TestHistoryPage:
    def test_lists_works_read_newest_first_with_chapter_and_visits(self, client, reader, author):
        older = make_work(author, title="Older", chapters=2, expected_chapters=None)
        newer = make_work(author, title="Newer")
        client.force_login(reader)
        client.get(chapter(older, 2).get_absolute_url())
        client.get(newer.get_absolute_url())
        page = client.get("/account/history/").content.decode()
        assert page.index("Newer") < page.index("Older")
        assert "Last read" in page
        assert ": Chapter 2" in page
        assert f'href="{chapter(older, 2).get_absolute_url()}">Continue reading: Chapter 2' in page
        assert '<dd class="visits">1</dd>' in page

    def test_needs_a_login(self, client):
        response = client.get("/account/history/")
        assert response.status_code == 302
        assert "/account/login/" in response["Location"]

    def test_hides_works_the_member_can_no_longer_see(self, client, reader, author):
        kept = make_work(author, title="Still here")
        gone = make_work(author, title="Taken down")
        client.force_login(reader)
        client.get(kept.get_absolute_url())
        client.get(gone.get_absolute_url())
        Work.objects.filter(pk=gone.pk).update(state=WorkState.HIDDEN)
        page = client.get("/account/history/").content.decode()
        assert "Still here" in page
        assert "Taken down" not in page

    def test_anonymous_works_show_no_creator(self, client, reader, author):
        work = make_work(author, title="Unsigned", anonymous=True)
        client.force_login(reader)
        client.get(work.get_absolute_url())
        page = client.get("/account/history/").content.decode()
        assert "Unsigned" in page
        assert "by Anonymous" in page
        assert "/users/author/" not in page

    def test_query_count_does_not_grow_with_the_works(self, client, reader, author):
        client.force_login(reader)

        def read(count):
            for n in range(count):
                work = make_work(author, title=f"W{Work.objects.count()}-{n}", freeforms=[f"t{n}"])
                reading_record(user=reader, work=work, chapter=work.chapters.first())

        def measure():
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/account/history/").status_code == 200
            return len(queries)

        read(1)
        measure()  # settings read once per process (allowed image hosts) are read
        small = measure()
        read(19)
        assert measure() == small
        read(10)  # a second page
        assert measure() == small
        with CaptureQueriesContext(connection) as queries:
            client.get("/account/history/?page=2")
        assert len(queries) == small

    def test_is_paginated(self, client, reader, author):
        for n in range(25):
            work = make_work(author, title=f"Paged {n:02}")
            reading_record(user=reader, work=work, chapter=work.chapters.first())
        client.force_login(reader)
        first = client.get("/account/history/").content.decode()
        second = client.get("/account/history/?page=2").content.decode()
        assert first.count('class="reading-entry') == 20
        assert second.count('class="reading-entry') == 5
        assert "Page 1 of 2" in first

    def test_tells_a_member_whose_history_is_off(self, client):
        reader = make_user("private", history_enabled=False)
        client.force_login(reader)
        assert "Your history is switched off" in client.get("/account/history/").content.decode()


class TestClearing:
    def test_clear_takes_every_work_out(self, client, reader, author, serial):
        other = make_work(author)
        client.force_login(reader)
        client.get(serial.get_absolute_url())
        client.get(other.get_absolute_url())
        response = client.post("/account/history/clear", follow=True)
        assert "Your history is cleared (2 works)" in response.content.decode()
        assert not Reading.objects.exists()

    def test_clear_keeps_the_marks_but_not_the_reading(self, reader, serial):
        reading_record(user=reader, work=serial, chapter=chapter(serial, 2))
        reading_mark_for_later(user=reader, work=serial)
        assert history_clear(user=reader) == 1
        reading = reading_of(reader, serial)
        assert reading.marked_for_later
        assert reading.visits == 0 and reading.chapter is None

    def test_reading_after_clearing_is_recorded_at_once(self, client, reader, serial):
        client.force_login(reader)
        url = chapter(serial, 2).get_absolute_url()
        client.get(url)
        client.post("/account/history/clear")
        client.get(url)
        assert reading_of(reader, serial).visits == 1

    def test_delete_takes_one_work_out(self, client, reader, author, serial):
        other = make_work(author)
        client.force_login(reader)
        client.get(serial.get_absolute_url())
        client.get(other.get_absolute_url())
        response = client.post(f"/account/history/{serial.pk}/delete")
        assert response.status_code == 302
        assert list(Reading.objects.values_list("work_id", flat=True)) == [other.pk]

    def test_delete_of_someone_elses_reading_changes_nothing(self, reader, serial):
        reading_record(user=reader, work=serial, chapter=chapter(serial, 1))
        assert not history_delete(user=make_user("other"), work_id=serial.pk)
        assert Reading.objects.filter(user=reader, work=serial).exists()

    def test_clear_and_delete_are_post_only(self, client, reader):
        client.force_login(reader)
        assert client.get("/account/history/clear").status_code == 405
        assert client.get("/account/history/1/delete").status_code == 405


class TestMarkedForLater:
    def test_the_button_marks_and_the_page_shows_it_marked(self, client, reader, serial):
        client.force_login(reader)
        response = client.post(
            f"/works/{serial.pk}/mark_for_later", {"next": serial.get_absolute_url()}
        )
        assert response["Location"] == serial.get_absolute_url()
        assert reading_of(reader, serial).marked_for_later
        page = client.get(serial.get_absolute_url()).content.decode()
        assert "Marked for later ✓" in page
        assert f'action="/works/{serial.pk}/unmark_for_later"' in page
        listed = client.get("/account/marked/").content.decode()
        assert "Serial" in listed

    def test_marking_works_with_history_off_and_keeps_no_reading(self, client, serial):
        reader = make_user("private", history_enabled=False)
        client.force_login(reader)
        client.get(chapter(serial, 2).get_absolute_url())
        client.post(f"/works/{serial.pk}/mark_for_later")
        reading = reading_of(reader, serial)
        assert reading.marked_for_later
        assert reading.chapter is None and reading.visits == 0
        assert "Serial" in client.get("/account/marked/").content.decode()
        assert "Serial" not in client.get("/account/history/").content.decode()

    def test_unmarking_a_mark_only_row_deletes_it(self, reader, serial):
        reading_mark_for_later(user=reader, work=serial)
        reading_unmark_for_later(user=reader, work_id=serial.pk)
        assert not Reading.objects.exists()

    def test_unmarking_keeps_the_history(self, client, reader, serial):
        client.force_login(reader)
        client.get(serial.get_absolute_url())
        client.post(f"/works/{serial.pk}/mark_for_later")
        client.post(f"/works/{serial.pk}/unmark_for_later")
        reading = reading_of(reader, serial)
        assert reading.visits == 1 and not reading.marked_for_later

    def test_marking_twice_keeps_one_row(self, reader, serial):
        reading_mark_for_later(user=reader, work=serial)
        reading_mark_for_later(user=reader, work=serial)
        assert Reading.objects.count() == 1

    def test_a_guest_is_sent_to_log_in(self, client, serial):
        response = client.post(f"/works/{serial.pk}/mark_for_later")
        assert response.status_code == 302
        assert "/account/login/" in response["Location"]
        assert not Reading.objects.exists()

    def test_a_work_the_member_cannot_see_cannot_be_marked(self, client, reader, author):
        draft = make_work(author, post=False)
        client.force_login(reader)
        assert client.post(f"/works/{draft.pk}/mark_for_later").status_code == 404
        assert not Reading.objects.exists()

    def test_next_to_another_site_is_ignored(self, client, reader, serial):
        client.force_login(reader)
        response = client.post(
            f"/works/{serial.pk}/mark_for_later", {"next": "https://evil.example/"}
        )
        assert response["Location"] == serial.get_absolute_url()

    def test_the_marked_page_has_a_fixed_query_count(self, client, reader, author):
        client.force_login(reader)

        def mark(count):
            for n in range(count):
                reading_mark_for_later(user=reader, work=make_work(author, freeforms=[f"m{n}"]))

        def measure():
            with CaptureQueriesContext(connection) as queries:
                client.get("/account/marked/")
            return len(queries)

        mark(1)
        measure()
        small = measure()
        mark(8)
        assert measure() == small
