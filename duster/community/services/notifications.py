"""The inbox: `notify` files one Notification per recipient; mail follows
each recipient's `notification_email` choice:

- IMMEDIATELY: once the transaction commits, a task (`send_notification_mails`)
  mails each notification on its own;
- DAILY: one digest a day of what was not mailed yet (`digests_send_due`, run
  every hour by the periodic runner and by `manage.py send_digests`). A
  member's digest goes out once their oldest unmailed notification is a day
  old, so nobody gets more than one a day and nothing waits much longer;
- NEVER: the inbox only.

An hourly job (`notification_mails_retry`) sends what a lost or failed task
left unmailed for those who want mail at once.

A notification is mailed at most once: `emailed_at` is claimed with a
conditional UPDATE … WHERE emailed_at IS NULL before the mail is sent (and
given back if sending fails), so a retried or doubled task never sends twice.
"""

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from duster.accounts.models import EmailChoice, User
from duster.community.choices import CommentState, NotificationKind
from duster.community.models import Notification
from duster.works.models import Work, byline_credits

# A digest covers at most this much of the past: notifications older than
# that (from a time the member asked for no mail) stay in the inbox only.
DIGEST_WINDOW = dt.timedelta(days=7)
DIGEST_AFTER = dt.timedelta(days=1)
RETRY_AFTER = dt.timedelta(minutes=10)
RETRY_MAX = 1000  # per run; the rest wait for the next
UNREAD_SECONDS = 300  # a cached unread count is dropped on every change; this bounds a race
COMMENT_KINDS = {NotificationKind.COMMENT, NotificationKind.REPLY}


def unread_key(user_id: int) -> str:
    return f"inbox:unread:{user_id}"


def _unread_forget(user_ids: Iterable[int]) -> None:
    keys = [unread_key(pk) for pk in set(user_ids)]
    if keys:
        transaction.on_commit(partial(cache.delete_many, keys), robust=True)


def notify(
    *,
    users: Iterable[User],
    kind: str,
    work=None,
    chapter=None,
    series=None,
    comment=None,
) -> list[Notification]:
    """Tell `users` (each once) about something; call it inside the
    transaction that made it happen. Mail to those who want it at once is
    sent by a task once that transaction commits."""
    now = timezone.now()
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                user=user,
                kind=kind,
                work=work,
                chapter=chapter,
                series=series,
                comment=comment,
                created_at=now,
            )
        )
    created = Notification.objects.bulk_create(rows)
    _unread_forget(seen)
    # A user loaded without the preference is asked again by the task.
    mail_now = [
        n.pk
        for n in created
        if n.user.__dict__.get("notification_email", EmailChoice.IMMEDIATELY)
        == EmailChoice.IMMEDIATELY
    ]
    if mail_now:
        from duster.community.tasks_mail import send_notification_mails

        # Robust: a failure to enqueue is logged, not the commenter's error
        # (the hourly retry, notification_mails_retry, sends what it left).
        transaction.on_commit(
            partial(send_notification_mails.enqueue, notification_ids=mail_now), robust=True
        )
    return created


# --- Mail --------------------------------------------------------------------------------------


def _for_mail(notifications):
    return notifications.select_related(
        "user",
        "work",
        "chapter",
        "series",
        "comment__pseud",
        "comment__user",
        "comment__work",
    ).prefetch_related(Prefetch("work__creatorships", queryset=byline_credits(), to_attr="credits"))


def _claim(pk: int, when: dt.datetime) -> bool:
    return Notification.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=when) == 1


def _still_worth_telling(notification: Notification, visible_work_ids: set[int] | None) -> bool:
    """Not about a work the member may no longer see, nor about a comment
    taken away since."""
    if notification.work_id is not None:
        if visible_work_ids is None:
            visible = Work.objects.visible_to(notification.user).filter(pk=notification.work_id)
            if not visible.exists():
                return False
        elif notification.work_id not in visible_work_ids:
            return False
    comment = notification.comment
    if comment is not None and notification.kind in COMMENT_KINDS:
        return comment.state == CommentState.PUBLISHED
    return True


