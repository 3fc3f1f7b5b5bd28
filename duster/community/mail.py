"""Notification mail: what each kind of notification says, the daily digest,
and the signed unsubscribe link every one of them carries.

Links are built on settings.SITE_URL: mail goes out from a task, with no
request to read the archive's address from.

Unsubscribing (RFC 8058): each mail names a `/unsubscribe/<token>` URL in its
body and in `List-Unsubscribe`, with `List-Unsubscribe-Post:
List-Unsubscribe=One-Click`, so a mail program's "Unsubscribe" button works
without a login. The token is signed (django.core.signing, a salt per
purpose) and says what it stops: a subscription mail's token that
subscription (by its target: a work, a series or a creator), a comment
mail's token (and a digest's) every notification mail to that member.
"""

import datetime as dt
import email.policy
import html
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from duster.accounts.models import User
from duster.community.choices import NotificationKind
from duster.community.models import Notification, Subscription
from duster.works.models import Creatorship

# How long an unsubscribe link works: long enough for a mail read weeks later.
UNSUBSCRIBE_MAX_AGE = dt.timedelta(days=90)
SUBSCRIPTION_SALT = "duster.community.unsubscribe.subscription"
EMAIL_SALT = "duster.community.unsubscribe.email"
SUBSCRIPTION_KINDS = {
    NotificationKind.CHAPTER,
    NotificationKind.SERIES_PART,
    NotificationKind.CREATOR_WORK,
}
EXCERPT_CHARS = 600  # of a comment, in its mail
DIGEST_LISTED = 50  # notifications a digest lists one by one


def link(view: str, *args, fragment: str = "") -> str:
    """An absolute link for mail. reverse() adds the script prefix only inside
    a request, so it is cut off here to work the same in a task worker."""
    path = reverse(view, args=args)[len(get_script_prefix()) :]
    return settings.SITE_URL.rstrip("/") + "/" + path + (f"#{fragment}" if fragment else "")


# --- Unsubscribe tokens -----------------------------------------------------------------------


@dataclass(frozen=True)
class Unsubscribe:
    """What a valid token stops: one subscription of `user_id` (its target in
    `target`, e.g. {"work": 12}), or, `target` None, all their mail."""

    user_id: int
    target: dict[str, int] | None

    @property
    def is_subscription(self) -> bool:
        return self.target is not None


def subscription_token(*, user_id: int, target: dict[str, int]) -> str:
    return signing.dumps({"u": user_id, **target}, salt=SUBSCRIPTION_SALT, compress=True)


def email_token(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=EMAIL_SALT, compress=True)


def unsubscribe_read(token: str) -> Unsubscribe:
    """What `token` stops; raises signing.SignatureExpired for an old one and
    signing.BadSignature for anything else not made here."""
    max_age = UNSUBSCRIBE_MAX_AGE
    try:
        data = signing.loads(token, salt=SUBSCRIPTION_SALT, max_age=max_age)
        target = {k: data[k] for k in ("work", "series", "creator") if k in data}
        if len(target) != 1:
            raise signing.BadSignature("no target")
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=max_age)
        target = None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise signing.BadSignature("no user")
    if target is not None and not all(isinstance(v, int) for v in target.values()):
        raise signing.BadSignature("bad target")
    return Unsubscribe(user_id=data["u"], target=target)


def _subscription_target(notification: Notification) -> dict[str, int] | None:
    """The subscription that brought this notification, as a token target."""
    if notification.kind == NotificationKind.CHAPTER and notification.work_id:
        return {"work": notification.work_id}
    if notification.kind == NotificationKind.SERIES_PART and notification.series_id:
        return {"series": notification.series_id}
    if notification.kind == NotificationKind.CREATOR_WORK and notification.work_id:
        creators = Creatorship.objects.filter(work_id=notification.work_id, approved=True)
        followed = (
            Subscription.objects.filter(
                user_id=notification.user_id, creator__pseuds__creatorships__in=creators
            )
            .values_list("creator_id", flat=True)
            .first()
        )
        if followed is not None:
            return {"creator": followed}
    return None


def unsubscribe_url_for(notification: Notification) -> str:
    target = _subscription_target(notification)
    if target is None:
        token = email_token(user_id=notification.user_id)
    else:
        token = subscription_token(user_id=notification.user_id, target=target)
    return link("unsubscribe", token)


# --- What a notification says -----------------------------------------------------------------


def _byline(work) -> str:
    if work.anonymous:
        return "Anonymous"
    return ", ".join(pseud.name for pseud in work.credited_pseuds()) or "Anonymous"


def commenter_name(comment) -> str:
    """Who wrote a comment, as its mail names them: never the creator of an
    anonymous work."""
    if comment.by_creator and comment.work.anonymous:
        return "The creator (anonymous)"
    if comment.pseud_id:
        return comment.pseud.name
    if comment.user_id:
        return comment.user.username
    return comment.guest_name or "A guest"


def comment_excerpt(comment) -> str:
    text = html.unescape(strip_tags(comment.body or ""))
    return Truncator(" ".join(text.split())).chars(EXCERPT_CHARS)


