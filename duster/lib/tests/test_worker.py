"""The task worker `make run` starts: it waits out a locked database instead of
dying, and a supervisor starts it again whenever it exits."""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.tasks import task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from duster.lib.management.commands import task_worker
from duster.lib.supervise import Supervisor


@task
def add(a: int, b: int) -> int:
    return a + b


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def pauses(monkeypatch):
    """Waits are recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(task_worker.time, "sleep", slept.append)
    return slept


def run_worker(caplog) -> str:
    with caplog.at_level("INFO", logger="django_tasks_db"):
        call_command(
            "task_worker", batch=True, startup_delay=False, reload=False, stdout=io.StringIO()
        )
    return caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_worker_waits_out_a_locked_database_and_goes_on(
    database_tasks, pauses, monkeypatch, caplog
):
    result = add.enqueue(2, 3)
    real = db_worker.exclusive_transaction
    failures = iter([True, True])

    @contextmanager
    def locked_twice(using=None):
        if next(failures, False):
            raise OperationalError("database is locked")
        with real(using):
            yield

    monkeypatch.setattr(db_worker, "exclusive_transaction", locked_twice)
    log = run_worker(caplog)
    assert log.count("The database is locked (database is locked)") == 2
    assert pauses[:2] == [task_worker.FIRST_PAUSE, 2 * task_worker.FIRST_PAUSE]
    assert "the worker tries again in 1.0 s" in log
    result.refresh()
    assert result.return_value == 5


@pytest.mark.django_db(transaction=True)
def test_a_task_outcome_is_saved_once_the_lock_is_gone(database_tasks, pauses, monkeypatch, caplog):
    result = add.enqueue(1, 1)
    real = DBTaskResult.save
    # db_worker tries three times itself; the fourth failure reaches our wait.
    failures = iter([True] * 4)

    def save(self, *args, **kwargs):
        finishing = "finished_at" in (kwargs.get("update_fields") or ())
        if finishing and next(failures, False):
            raise OperationalError("database is locked")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DBTaskResult, "save", save)
    log = run_worker(caplog)
    assert "the outcome of task id=" in log
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 2


@pytest.mark.django_db(transaction=True)
def test_other_database_errors_still_stop_the_worker(database_tasks, pauses, monkeypatch, caplog):
    @contextmanager
    def broken(using=None):
        raise OperationalError("no such table: django_tasks_db_dbtaskresult")
        yield

    monkeypatch.setattr(db_worker, "exclusive_transaction", broken)
    with pytest.raises(OperationalError, match="no such table"):
        run_worker(caplog)
    assert db_worker.Worker is not task_worker.PatientWorker


# --- the supervisor ---------------------------------------------------------------------------


def test_the_supervisor_starts_a_command_again_when_it_exits(tmp_path, caplog):
    starts = tmp_path / "starts"
    script = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"
    supervisor = Supervisor(
        [sys.executable, "-c", script], name="worker", first_pause=0.01, longest_pause=0.02
    )
    thread = threading.Thread(target=supervisor.run)
    with caplog.at_level("INFO", logger="duster.supervise"):
        thread.start()
        deadline = time.monotonic() + 30
        while len(starts.read_text() if starts.exists() else "") < 3:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        supervisor.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(starts.read_text()) >= 3
    assert "worker exited with status 3" in caplog.text
    assert "starting it again" in caplog.text


def test_sigterm_stops_the_supervisor_and_its_command(tmp_path):
    pid_file = tmp_path / "pid"
    script = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "duster.lib.supervise", "--name", "sleeper", "--"]
        + [sys.executable, "-c", script],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    supervisor.send_signal(signal.SIGTERM)
    _, log = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0
    assert "Stopping sleeper" in log
    assert "starting it again" not in log
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
