"""Tests that run work in several threads at once, each with its own
database connection, as several app processes would."""

import contextlib
import sqlite3
import threading

from django.db import connection, connections


@contextlib.contextmanager
def writers_share_one_database(tmp_path):
    """Connections opened by other threads reach the test database. On
    PostgreSQL (and SQLite in a file) they do already; SQLite's in-memory
    test database locks whole tables between connections, which a server
    never sees, so it is copied to a file, in WAL mode as the archive runs,
    and the threads use that."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():  # type: ignore[attr-defined]
        yield
        return
    path = str(tmp_path / "shared.sqlite3")
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    settings_dict = connections.settings[connection.alias]
    memory_name = settings_dict["NAME"]
    settings_dict["NAME"] = path
    try:
        yield
    finally:
        settings_dict["NAME"] = memory_name


def in_threads(*jobs):
    """Run the jobs at once, each in its own thread with its own connection;
    their results (or exceptions), in order."""
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - returned to the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
