"""Periodic work without a scheduler service.

Apps register jobs in a `periodic.py` module of their own (found like admin
modules are):

    periodic("community.digests", dt.timedelta(hours=1), "duster.community.tasks_mail.send_digests")

`periodic_run_due()` runs every job whose time has come: time is cut into
slots of each job's `every` (slot = now // every), and the first caller in a
slot claims it with `cache.add(f"periodic:<name>:<slot>")`, which is atomic in
every Django cache backend, then enqueues the job's task (or calls a plain
function). The task worker calls it about once a minute (`manage.py
task_worker`), and `manage.py run_periodic` does it once, for cron.

The claim holds across processes that share the cache (the SQLite file cache
of a laptop archive, or Redis). Processes with separate caches could each run
a job in the same slot, so jobs are written to be harmless when run twice
(digests claim each notification; a recount sets counts from rows).

A job named by a dotted path is imported when due, and skipped (with a log
line) while that path does not exist, so an app may register a job whose task
another part provides later.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    func: Callable[[], object] | str


_jobs: dict[str, Job] = {}
_discovered = False


def periodic(name: str, every: dt.timedelta, func: Callable[[], object] | str) -> None:
    """Run `func` (a django.tasks task, enqueued; a plain function, called;
    or either's dotted path) once every `every`."""
    if every.total_seconds() < 60:
        raise ValueError("Periodic jobs run at most once a minute.")
    _jobs[name] = Job(name=name, every=every, func=func)


def jobs() -> list[Job]:
    global _discovered
    if not _discovered:
        autodiscover_modules("periodic")
        _discovered = True
    return list(_jobs.values())


def _resolve(func: Callable[[], object] | str) -> Callable[[], object] | None:
    if not isinstance(func, str):
        return func
    module_name, _, attribute = func.rpartition(".")
    try:
        return getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return None


def _slot(job: Job, now: dt.datetime) -> int:
    return int(now.timestamp() // job.every.total_seconds())


def periodic_run_due(*, now: dt.datetime | None = None) -> list[str]:
    """Start every job due in this slot that no one started yet; their names."""
    now = now or timezone.now()
    started = []
    for job in jobs():
        target = _resolve(job.func)
        if target is None:
            logger.info("Periodic job %s skipped: %s does not exist (yet).", job.name, job.func)
            continue
        seconds = int(job.every.total_seconds())
        if not cache.add(f"periodic:{job.name}:{_slot(job, now)}", 1, timeout=seconds * 2):
            continue
        enqueue = getattr(target, "enqueue", None)
        if enqueue is not None:
            enqueue()
        else:
            target()
        started.append(job.name)
    return started
