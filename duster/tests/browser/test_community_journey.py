"""Readers answering a work, in Chromium: a reader comments on a chapter,
the author is told (inbox and mail) and replies, the reader is told of the
reply, kudos and a bookmark show on the work, a subscriber gets the next
chapter by mail, and a reader the author blocked is stopped."""

import re

import pytest

from duster.community.models import Bookmark, Comment, Kudos
from duster.testing.factories import make_user, make_work
from duster.works.models import Chapter
from duster.works.services.chapters import chapter_create

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.browser


def mails_to(mailoutbox, address: str) -> list:
    return [m for m in mailoutbox if address in m.to]


def test_reader_and_author_talk_through_comments_kudos_bookmarks_and_subscriptions(
    open_page, mailoutbox
):
    author = make_user("inkwell")
    reader = make_user("reader")
    work = make_work(author, title="The Lamplighter's Daughter", expected_chapters=None)
    second = chapter_create(
        work=work, fields={"title": "The Harbour", "body": "<p>Fog comes in.</p>"}, post=True
    )

    # The reader comments on the second chapter.
    page = open_page("phone", user=reader)
    page.goto(second.get_absolute_url())
    page.locator("#add-comment textarea[name=body]").fill("The fog scene gave me chills.")
    with page.expect_navigation():
        page.locator("#add-comment").get_by_role("button", name="Comment").click()
    comment = Comment.objects.get()
    assert comment.chapter_id == second.pk
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("The fog scene")

    # The author is told, in the inbox and by mail, and replies from the inbox.
    assert any("New comment" in m.subject for m in mails_to(mailoutbox, "inkwell@example.com"))
    author_page = open_page("phone", user=author)
    author_page.goto("/account/inbox/")
    expect(author_page.get_by_text(re.compile("The Lamplighter's Daughter")).first).to_be_visible()
    author_page.goto(second.get_absolute_url())
    with author_page.expect_navigation():
        author_page.locator(f"#comment-{comment.pk}").get_by_role("link", name="Reply").click()
    author_page.get_by_label(re.compile("Comment")).fill("Thank you! More fog to come.")
    with author_page.expect_navigation():
        author_page.get_by_role("button", name="Reply").click()
    reply = Comment.objects.get(parent=comment)
    expect(author_page.locator(f"#comment-{reply.pk}")).to_contain_text("(Creator)")

    # The reader is told of the reply.
    assert any("Reply" in m.subject for m in mails_to(mailoutbox, "reader@example.com"))
    page.goto("/account/inbox/")
    expect(page.locator("main")).to_contain_text("The Lamplighter's Daughter")

    # Kudos and a bookmark show on the work.
    page.goto(work.get_absolute_url())
    with page.expect_navigation():
        page.get_by_role("button", name="Kudos ♥").click()
    expect(page.locator("#kudos")).to_contain_text("Kudos: 1")
    expect(page.locator("#kudos")).to_contain_text("reader")
    with page.expect_navigation():
        page.locator("#bookmarks").get_by_role("link", name="Bookmark").click()
    page.get_by_label(re.compile("^Notes")).fill("Read the fog chapter twice.")
    with page.expect_navigation():
        page.locator("main form").first.locator("button[type=submit]").first.click()
    assert Bookmark.objects.filter(user=reader, work=work).exists()
    page.goto(work.get_absolute_url())
    expect(page.locator("#bookmarks")).to_contain_text("Bookmarks: 1")

    # The reader subscribes; the author's next chapter arrives by mail.
    with page.expect_navigation():
        page.locator(".subscribe-work").get_by_role("button", name=re.compile("Subscribe")).click()
    before = len(mails_to(mailoutbox, "reader@example.com"))
    chapter_create(
        work=work, fields={"title": "The Lighthouse", "body": "<p>The lamp.</p>"}, post=True
    )
    new = mails_to(mailoutbox, "reader@example.com")[before:]
    assert any("New chapter" in m.subject for m in new), [m.subject for m in new]
    assert any("/unsubscribe/" in m.body for m in new)

    # The author blocks the reader: no more comments or kudos on the author's works.
    author_page.goto(reader.get_absolute_url())
    with author_page.expect_navigation():
        author_page.get_by_role("button", name="Block reader").click()
    other = make_work(author, title="Harbour Lights")
    page.goto(other.get_absolute_url())
    box = page.locator("#add-comment")
    box.locator("textarea[name=body]").fill("Still here.")
    with page.expect_navigation():
        box.get_by_role("button", name="Comment").click()
    expect(page.locator("main")).to_contain_text(re.compile("block", re.I))
    assert not Comment.objects.filter(work=other).exists()
    page.goto(other.get_absolute_url())
    with page.expect_navigation():
        page.get_by_role("button", name="Kudos ♥").click()
    expect(page.locator("main")).to_contain_text("You can't leave kudos on this work.")
    assert not Kudos.objects.filter(work=other).exists()
    assert Chapter.objects.filter(work=work).count() == 3
