"""Comments, the service's rules: who may comment where (policy × guest or
member × blocked × creator), moderation, spam defences, edit, delete, hide,
freeze, the inbox, and the work's comment count staying equal to the rows."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from duster.accounts.blocks import block_user
from duster.accounts.models import Mute
from duster.community.choices import CommentState, NotificationKind
from duster.community.models import Comment, Notification
from duster.community.services.comments import (
    CommentRateLimited,
    comment_approve,
    comment_delete,
    comment_edit,
    comment_freeze,
    comment_hide,
    comment_post,
    comment_unfreeze,
    comment_unhide,
)
from duster.community.services.counts import COUNTED_COMMENTS
from duster.testing.factories import make_user, make_work
from duster.works.models import Work

pytestmark = pytest.mark.django_db

GUEST: dict[str, Any] = {
    "guest_name": "Wren",
    "guest_email": "wren@example.com",
    "address": "203.0.113.9",
}


def open_work(author, **fields):
    return make_work(author, title="Open", comment_policy="anyone", **fields)


def comment_count(work) -> int:
    return Work.objects.get(pk=work.pk).comment_count


def published_rows(work) -> int:
    return Comment.objects.filter(COUNTED_COMMENTS, work=work).count()


# --- Who may comment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "who", "allowed"),
    [
        ("registered", "guest", False),
        ("registered", "member", True),
        ("registered", "creator", True),
        ("registered", "blocked", False),
        ("anyone", "guest", True),
        ("anyone", "member", True),
        ("anyone", "creator", True),
        ("anyone", "blocked", False),
        ("nobody", "guest", False),
        ("nobody", "member", False),
        ("nobody", "creator", False),
        ("nobody", "blocked", False),
    ],
)
def test_permission_matrix(author, reader, policy, who, allowed):
    work = make_work(author, comment_policy=policy)
    if who == "blocked":
        block_user(user=author, other=reader)
    kwargs = {"user": author} if who == "creator" else GUEST if who == "guest" else {"user": reader}
    if allowed:
        comment = comment_post(work=work, body="Lovely.", **kwargs)
        assert comment.state == CommentState.PUBLISHED
        assert comment.by_creator == (who == "creator")
        assert comment.thread_id == comment.pk
    else:
        with pytest.raises(ValidationError) as refused:
            comment_post(work=work, body="Lovely.", **kwargs)
        expected = {
            "nobody": "Comments are turned off for this work.",
            "guest": "You must log in (or register) to comment.",
            "blocked": "blocked you",
        }
        key = "nobody" if policy == "nobody" else who
        assert expected[key] in " ".join(refused.value.messages)
        assert not Comment.objects.exists()


def test_blocked_user_cannot_reply_to_the_blocker(author, reader, work):
    other = make_user("other")
    top = comment_post(work=work, user=other, body="First!")
    block_user(user=other, other=reader)
    with pytest.raises(ValidationError, match="its writer has blocked you"):
        comment_post(work=work, parent=top, user=reader, body="Hi.")
    # Others may still reply, and the reader may comment on the work.
    comment_post(work=work, parent=top, user=author, body="Thanks!")
    comment_post(work=work, user=reader, body="A thread of my own.")


def test_no_comment_on_a_draft_or_a_restricted_work_for_guests(author, reader):
    draft = make_work(author, post=False, comment_policy="anyone")
    restricted = open_work(author, restricted=True)
    with pytest.raises(ValidationError, match="not posted"):
        comment_post(work=draft, user=author, body="Note to self.")
    with pytest.raises(ValidationError, match="not posted"):
        comment_post(work=restricted, body="Hello.", **GUEST)
    comment_post(work=restricted, user=reader, body="Members may.")


def test_parent_must_be_on_the_same_work(author, reader, work):
    elsewhere = comment_post(work=make_work(author), user=reader, body="Elsewhere.")
    with pytest.raises(ValidationError, match="another work"):
        comment_post(work=work, parent=elsewhere, user=reader, body="Hm.")


def test_reply_joins_its_thread_and_chapter(author, reader):
    work = make_work(author, chapters=2, expected_chapters=2)
    second = work.chapters.get(position=2)
    top = comment_post(work=work, chapter=second, user=reader, body="Chapter two!")
    reply = comment_post(work=work, parent=top, user=author, body="Thank you.")
    deeper = comment_post(work=work, parent=reply, user=reader, body="You're welcome.")
    assert (reply.thread_id, deeper.thread_id) == (top.pk, top.pk)
    assert deeper.chapter_id == second.pk
    assert reply.by_creator and not deeper.by_creator


def test_member_comments_as_one_of_their_own_pseuds(author, reader, work):
    from duster.accounts.models import Pseud

    own = Pseud.objects.create(user=reader, name="Moth")
    comment = comment_post(work=work, user=reader, pseud=own, body="As Moth.")
    assert comment.pseud_id == own.pk
    with pytest.raises(ValidationError) as refused:
        comment_post(work=work, user=reader, pseud=author.default_pseud, body="As the author?")
    assert "pseud" in refused.value.error_dict


# --- Bad input ------------------------------------------------------------------------------


def test_empty_and_too_long_comments_are_refused_with_a_message(reader, work):
    with pytest.raises(ValidationError) as empty:
        comment_post(work=work, user=reader, body="   \n ")
    assert empty.value.message_dict["body"] == ["Write your comment before posting it."]
    with pytest.raises(ValidationError) as long:
        comment_post(work=work, user=reader, body="x" * 10_001)
    assert "at most 10,000 characters" in long.value.message_dict["body"][0]
    comment_post(work=work, user=reader, body="x" * 10_000)
    assert Comment.objects.count() == 1


def test_html_is_sanitized_whoever_saves(reader, work):
    comment = comment_post(work=work, user=reader, body="<script>alert(1)</script>Nice <b>work</b>")
    assert "<script>" not in comment.body and "Nice" in comment.body
    assert comment.body_source.startswith("<script>")  # what they typed, kept
    # A caller that skips the service still gets sanitized HTML.
    raw = Comment(work=work, user=reader, created_at=comment.created_at, text_format="html")
    raw.rich_text_set("body", '<p onclick="x()">Hi<script>bad()</script></p>')
    raw.save()
    assert "script" not in raw.body and "onclick" not in raw.body


# --- Guests and spam ------------------------------------------------------------------------


def test_guest_needs_a_name_and_an_email(author):
    work = open_work(author)
    with pytest.raises(ValidationError) as refused:
        comment_post(work=work, body="Hi", guest_name=" ", guest_email="nope", address="1.2.3.4")
    assert set(refused.value.error_dict) == {"guest_name", "guest_email"}


def test_honeypot_filled_is_refused_clearly(author):
    work = open_work(author)
    with pytest.raises(ValidationError, match="spam programs"):
        comment_post(work=work, body="Buy now", honeypot="http://spam.example", **GUEST)
    assert not Comment.objects.exists()


def test_guest_links_are_capped(author, settings):
    settings.COMMENT_LINKS_MAX = 2
    work = open_work(author)
    body = "see http://a.example and https://b.example and www.c.example"
    with pytest.raises(ValidationError, match="at most 2 links"):
        comment_post(work=work, body=body, **GUEST)
    comment_post(work=work, body="just http://a.example", **GUEST)


def test_guest_rate_limit_per_address_says_how_long_to_wait(author, settings):
    settings.COMMENT_GUEST_PER_HOUR = 2
    work = open_work(author)
    for n in range(2):
        comment_post(work=work, body=f"Comment {n}", **GUEST)
    with pytest.raises(CommentRateLimited) as refused:
        comment_post(work=work, body="One too many", **GUEST)
    assert "Please wait 60 minutes" in refused.value.messages[0]
    # Another address is not held back.
    comment_post(work=work, body="From elsewhere", **{**GUEST, "address": "198.51.100.7"})
    assert Comment.objects.exclude(address_key="").values("address_key").distinct().count() == 2
    first = Comment.objects.first()
    assert first is not None
    assert "203.0.113.9" not in first.address_key  # a digest, not the address


def test_member_rate_limit_per_minute(reader, work, settings):
    settings.COMMENT_MEMBER_PER_MINUTE = 3
    for n in range(3):
        comment_post(work=work, user=reader, body=f"Comment {n}")
    with pytest.raises(CommentRateLimited, match="Please wait 1 minute"):
        comment_post(work=work, user=reader, body="Too fast")
    earliest = Comment.objects.order_by("pk").first()
    assert earliest is not None
    later = earliest.created_at + dt.timedelta(minutes=1)
    Comment.objects.update(created_at=later - dt.timedelta(minutes=2))
    comment_post(work=work, user=reader, body="After a while")


def test_member_rate_limit_waits_for_the_oldest_comment_that_counts(reader, work, settings):
    # Five comments in the last minute against a limit of three: the wait
    # ends when the third latest leaves the window, not the oldest.
    for n in range(5):
        comment_post(work=work, user=reader, body=f"Comment {n}")
    settings.COMMENT_MEMBER_PER_MINUTE = 3
    now = Comment.objects.latest("pk").created_at
    for seconds, comment in zip((50, 40, 20, 10, 5), Comment.objects.order_by("pk"), strict=True):
        Comment.objects.filter(pk=comment.pk).update(created_at=now - dt.timedelta(seconds=seconds))
    with pytest.raises(CommentRateLimited) as refused:
        comment_post(work=work, user=reader, body="Too fast")
    assert dt.timedelta(seconds=35) < refused.value.wait <= dt.timedelta(seconds=40)


# --- Moderation -----------------------------------------------------------------------------


def test_moderated_work_queues_guests_and_members_but_not_creators(author, reader):
    work = open_work(author, moderated_comments=True)
    queued = comment_post(work=work, body="Guest words", **GUEST)
    member = comment_post(work=work, user=reader, body="Member words")
    own = comment_post(work=work, user=author, body="Author's note")
    assert (queued.state, member.state, own.state) == ("queued", "queued", "published")
    assert comment_count(work) == 1
    kinds = list(Notification.objects.filter(user=author).values_list("kind", flat=True))
    assert kinds == [NotificationKind.QUEUED, NotificationKind.QUEUED]
    comment_approve(comment=member, user=author)
    assert comment_count(work) == 2
    assert Notification.objects.filter(user=author, kind=NotificationKind.COMMENT).count() == 1
    with pytest.raises(ValidationError, match="Only the work's creators"):
        comment_approve(comment=queued, user=reader)
    comment_approve(comment=queued, user=author)
    comment_approve(comment=queued, user=author)  # twice: counted once
    assert comment_count(work) == published_rows(work) == 3


# --- Notifications ----------------------------------------------------------------------------


def test_creator_is_notified_of_a_comment_and_the_commenter_of_the_reply(author, reader, work):
    top = comment_post(work=work, user=reader, body="Loved it.")
    note = Notification.objects.get(user=author)
    assert (note.kind, note.comment_id, note.work_id) == (NotificationKind.COMMENT, top.pk, work.pk)
    reply = comment_post(work=work, parent=top, user=author, body="Thank you!")
    note = Notification.objects.get(user=reader)
    assert (note.kind, note.comment_id) == (NotificationKind.REPLY, reply.pk)
    # Nobody hears about their own words.
    assert Notification.objects.filter(user=author).count() == 1


def test_creator_replied_to_gets_one_notification(author, reader, work):
    top = comment_post(work=work, user=author, body="Author's note.")
    comment_post(work=work, parent=top, user=reader, body="Question?")
    assert list(Notification.objects.filter(user=author).values_list("kind", flat=True)) == [
        NotificationKind.REPLY
    ]


def test_no_notification_from_a_muted_writer(author, reader, work):
    Mute.objects.create(user=author, muted_user=reader)
    comment_post(work=work, user=reader, body="Hello?")
    assert not Notification.objects.exists()


# --- Edit, delete, hide, freeze -----------------------------------------------------------------


def test_writer_edits_and_it_shows_as_edited(author, reader, work):
    comment = comment_post(work=work, user=reader, body="Frist")
    comment_edit(comment=comment, user=reader, body="First!")
    comment.refresh_from_db()
    assert comment.edited_at is not None and "First!" in comment.body
    with pytest.raises(ValidationError, match="Only its writer"):
        comment_edit(comment=comment, user=author, body="Rewritten")
    with pytest.raises(ValidationError) as too_long:
        comment_edit(comment=comment, user=reader, body="y" * 10_001)
    assert "body" in too_long.value.error_dict


def test_deleting_keeps_a_placeholder_above_replies_and_removes_a_lone_comment(
    author, reader, work
):
    top = comment_post(work=work, user=reader, body="Top")
    reply = comment_post(work=work, parent=top, user=author, body="Reply")
    lone = comment_post(work=work, user=reader, body="Alone")
    assert comment_count(work) == 3
    assert comment_delete(comment=top, user=reader) is False
    top.refresh_from_db()
    assert top.state == CommentState.DELETED and top.body == "" and top.body_source == ""
    assert comment_delete(comment=lone, user=author) is True  # a creator may delete too
    assert not Comment.objects.filter(pk=lone.pk).exists()
    assert comment_count(work) == published_rows(work) == 1
    # The last reply gone, the placeholder has nothing to hold and goes too.
    comment_delete(comment=reply, user=author)
    assert not Comment.objects.exists()
    assert comment_count(work) == 0


def test_others_cannot_delete_hide_or_freeze(author, reader, work):
    other = make_user("other")
    comment = comment_post(work=work, user=reader, body="Mine")
    for action in (comment_delete, comment_hide, comment_freeze):
        with pytest.raises(ValidationError):
            action(comment=comment, user=other)
    with pytest.raises(ValidationError):
        comment_hide(comment=comment, user=reader)  # the writer is no creator


def test_hide_and_unhide_follow_the_count(author, reader, work):
    comment = comment_post(work=work, user=reader, body="Hm")
    comment_hide(comment=comment, user=author)
    assert comment_count(work) == 0
    comment_hide(comment=comment, user=author)
    assert comment_count(work) == 0
    comment_unhide(comment=comment, user=author)
    assert comment_count(work) == published_rows(work) == 1


def test_frozen_thread_takes_no_replies(author, reader, work):
    top = comment_post(work=work, user=reader, body="Top")
    reply = comment_post(work=work, parent=top, user=author, body="Reply")
    comment_freeze(comment=top, user=author)
    for parent in (top, reply):
        with pytest.raises(ValidationError, match="frozen"):
            comment_post(work=work, parent=parent, user=reader, body="More")
    comment_post(work=work, user=reader, body="A new thread is fine.")
    with pytest.raises(ValidationError, match="further up"):
        comment_unfreeze(comment=reply, user=author)
    comment_unfreeze(comment=top, user=author)
    comment_post(work=work, parent=reply, user=reader, body="Open again")


def test_no_reply_to_a_deleted_comment(author, reader, work):
    top = comment_post(work=work, user=reader, body="Top")
    comment_post(work=work, parent=top, user=author, body="Reply")
    comment_delete(comment=top, user=reader)
    with pytest.raises(ValidationError, match="was deleted"):
        comment_post(work=work, parent=top, user=author, body="Late")


def test_count_equals_published_rows_after_a_mix_of_actions(author, reader, settings):
    settings.COMMENT_MEMBER_PER_MINUTE = 100
    work = open_work(author)
    comments = [comment_post(work=work, user=reader, body=f"C{n}") for n in range(6)]
    replies = [comment_post(work=work, parent=c, user=author, body="R") for c in comments[:3]]
    guest = comment_post(work=work, body="Guest", **GUEST)
    comment_hide(comment=comments[0], user=author)
    comment_delete(comment=comments[1], user=reader)
    comment_delete(comment=comments[4], user=author)
    comment_delete(comment=replies[2], user=author)
    comment_unhide(comment=comments[0], user=author)
    comment_hide(comment=guest, user=author)
    comment_edit(comment=comments[5], user=reader, body="Edited")
    assert comment_count(work) == published_rows(work) == 6
