"""Subscriptions to a work (new chapters), a series (new parts) and a creator
(new works), and their delivery.

The works app sends `work_posted`, `chapter_posted` and `series_work_added`
once a posting commits (duster.works.signals); the receivers here enqueue a
task that tells the subscribers in batches (`notify` with bulk_create), so a
work with thousands of subscribers costs its writer nothing. Drafts never
notify (a draft added to a series notifies its subscribers when posted), and
anonymous works never reach a creator's or a series' subscribers: that would
name their creator. Subscribers already told about the same thing are left
out, so a retried task, or a work posted into a series at once (both signals),
tells each subscriber once."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from duster.accounts.models import EmailChoice, User
from duster.community.choices import NotificationKind
from duster.community.models import Notification, Subscription
from duster.community.services.notifications import notify
from duster.works.models import Chapter, Creatorship, Series, SeriesEntry, Work, WorkState

BATCH = 500  # subscribers told per transaction


# --- Subscribing -------------------------------------------------------------------------------


def _target(*, work=None, series=None, creator=None) -> dict:
    given = {k: v for k, v in {"work": work, "series": series, "creator": creator}.items() if v}
    if len(given) != 1:
        raise ValueError("Subscribe to one work, series or creator.")
    return given


def _check_may_follow(*, user: User, work=None, series=None, creator=None) -> None:
    """Only to what the user may see, and not to themselves."""
    if work is not None:
        if not Work.objects.visible_to(user).posted().filter(pk=work.pk).exists():
            raise ValidationError("There is no such work to subscribe to.")
        if work.is_creator(user):
            raise ValidationError("This is your own work: you know when it has a new chapter.")
    elif series is not None:
        readable = Work.objects.visible_to(user).posted().filter(anonymous=False)
        if not SeriesEntry.objects.filter(series=series, work__in=readable).exists():
            raise ValidationError("There is no such series to subscribe to.")
        if series.is_creator(user):
            raise ValidationError("This is your own series: you know when it has a new part.")
    else:
        if creator.pk == user.pk:
            raise ValidationError("You can't subscribe to yourself.")
        if not creator.is_active:
            raise ValidationError("There is no such creator to subscribe to.")


def subscription_add(*, user: User, work=None, series=None, creator=None) -> Subscription:
    """Subscribe `user` to one work, series or creator (again: nothing new)."""
    target = _target(work=work, series=series, creator=creator)
    _check_may_follow(user=user, work=work, series=series, creator=creator)
    try:
        with transaction.atomic():
            subscription, _ = Subscription.objects.get_or_create(user=user, **target)
    except IntegrityError:  # subscribed in another request meanwhile
        subscription = Subscription.objects.get(user=user, **target)
    return subscription


@transaction.atomic
def subscription_remove(*, user: User, work=None, series=None, creator=None) -> bool:
    """Whether there was such a subscription to remove."""
    target = _target(work=work, series=series, creator=creator)
    deleted, _ = Subscription.objects.filter(user=user, **target).delete()
    return bool(deleted)


@transaction.atomic
def unsubscribe_apply(*, user_id: int, target: dict[str, int] | None) -> bool:
    """What a signed unsubscribe link asks (duster.community.mail): end one
    subscription (`target` e.g. {"work": 3}), or, `target` None, all
    notification mail. Whether anything changed."""
    if target is not None:
        ids = {f"{name}_id": pk for name, pk in target.items()}
        deleted, _ = Subscription.objects.filter(user_id=user_id, **ids).delete()
        return bool(deleted)
    changed = (
        User.objects.filter(pk=user_id)
        .exclude(notification_email=EmailChoice.NEVER)
        .update(notification_email=EmailChoice.NEVER)
    )
    return bool(changed)


def unsubscribe_subject(target: dict[str, int] | None) -> str:
    """What an unsubscribe link stops, in words, for its confirmation page."""
    if target is None:
        return "notification mail (comments, replies and subscriptions; your inbox keeps them)"
    if "work" in target:
        work = Work.objects.filter(pk=target["work"]).only("title").first()
        return f"new chapters of “{work.title}”" if work else "a work that is gone"
    if "series" in target:
        series = Series.objects.filter(pk=target["series"]).only("title").first()
        return f"new parts of the series “{series.title}”" if series else "a series that is gone"
    creator = User.objects.filter(pk=target["creator"]).only("username").first()
    return f"new works by {creator.username}" if creator else "a creator who is gone"


# --- Telling subscribers -----------------------------------------------------------------------


def _tell(subscribers, *, kind: str, work: Work, chapter=None, series=None) -> int:
    """Notify the active users among `subscribers` (a values("user_id")
    query) in batches, leaving out the work's creators and whoever was told
    of this already; the number told."""
    told = Notification.objects.filter(kind=kind, work=work, chapter=chapter, series=series)
    creators = Creatorship.objects.filter(work=work, approved=True).values("pseud__user_id")
    users = (
        User.objects.filter(pk__in=subscribers, is_active=True)
        .exclude(pk__in=told.values("user_id"))
        .exclude(pk__in=creators)
        .only("id", "notification_email")
        .order_by("pk")
    )
    count = 0
    last = 0
    while True:
        batch = list(users.filter(pk__gt=last)[:BATCH])
        if not batch:
            return count
        with transaction.atomic():
            notify(users=batch, kind=kind, work=work, chapter=chapter, series=series)
        count += len(batch)
        last = batch[-1].pk


def chapter_subscribers_notify(*, chapter_id: int) -> int:
    """Tell a work's subscribers of a newly posted chapter."""
    chapter = Chapter.objects.select_related("work").filter(pk=chapter_id, posted=True).first()
    if chapter is None or chapter.work.state != WorkState.POSTED:
        return 0
    subscribers = Subscription.objects.filter(work=chapter.work).values("user_id")
    return _tell(subscribers, kind=NotificationKind.CHAPTER, work=chapter.work, chapter=chapter)


