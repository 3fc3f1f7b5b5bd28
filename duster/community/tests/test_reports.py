"""Reports of works, comments and users, from members and guests, and the
admins' queue."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from duster.community.choices import CommentState, ReportState
from duster.community.models import REPORT_MAX, Comment, Report
from duster.community.services.reports import REPORTS_PER_HOUR, report_file
from duster.testing.factories import make_user, make_work
from duster.works.models import Work

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(author):
    return make_work(author, title="A Tale")


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


def make_comment(work, user, text="A comment.", state=CommentState.PUBLISHED) -> Comment:
    comment = Comment(
        work=work,
        chapter=work.chapters.first(),
        user=user,
        pseud=user.default_pseud,
        state=state,
        created_at=timezone.now(),
    )
    comment.rich_text_set("body", text, "text")
    comment.full_clean()
    comment.save()
    return comment


class TestReportingAWork:
    def test_a_member_reports_a_work(self, reader_client, reader, work):
        page = reader_client.get(f"/works/{work.pk}/report").content.decode()
        assert "csrfmiddlewaretoken" in page
        assert "Your email address" not in page
        response = reader_client.post(
            f"/works/{work.pk}/report", {"reason": "It copies someone else's story."}
        )
        assert response["Location"] == work.get_absolute_url()
        report = Report.objects.get()
        assert report.reporter == reader
        assert report.work == work
        assert report.subject == f"Work {work.pk}: A Tale"
        assert report.state == ReportState.OPEN
        assert report.reason == "It copies someone else's story."

    def test_the_thank_you_is_shown_after_reporting(self, reader_client, work):
        response = reader_client.post(f"/works/{work.pk}/report", {"reason": "Spam."}, follow=True)
        assert "your report is with the archive" in response.content.decode()

    def test_a_guest_reports_with_an_email_address(self, client, work):
        page = client.get(f"/works/{work.pk}/report").content.decode()
        assert "Your email address" in page
        client.post(
            f"/works/{work.pk}/report", {"reason": "Spam.", "reporter_email": "me@example.com"}
        )
        report = Report.objects.get()
        assert report.reporter is None
        assert report.reporter_email == "me@example.com"

    def test_a_guest_without_an_email_is_asked_for_one_and_keeps_the_text(self, client, work):
        response = client.post(f"/works/{work.pk}/report", {"reason": "Typed with care."})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Give an email address, so the admins can answer you." in page
        assert "Typed with care." in page
        assert not Report.objects.exists()

    def test_a_bad_email_is_answered(self, client, work):
        response = client.post(
            f"/works/{work.pk}/report", {"reason": "Spam.", "reporter_email": "not-an-address"}
        )
        assert "That does not look like an email address." in response.content.decode()
        assert 'value="not-an-address"' in response.content.decode()

    def test_an_empty_reason_is_answered(self, reader_client, work):
        response = reader_client.post(f"/works/{work.pk}/report", {"reason": "   "})
        assert "Tell the admins what is wrong, please." in response.content.decode()
        assert not Report.objects.exists()

    def test_a_reason_too_long_is_answered_and_kept_whole(self, reader_client, work):
        text = "x" * (REPORT_MAX + 1)
        response = reader_client.post(f"/works/{work.pk}/report", {"reason": text})
        page = response.content.decode()
        assert "This is too long: at most 5,000 characters" in page
        assert text in page
        assert not Report.objects.exists()

    def test_html_in_the_reason_is_shown_as_text(self, reader_client, work):
        response = reader_client.post(
            f"/works/{work.pk}/report", {"reason": "<script>alert(1)</script>" + "y" * REPORT_MAX}
        )
        page = response.content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_a_filled_honeypot_is_refused(self, client, work):
        response = client.post(
            f"/works/{work.pk}/report",
            {"reason": "Buy now", "reporter_email": "bot@example.com", "website": "http://spam"},
        )
        assert "looks automated" in response.content.decode()
        assert not Report.objects.exists()

    def test_a_work_the_reader_cannot_see_cannot_be_reported(self, reader_client, author):
        draft = make_work(author, post=False)
        assert reader_client.get(f"/works/{draft.pk}/report").status_code == 404
        assert reader_client.post(f"/works/{draft.pk}/report", {"reason": "x"}).status_code == 404

    def test_a_restricted_work_is_404_for_guests(self, client, author):
        restricted = make_work(author, restricted=True)
        assert client.get(f"/works/{restricted.pk}/report").status_code == 404

    def test_the_work_page_links_to_the_report_page(self, client, reader_client, work):
        url = f'href="/works/{work.pk}/report"'
        assert url in reader_client.get(work.get_absolute_url()).content.decode()
        client.logout()
        assert url in client.get(work.get_absolute_url()).content.decode()

    def test_creators_get_no_report_link_on_their_own_work(self, client, author, work):
        client.force_login(author)
        assert "/report" not in client.get(work.get_absolute_url()).content.decode()


class TestReportingCommentsAndUsers:
    def test_a_comment_is_reported_with_its_work(self, reader_client, reader, author, work):
        comment = make_comment(work, author)
        reader_client.post(f"/comments/{comment.pk}/report", {"reason": "Rude."})
        report = Report.objects.get()
        assert report.comment == comment
        assert report.work == work
        assert report.subject == f"Comment {comment.pk} on Work {work.pk}"

    def test_a_comment_awaiting_approval_cannot_be_reported_by_others(
        self, reader_client, author, work
    ):
        queued = make_comment(work, make_user("writer"), state=CommentState.QUEUED)
        assert reader_client.get(f"/comments/{queued.pk}/report").status_code == 404

    def test_a_deleted_comment_is_404(self, reader_client, author, work):
        deleted = make_comment(work, author, state=CommentState.DELETED)
        assert reader_client.get(f"/comments/{deleted.pk}/report").status_code == 404

    def test_a_comment_on_a_work_the_reader_cannot_see_is_404(self, client, author):
        restricted = make_work(author, restricted=True)
        comment = make_comment(restricted, author)
        assert client.get(f"/comments/{comment.pk}/report").status_code == 404

    def test_a_user_is_reported(self, reader_client, author):
        reader_client.post("/users/AUTHOR/report", {"reason": "Harassment in comments."})
        report = Report.objects.get()
        assert report.reported_user == author
        assert report.subject == "User author"

    def test_reporting_yourself_is_refused(self, reader_client):
        response = reader_client.post("/users/reader/report", {"reason": "Hm."})
        assert "You cannot report yourself." in response.content.decode()
        assert not Report.objects.exists()

    def test_an_unknown_user_is_404(self, client):
        assert client.get("/users/nobody/report").status_code == 404


class TestRateLimits:
    def test_a_member_may_send_ten_reports_an_hour(self, reader, work):
        for n in range(REPORTS_PER_HOUR):
            report_file(reporter=reader, work=work, reason=f"Report {n}")
        with pytest.raises(ValidationError, match="reports in the last hour"):
            report_file(reporter=reader, work=work, reason="One too many")
        assert Report.objects.count() == REPORTS_PER_HOUR

    def test_reports_older_than_an_hour_do_not_count(self, reader, work):
        for n in range(REPORTS_PER_HOUR):
            report_file(reporter=reader, work=work, reason=f"Report {n}")
        Report.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
        report_file(reporter=reader, work=work, reason="A new hour")

    def test_the_limit_keeps_the_typed_text_on_the_page(self, reader_client, reader, work):
        for n in range(REPORTS_PER_HOUR):
            report_file(reporter=reader, work=work, reason=f"Report {n}")
        response = reader_client.post(f"/works/{work.pk}/report", {"reason": "Kept text."})
        page = response.content.decode()
        assert "please wait a while" in page
        assert "Kept text." in page

    def test_a_guest_is_limited_by_address_whatever_the_email(self, client, work):
        for n in range(REPORTS_PER_HOUR):
            client.post(
                f"/works/{work.pk}/report",
                {"reason": f"Report {n}", "reporter_email": f"guest{n}@example.com"},
            )
        assert Report.objects.count() == REPORTS_PER_HOUR
        response = client.post(
            f"/works/{work.pk}/report",
            {"reason": "Another", "reporter_email": "fresh@example.com"},
        )
        assert "reports in the last hour" in response.content.decode()
        assert Report.objects.count() == REPORTS_PER_HOUR

    def test_a_guest_is_limited_by_email(self, work):
        for n in range(REPORTS_PER_HOUR):
            report_file(
                reporter_email="same@example.com", work=work, reason=f"{n}", address=f"10.0.0.{n}"
            )
        with pytest.raises(ValidationError):
            report_file(
                reporter_email="SAME@example.com", work=work, reason="x", address="10.0.1.1"
            )


class TestService:
    def test_one_thing_is_reported_at_a_time(self, reader, author, work):
        with pytest.raises(ValidationError, match="one work, one comment or one user"):
            report_file(reporter=reader, work=work, reported_user=author, reason="Both")
        with pytest.raises(ValidationError):
            report_file(reporter=reader, reason="Nothing")

    def test_a_member_reports_without_an_email(self, reader, work):
        report = report_file(reporter=reader, reporter_email="x@example.com", work=work, reason="r")
        assert report.reporter_email == ""


class TestAdminQueue:
    @pytest.fixture
    def reports(self, reader, author, work):
        first = report_file(reporter=reader, work=work, reason="First")
        second = report_file(reporter=reader, reported_user=author, reason="Second")
        done = report_file(reporter_email="g@example.com", work=work, reason="Old")
        Report.objects.filter(pk=done.pk).update(state=ReportState.RESOLVED)
        return first, second, done

    def test_the_queue_shows_open_reports(self, admin_client, reports):
        first, second, done = reports
        page = admin_client.get("/admin/community/report/").content.decode()
        assert f"Work {first.work_id}: A Tale" in page
        assert "User author" in page
        assert f"/admin/community/report/{done.pk}/change/" not in page
        every = admin_client.get("/admin/community/report/?state=all").content.decode()
        assert f"/admin/community/report/{done.pk}/change/" in every
        assert every.index(f"/report/{first.pk}/change/") < every.index(f"/report/{done.pk}/")

    def test_mark_resolved_records_who_and_when(self, admin_client, reports, django_user_model):
        first, second, _ = reports
        response = admin_client.post(
            "/admin/community/report/",
            {"action": "mark_resolved", "_selected_action": [first.pk]},
            follow=True,
        )
        assert "1 report marked resolved." in response.content.decode()
        first.refresh_from_db()
        assert first.state == ReportState.RESOLVED
        assert first.resolved_at is not None
        assert first.resolved_by == django_user_model.objects.get(username="admin")
        second.refresh_from_db()
        assert second.state == ReportState.OPEN

    def test_dismiss(self, admin_client, reports):
        _, second, _ = reports
        admin_client.post(
            "/admin/community/report/", {"action": "dismiss", "_selected_action": [second.pk]}
        )
        second.refresh_from_db()
        assert second.state == ReportState.DISMISSED
        assert second.resolved_at is not None

    def test_a_closed_report_is_not_closed_again(self, admin_client, reports):
        _, _, done = reports
        admin_client.post(
            "/admin/community/report/", {"action": "dismiss", "_selected_action": [done.pk]}
        )
        done.refresh_from_db()
        assert done.state == ReportState.RESOLVED

    def test_the_report_page_links_to_what_was_reported(self, admin_client, reports, work):
        first, _, _ = reports
        page = admin_client.get(f"/admin/community/report/{first.pk}/change/").content.decode()
        assert f'href="/works/{work.pk}/"' in page
        assert f"/admin/works/work/{work.pk}/change/" in page

    def test_closing_by_hand_records_who_and_when(self, admin_client, reports):
        first, _, _ = reports
        admin_client.post(
            f"/admin/community/report/{first.pk}/change/", {"state": ReportState.DISMISSED}
        )
        first.refresh_from_db()
        assert first.state == ReportState.DISMISSED
        assert first.resolved_by is not None

    def test_every_community_model_has_an_admin_list(self, admin_client, author, work, reader):
        make_comment(work, reader)
        for model in (
            "comment",
            "kudos",
            "bookmark",
            "subscription",
            "notification",
            "reading",
            "report",
        ):
            assert admin_client.get(f"/admin/community/{model}/").status_code == 200, model

    def test_deleting_a_comment_in_the_admin_recounts_the_work(self, admin_client, reader, work):
        comment = make_comment(work, reader)
        Work.objects.filter(pk=work.pk).update(comment_count=1)
        admin_client.post(f"/admin/community/comment/{comment.pk}/delete/", {"post": "yes"})
        assert not Comment.objects.exists()
        assert Work.objects.get(pk=work.pk).comment_count == 0
