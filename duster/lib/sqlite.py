"""SQLite upkeep. SQLite's planner has no table statistics until ANALYZE runs,
and without them it reads every posted work to count one creator's."""

import itertools
import logging

from django.db import OperationalError, connections

# Rows sampled per index: approximate statistics in milliseconds, not a full scan.
ANALYSIS_LIMIT = 1000
# The size the planner assumes of a table it has no statistics for.
SHADOW_ROWS = "1000000"

logger = logging.getLogger(__name__)


def sqlite_refresh_statistics(using: str = "default", **kwargs) -> None:
    """ANALYZE a SQLite database (no-op on others). Runs after every `migrate`,
    so each `make run` start refreshes them; between starts, PRAGMA optimize
    now and then (below) re-analyzes tables that grew a lot."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
        _shadow_tables_default_size(cursor)


def _shadow_tables_default_size(cursor) -> None:
    """Give the full-text index's own tables (FTS5's shadow tables) the
    planner's default size instead of a measured one. Measured while the
    index was small (after `migrate` on a new archive, or a corpus loaded
    before its text is indexed), a table of a few rows makes a rowid range
    look dearer than reading the whole table, and FTS5 deletes merged pages
    by rowid range: every insert then reads the whole index, slower as it
    grows (rebuilding the text of 29,077 works took 134 s, 7.5 s without).
    Rows are written, not only deleted, so a connection that loaded the
    measured sizes reads the new ones (ANALYZE sqlite_schema keeps what it
    finds no row for)."""
    cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
    if cursor.fetchone() is None:
        return
    try:
        cursor.execute("SELECT name FROM pragma_table_list WHERE type = 'shadow'")
    except OperationalError:  # SQLite before 3.37 lists no shadow tables
        return
    shadow = [row[0] for row in cursor.fetchall()]
    if not shadow:
        return
    marks = ", ".join(["%s"] * len(shadow))
    cursor.execute(f"SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl IN ({marks})", shadow)  # noqa: S608
    if set(cursor.fetchall()) == {(table, None, SHADOW_ROWS) for table in shadow}:
        return  # as set last time: no write (PRAGMA optimize mostly leaves them)
    cursor.execute(f"DELETE FROM sqlite_stat1 WHERE tbl IN ({marks})", shadow)  # noqa: S608
    cursor.executemany(
        "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, NULL, %s)",
        [(table, SHADOW_ROWS) for table in shadow],
    )
    cursor.execute("ANALYZE sqlite_schema")  # this connection's planner reads them again


# PRAGMA optimize costs little when nothing needs analysing, but it is no
# cost to leave on every connect either: with persistent connections
# (CONN_MAX_AGE) it runs every this many requests per process instead.
OPTIMIZE_EVERY = 1000
_requests = itertools.count(1)


def sqlite_optimize_now_and_then(**kwargs) -> None:
    """A request_finished receiver: PRAGMA optimize on open SQLite connections
    every OPTIMIZE_EVERY requests (it re-analyzes tables that grew a lot)."""
    if next(_requests) % OPTIMIZE_EVERY:
        return
    for connection in connections.all(initialized_only=True):
        if (
            connection.vendor == "sqlite"
            and connection.connection is not None
            and not connection.in_atomic_block
        ):
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                    cursor.execute("PRAGMA optimize")
                    _shadow_tables_default_size(cursor)
            except OperationalError as error:
                # Another process holds the write lock (ANALYZE writes
                # sqlite_stat1): the statistics wait for the next round; the
                # request has been answered already.
                logger.info("PRAGMA optimize skipped: %s", error)
