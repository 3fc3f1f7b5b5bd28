"""The inbox: `notify` files one Notification per recipient; mail follows
each recipient's `notification_email` choice (see deliver_* below)."""

from collections.abc import Iterable

from django.utils import timezone

from duster.accounts.models import User
from duster.community.models import Notification


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
    transaction that made it happen."""
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
    return Notification.objects.bulk_create(rows)