def work_subscribers_notify(*, work_id: int) -> int:
    """Tell the subscribers of a newly posted work's creators, and of each
    series it is part of. Not for an anonymous work."""
    work = Work.objects.filter(pk=work_id, state=WorkState.POSTED, anonymous=False).first()
    if work is None:
        return 0
    creators = Creatorship.objects.filter(work=work, approved=True).values("pseud__user_id")
    subscribers = Subscription.objects.filter(creator__in=creators).values("user_id")
    told = _tell(subscribers, kind=NotificationKind.CREATOR_WORK, work=work)
    for series_id in SeriesEntry.objects.filter(work=work).values_list("series_id", flat=True):
        told += series_subscribers_notify(series_id=series_id, work_id=work.pk)
    return told


def series_subscribers_notify(*, series_id: int, work_id: int) -> int:
    """Tell a series' subscribers of a posted work that is part of it now."""
    entry = (
        SeriesEntry.objects.select_related("series", "work")
        .filter(
            series_id=series_id,
            work_id=work_id,
            work__state=WorkState.POSTED,
            work__anonymous=False,
        )
        .first()
    )
    if entry is None:
        return 0
    subscribers = Subscription.objects.filter(series_id=series_id).values("user_id")
    return _tell(
        subscribers, kind=NotificationKind.SERIES_PART, work=entry.work, series=entry.series
    )


# --- Receivers of the works app's signals (sent on commit) --------------------------------------


def _chapter_posted(sender, chapter: Chapter, **kwargs) -> None:
    from duster.community.tasks_mail import notify_chapter_subscribers

    if Subscription.objects.filter(work_id=chapter.work_id).exists():
        notify_chapter_subscribers.enqueue(chapter_id=chapter.pk)


def _work_posted(sender, work: Work, **kwargs) -> None:
    from duster.community.tasks_mail import notify_work_subscribers

    if work.anonymous:
        return
    creators = Creatorship.objects.filter(work=work, approved=True).values("pseud__user_id")
    series = SeriesEntry.objects.filter(work=work).values("series_id")
    followed = Subscription.objects.filter(Q(creator__in=creators) | Q(series__in=series))
    if followed.exists():
        notify_work_subscribers.enqueue(work_id=work.pk)


def _series_work_added(sender, series: Series, work: Work, **kwargs) -> None:
    from duster.community.tasks_mail import notify_series_subscribers

    if work.state != WorkState.POSTED or work.anonymous:
        return  # a draft's series hear of it when it is posted
    if Subscription.objects.filter(series=series).exists():
        notify_series_subscribers.enqueue(series_id=series.pk, work_id=work.pk)


def connect() -> None:
    """Called from CommunityConfig.ready."""
    from duster.works.signals import chapter_posted, series_work_added, work_posted

    chapter_posted.connect(_chapter_posted, dispatch_uid="community-subscriptions-chapter")
    work_posted.connect(_work_posted, dispatch_uid="community-subscriptions-work")
    series_work_added.connect(_series_work_added, dispatch_uid="community-subscriptions-series")
