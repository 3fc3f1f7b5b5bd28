"""The periodic runner (duster.lib.periodic) and the jobs the community
registers with it: daily digests, counter repair."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from duster.accounts.models import EmailChoice
from duster.community.choices import NotificationKind
from duster.community.services.notifications import notify
from duster.lib import periodic as periodic_module
from duster.lib.periodic import jobs, periodic, periodic_run_due
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def registry(monkeypatch):
    """A registry of the test's own, with the apps' jobs left out."""
    monkeypatch.setattr(periodic_module, "_jobs", {})
    monkeypatch.setattr(periodic_module, "_discovered", True)
    return periodic_module._jobs


def test_a_job_runs_once_per_slot(registry):
    runs = []
    periodic("test.count", HOUR, lambda: runs.append(1))
    start = timezone.now().replace(minute=0, second=0, microsecond=0)

    assert periodic_run_due(now=start) == ["test.count"]
    assert periodic_run_due(now=start + dt.timedelta(minutes=59)) == []
    assert periodic_run_due(now=start + HOUR) == ["test.count"]
    assert len(runs) == 2


def test_a_job_named_by_a_path_that_does_not_exist_yet_is_skipped(registry):
    periodic("test.missing", HOUR, "duster.community.no_such_module.no_task")
    periodic("test.missing_attr", HOUR, "duster.community.tasks_mail.no_such_task")
    assert periodic_run_due() == []


def test_a_task_is_enqueued_not_called(registry, monkeypatch):
    enqueued = []

    class FakeTask:
        def enqueue(self):
            enqueued.append(1)

        def __call__(self):  # pragma: no cover - must not be called
            raise AssertionError("called in the runner")

    periodic("test.task", HOUR, FakeTask())
    periodic_run_due()
    assert enqueued == [1]


def test_jobs_run_more_often_than_once_a_minute_are_refused(registry):
    with pytest.raises(ValueError):
        periodic("test.fast", dt.timedelta(seconds=5), lambda: None)


def test_the_community_registers_digests_and_the_recount():
    names = {job.name for job in jobs()}
    assert {"community.digests", "community.mail_retry", "community.recount"} <= names


def test_the_hourly_digest_job_mails_a_digest_that_is_due(monkeypatch):
    author = make_user("author")
    author.notification_email = EmailChoice.DAILY
    author.save(update_fields=["notification_email"])
    work = make_work(author)
    (notification,) = notify(users=[author], kind=NotificationKind.CHAPTER, work=work)
    type(notification).objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1, minutes=5)
    )
    monkeypatch.setattr(periodic_module, "_jobs", {k: v for k, v in periodic_module._jobs.items()})
    jobs()
    periodic_module._jobs.pop("community.recount", None)

    call_command("run_periodic", verbosity=0)
    assert len(mail.outbox) == 1
    assert "digest" in mail.outbox[0].subject
    call_command("run_periodic", verbosity=0)  # the same hour: not again
    assert len(mail.outbox) == 1


def test_the_task_worker_starts_the_periodic_jobs_from_a_thread(monkeypatch):
    import threading

    from duster.lib.management.commands import task_worker

    rounds = threading.Event()

    def periodic_run_due() -> list:
        rounds.set()
        return []

    monkeypatch.setattr(task_worker, "periodic_run_due", periodic_run_due)
    runner = task_worker.PeriodicRunner()
    runner.start()
    try:
        assert rounds.wait(5)
    finally:
        runner.stopped.set()
        runner.join(5)
    assert not runner.is_alive()


def test_a_failed_periodic_round_does_not_stop_the_runner(monkeypatch):
    import threading

    from duster.lib.management.commands import task_worker

    calls = []
    second = threading.Event()

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is locked")
        second.set()
        return []

    monkeypatch.setattr(task_worker, "periodic_run_due", flaky)
    monkeypatch.setattr(task_worker, "PERIODIC_SECONDS", 0.01)
    runner = task_worker.PeriodicRunner()
    runner.start()
    try:
        assert second.wait(5)
    finally:
        runner.stopped.set()
        runner.join(5)
