"""Background delivery of notifications: mail, digests and the fan-out of a
new chapter, work or series part to its subscribers. Each task only calls a
service; the services make a retried task harmless (mail is claimed per
notification, subscribers already told are left out)."""

from django.tasks import task

from duster.community.services import notifications, subscriptions


@task
def send_notification_mails(*, notification_ids: list[int]) -> int:
    return notifications.notification_mails_send(notification_ids=notification_ids)


@task
def send_digests() -> int:
    return notifications.digests_send_due()


@task
def retry_notification_mails() -> int:
    return notifications.notification_mails_retry()


@task
def notify_chapter_subscribers(*, chapter_id: int) -> int:
    return subscriptions.chapter_subscribers_notify(chapter_id=chapter_id)


@task
def notify_work_subscribers(*, work_id: int) -> int:
    return subscriptions.work_subscribers_notify(work_id=work_id)


@task
def notify_series_subscribers(*, series_id: int, work_id: int) -> int:
    return subscriptions.series_subscribers_notify(series_id=series_id, work_id=work_id)