def notification_mails_send(*, notification_ids: Iterable[int]) -> int:
    """Mail each of these notifications whose member wants mail at once and
    that no one mailed yet; the number sent."""
    from duster.community.mail import notification_message

    rows = _for_mail(
        Notification.objects.filter(
            pk__in=list(notification_ids),
            emailed_at__isnull=True,
            user__is_active=True,
            user__notification_email=EmailChoice.IMMEDIATELY,
        ).order_by("pk")
    )
    sent = 0
    for notification in rows:
        when = timezone.now()
        if not _claim(notification.pk, when):
            continue  # another run of this task has it
        if not _still_worth_telling(notification, None):
            continue  # claimed: no digest tells it either
        try:
            notification_message(notification).send()
        except Exception:
            # Given back, so a retry (or the digest) can send it.
            Notification.objects.filter(pk=notification.pk, emailed_at=when).update(emailed_at=None)
            raise
        sent += 1
    return sent


def notification_mails_retry(*, now: dt.datetime | None = None) -> int:
    """Mail what members who want mail at once were not sent: a task lost
    or failed. Notifications of the last day only, and not the newest few
    minutes' (their task may be on its way)."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(
        emailed_at__isnull=True,
        created_at__gte=now - DIGEST_AFTER,
        created_at__lte=now - RETRY_AFTER,
        user__notification_email=EmailChoice.IMMEDIATELY,
    ).values_list("pk", flat=True)
    return notification_mails_send(notification_ids=list(waiting[:RETRY_MAX]))


def digest_send(*, user: User, now: dt.datetime | None = None) -> int:
    """Mail `user` one digest of their unmailed notifications of the last
    DIGEST_WINDOW; the number it lists (0: no mail)."""
    from duster.community.mail import digest_message

    now = now or timezone.now()
    claim = timezone.now()
    mine = Notification.objects.filter(user=user)
    claimed = mine.filter(
        emailed_at__isnull=True, created_at__gte=now - DIGEST_WINDOW, created_at__lte=now
    ).update(emailed_at=claim)
    if not claimed:
        return 0
    rows = list(_for_mail(mine.filter(emailed_at=claim)).order_by("-created_at", "-pk"))
    work_ids = {n.work_id for n in rows if n.work_id is not None}
    visible = set(
        Work.objects.visible_to(user).filter(pk__in=work_ids).values_list("pk", flat=True)
    )
    told = [n for n in rows if _still_worth_telling(n, visible)]
    if not told:
        return 0
    try:
        digest_message(user, told).send()
    except Exception:
        mine.filter(emailed_at=claim).update(emailed_at=None)
        raise
    return len(told)


def digests_due(*, now: dt.datetime | None = None, everyone: bool = False):
    """Members on the daily digest whose oldest unmailed notification (of
    the last DIGEST_WINDOW) is a day old; `everyone`: all with any."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(
        emailed_at__isnull=True,
        created_at__gte=now - DIGEST_WINDOW,
        created_at__lte=now if everyone else now - DIGEST_AFTER,
    )
    return User.objects.filter(
        notification_email=EmailChoice.DAILY,
        is_active=True,
        pk__in=waiting.values("user_id"),
    ).order_by("pk")


def digests_send_due(*, now: dt.datetime | None = None, everyone: bool = False) -> int:
    """Send every digest that is due; the number of mails sent."""
    mails = 0
    for user in digests_due(now=now, everyone=everyone).iterator():
        if digest_send(user=user, now=now):
            mails += 1
    return mails


# --- The inbox ---------------------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark `user`'s notifications read (`ids` only, or all); the number marked."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    marked = unread.update(read_at=timezone.now())
    if marked:
        _unread_forget([user.pk])
    return marked
