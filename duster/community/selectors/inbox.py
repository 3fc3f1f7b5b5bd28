"""Reads for the inbox and the subscriptions list: a fixed number of queries
per page, whatever the number of notifications or subscriptions."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Prefetch
from django.urls import reverse

from duster.community.mail import line_of, target_of
from duster.community.models import Notification, Subscription
from duster.community.services.notifications import UNREAD_SECONDS, unread_key
from duster.works.models import Work, byline_credits

UNREAD_SHOWN_MAX = 99  # "99+" beyond: the count stops there


def notifications_for_inbox(user):
    """`user`'s notifications, newest first, with what their lines name."""
    return (
        Notification.objects.filter(user=user)
        .select_related(
            "work", "chapter", "series", "comment__pseud", "comment__user", "comment__work"
        )
        .prefetch_related(
            Prefetch(
                "work__creatorships",
                queryset=byline_credits(),
                to_attr="credits",
            )
        )
        .order_by("-created_at", "-pk")
    )


@dataclass
class InboxItem:
    notification: Notification
    line: str
    url: str | None  # None: about a work the member may no longer see

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def _visible_work_ids(user, work_ids) -> set[int]:
    if not work_ids:
        return set()
    return set(Work.objects.visible_to(user).filter(pk__in=work_ids).values_list("pk", flat=True))


def notification_path(notification: Notification) -> str:
    view, args, fragment = target_of(notification)
    return reverse(view, args=args) + (f"#{fragment}" if fragment else "")


def inbox_items(user, notifications) -> list[InboxItem]:
    """One page of notifications as the inbox shows them (one query for
    which of their works the member may still see)."""
    notifications = list(notifications)
    visible = _visible_work_ids(user, {n.work_id for n in notifications if n.work_id})
    items = []
    for notification in notifications:
        shown = notification.work_id is None or notification.work_id in visible
        items.append(
            InboxItem(
                notification=notification,
                line=line_of(notification),
                url=notification_path(notification) if shown else None,
            )
        )
    return items


def unread_count(user) -> int:
    """How many of `user`'s notifications are unread (up to
    UNREAD_SHOWN_MAX + 1), from the cache when it holds it: every page's
    header shows it, and a new notification or a read one drops it."""
    key = unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        unread = Notification.objects.filter(user=user, read_at__isnull=True)
        count = unread[: UNREAD_SHOWN_MAX + 1].count()
        cache.set(key, count, UNREAD_SECONDS)
    return count


def subscriptions_of(user):
    """`user`'s subscriptions, the newest first, with their targets' names."""
    return (
        Subscription.objects.filter(user=user)
        .select_related("work", "series", "creator")
        .only(
            "id",
            "created_at",
            "work__id",
            "work__title",
            "work__state",
            "work__restricted",
            "series__id",
            "series__title",
            "creator__id",
            "creator__username",
        )
        .order_by("-created_at", "-pk")
    )


def subscription_rows(user, subscriptions) -> list[dict]:
    """One page of subscriptions for the list: each target's name, its link
    (None for a work the member may no longer see) and how to unsubscribe."""
    subscriptions = list(subscriptions)
    visible = _visible_work_ids(user, {s.work_id for s in subscriptions if s.work_id})
    rows = []
    for subscription in subscriptions:
        if subscription.work_id:
            work = subscription.work
            rows.append(
                {
                    "what": "Work",
                    "name": work.title,
                    "url": work.get_absolute_url() if work.pk in visible else None,
                    "action": reverse("work_unsubscribe", args=[work.pk]),
                }
            )
        elif subscription.series_id:
            series = subscription.series
            rows.append(
                {
                    "what": "Series",
                    "name": series.title,
                    "url": series.get_absolute_url(),
                    "action": reverse("series_unsubscribe", args=[series.pk]),
                }
            )
        else:
            creator = subscription.creator
            rows.append(
                {
                    "what": "Creator",
                    "name": creator.username,
                    "url": creator.get_absolute_url(),
                    "action": reverse("user_unsubscribe", args=[creator.username]),
                }
            )
    return rows


def is_subscribed(user, *, work=None, series=None, creator=None) -> bool:
    target = {k: v for k, v in {"work": work, "series": series, "creator": creator}.items() if v}
    return Subscription.objects.filter(user=user, **target).exists()