def _series_title(notification: Notification) -> str:
    return notification.series.title if notification.series else "a series"


def subject_of(notification: Notification) -> str:
    kind = notification.kind
    work = notification.work
    if work is None:  # every kind names a work; a row made otherwise says its kind
        return notification.get_kind_display()
    if kind == NotificationKind.COMMENT:
        return f"New comment on {work.title}"
    if kind == NotificationKind.REPLY:
        return f"Reply to your comment on {work.title}"
    if kind == NotificationKind.QUEUED:
        return f"A comment on {work.title} awaits your approval"
    if kind == NotificationKind.CHAPTER:
        return f"New chapter of {work.title}"
    if kind == NotificationKind.CREATOR_WORK:
        return f"New work by {_byline(work)}: {work.title}"
    if kind == NotificationKind.SERIES_PART:
        return f"New part of {_series_title(notification)}: {work.title}"
    return notification.get_kind_display()


def target_of(notification: Notification) -> tuple[str, tuple, str]:
    """Where the notification leads (the comment, or the creators' queue of
    comments awaiting approval, the chapter, the work, the series), as a view
    name, its arguments and a fragment."""
    if notification.comment_id:
        if notification.kind == NotificationKind.QUEUED:
            return "comment_queue", (notification.work_id,), f"comment-{notification.comment_id}"
        # The comment's permanent address finds its page among the comments.
        return "comment_detail", (notification.comment_id,), ""
    if notification.chapter_id:
        return "chapter_detail", (notification.work_id, notification.chapter_id), ""
    if notification.work_id:
        return "work_detail", (notification.work_id,), ""
    if notification.series_id:
        return "series_detail", (notification.series_id,), ""
    return "inbox", (), ""


def url_of(notification: Notification) -> str:
    view, args, fragment = target_of(notification)
    return link(view, *args, fragment=fragment)


def line_of(notification: Notification) -> str:
    """One line saying what happened, for the mail and the digest."""
    kind = notification.kind
    work = notification.work
    if work is None:
        return notification.get_kind_display()
    if kind in (NotificationKind.COMMENT, NotificationKind.REPLY, NotificationKind.QUEUED):
        who = commenter_name(notification.comment) if notification.comment_id else "Someone"
        place = f"“{work.title}”"
        if notification.chapter is not None and work.chapter_count > 1:
            place += f" ({notification.chapter.display_title})"
        if kind == NotificationKind.REPLY:
            return f"{who} replied to your comment on {place}."
        if kind == NotificationKind.QUEUED:
            return f"{who} left a comment on {place} that awaits your approval."
        return f"{who} commented on {place}."
    if kind == NotificationKind.CHAPTER:
        chapter = notification.chapter
        title = chapter.display_title if chapter else "A new chapter"
        return f"{title} of “{work.title}” is posted."
    if kind == NotificationKind.CREATOR_WORK:
        return f"{_byline(work)} posted a new work: “{work.title}”."
    if kind == NotificationKind.SERIES_PART:
        return f"“{work.title}” is a new part of the series “{_series_title(notification)}”."
    return notification.get_kind_display()


class NotificationEmail(EmailMessage):
    """Headers kept whole on one line (up to RFC 5322's 998 characters):
    Python folds a long URL with no space in it into encoded words, and mail
    programs would not read that back as a List-Unsubscribe URL."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def _message(user: User, subject: str, body: str, unsubscribe_url: str) -> EmailMessage:
    return NotificationEmail(
        subject=" ".join(subject.split()),
        body=body,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def notification_message(notification: Notification) -> EmailMessage:
    """The mail for one notification (its user, work, chapter, series and
    comment loaded by the caller)."""
    unsubscribe_url = unsubscribe_url_for(notification)
    context = {
        "site_name": settings.SITE_NAME,
        "user": notification.user,
        "line": line_of(notification),
        "excerpt": comment_excerpt(notification.comment) if notification.comment_id else "",
        "url": url_of(notification),
        "inbox_url": link("inbox"),
        "unsubscribe_url": unsubscribe_url,
        "is_subscription": notification.kind in SUBSCRIPTION_KINDS,
        "preferences_url": link("preferences"),
    }
    body = render_to_string("community/email/notification.txt", context)
    return _message(notification.user, subject_of(notification), body, unsubscribe_url)


def digest_message(user: User, notifications: list[Notification]) -> EmailMessage:
    """One mail listing a member's unmailed notifications, newest first."""
    unsubscribe_url = link("unsubscribe", email_token(user_id=user.pk))
    listed = notifications[:DIGEST_LISTED]
    context = {
        "site_name": settings.SITE_NAME,
        "user": user,
        "items": [{"line": line_of(n), "url": url_of(n)} for n in listed],
        "more": len(notifications) - len(listed),
        "inbox_url": link("inbox"),
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": link("preferences"),
    }
    count = len(notifications)
    subject = (
        f"Your {settings.SITE_NAME} digest: {count} new notification{'s' if count != 1 else ''}"
    )
    body = render_to_string("community/email/digest.txt", context)
    return _message(user, subject, body, unsubscribe_url)
