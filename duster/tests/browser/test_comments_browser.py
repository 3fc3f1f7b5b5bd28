"""Comments in Chromium at phone size: a logged-out reader asked to log in
lands back on the comment box, comments, the author is told and replies;
a guest comments on an open work through the guest form."""

import re

import pytest

from duster.community.choices import NotificationKind
from duster.community.models import Comment, Notification
from duster.testing.factories import make_user, make_work

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_logs_in_from_the_comment_box_comments_and_the_author_replies(open_page):
    author = make_user("author")
    make_user("reader")
    work = make_work(author, title="Lanterns")
    page = open_page("phone")
    page.goto(f"/works/{work.pk}/")
    box = page.locator("#add-comment")
    expect(box).to_have_text("You must log in (or register) to comment.")
    with page.expect_navigation():
        box.get_by_role("link", name="log in").click()
    page.get_by_label(re.compile("Username")).fill("reader")
    page.get_by_label(re.compile("Password")).fill("a-long-password")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert page.url.endswith(f"/works/{work.pk}/#add-comment")
    page.locator("#add-comment textarea[name=body]").fill("The ferry scene!\n\nMore, please.")
    with page.expect_navigation():
        page.locator("#add-comment").get_by_role("button", name="Comment").click()
    comment = Comment.objects.get()
    assert page.url.endswith(f"#comment-{comment.pk}")
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("The ferry scene!")
    assert Notification.objects.filter(user=author, kind=NotificationKind.COMMENT).exists()

    author_page = open_page("phone", user=author)
    author_page.goto(f"/works/{work.pk}/")
    with author_page.expect_navigation():
        author_page.locator(f"#comment-{comment.pk}").get_by_role(
            "link", name="Reply"
        ).first.click()
    author_page.get_by_label(re.compile("Comment")).fill("Thank you for reading.")
    with author_page.expect_navigation():
        author_page.get_by_role("button", name="Reply").click()
    reply = Comment.objects.get(parent=comment)
    expect(author_page.locator(f"#comment-{reply.pk}")).to_contain_text("(Creator)")
    assert Notification.objects.filter(
        user__username="reader", kind=NotificationKind.REPLY
    ).exists()


def test_guest_comments_through_the_guest_form(open_page):
    work = make_work(make_user("author"), title="Open Door", comment_policy="anyone")
    page = open_page("phone")
    page.goto(f"/works/{work.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Comment as a guest").click()
    page.get_by_label(re.compile("^Name")).fill("Wren")
    page.get_by_label(re.compile("^Email")).fill("wren@example.com")
    page.get_by_label(re.compile("^Comment")).fill("Hello from a guest.")
    with page.expect_navigation():
        page.get_by_role("button", name="Comment").click()
    expect(page.locator(".comment")).to_contain_text("Wren")
    expect(page.locator(".comment")).to_contain_text("Hello from a guest.")
