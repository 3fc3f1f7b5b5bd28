"""`manage.py task_worker`: django-tasks-db's `db_worker`, patient with a locked
database. Takes the same options.

On SQLite one writer holds the lock at a time; a long write (an import, a
big migration) outlasting the busy timeout made `db_worker` die with
"database is locked", and queued mail stopped going out. Here the worker
waits, says so in its log, and goes on: around its polling loop (where
claiming a task can fail) and around recording a task's outcome (a task
left "running" would never be reported or run again).

It also starts the periodic jobs that are due (duster.lib.periodic) about
once a minute, from a thread beside the polling loop; `--no-periodic` leaves
that to another worker or to cron (`manage.py run_periodic`).
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connections
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from duster.lib.periodic import periodic_run_due

logger = logging.getLogger("django_tasks_db")

FIRST_PAUSE = 0.5
LONGEST_PAUSE = 30.0
PERIODIC_SECONDS = 60.0


def _is_locked(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and is_locked_database_exception(error)


class PatientWorker(db_worker.Worker):
    def run(self) -> None:
        pause = FIRST_PAUSE
        while True:
            started = time.monotonic()
            try:
                return super().run()
            except OperationalError as error:
                if not _is_locked(error):
                    raise
                if time.monotonic() - started > LONGEST_PAUSE:
                    pause = FIRST_PAUSE  # it had been running well since the last lock
                logger.warning(
                    "The database is locked (%s); the worker tries again in %.1f s.", error, pause
                )
                # Start again on fresh connections, whatever the failed statement left.
                connections.close_all()
                self.startup_delay = False
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        for name in ("set_successful", "set_failed"):
            recorder = getattr(db_task_result, name)
            setattr(db_task_result, name, self._patiently(recorder, db_task_result))
        super().run_task(db_task_result)

    def _patiently(self, record: Callable[..., None], result: DBTaskResult) -> Callable[..., None]:
        """`record`, tried again for as long as the database stays locked (a
        second Ctrl-C still stops the worker)."""

        def patient(*args: Any) -> None:
            pause = FIRST_PAUSE
            while True:
                try:
                    return record(*args)
                except OperationalError as error:
                    if not _is_locked(error):
                        raise
                    logger.warning(
                        "The database is locked (%s); the outcome of task id=%s is saved "
                        "again in %.1f s.",
                        error,
                        result.id,
                        pause,
                    )
                    time.sleep(pause)
                    pause = min(pause * 2, LONGEST_PAUSE)

        return patient


class PeriodicRunner(threading.Thread):
    """Starts the due periodic jobs about once a minute. A daemon thread with
    its own database connection, closed after each round; a failed round (a
    locked database) is logged and tried again a minute later."""

    def __init__(self) -> None:
        super().__init__(name="periodic", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                started = periodic_run_due()
                if started:
                    logger.info("Periodic jobs started: %s", ", ".join(started))
            except Exception:
                logger.exception("Starting the periodic jobs failed; trying again in a minute.")
            finally:
                connections.close_all()
            if self.stopped.wait(PERIODIC_SECONDS):
                return


class Command(db_worker.Command):
    help = "Run the database task worker, waiting out a locked database instead of dying"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Do not start periodic jobs (another worker or cron does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        runner = None
        # A --batch run drains the queue and ends: no periodic jobs from it.
        if not options.pop("no_periodic", False) and not options.get("batch"):
            runner = PeriodicRunner()
            runner.start()
        # db_worker's handle() builds its Worker by this module-level name, so it is
        # swapped for the duration (mypy refuses assigning to a class name).
        original = db_worker.Worker
        db_worker.Worker = PatientWorker  # type: ignore[misc]
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original  # type: ignore[misc]
            if runner is not None:
                runner.stopped.set()
