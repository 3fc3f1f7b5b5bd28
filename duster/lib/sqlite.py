"""SQLite upkeep. SQLite's planner has no table statistics until ANALYZE runs,
and without them it reads every posted work to count one creator's."""

from django.db import connections

# Rows sampled per index: approximate statistics in milliseconds, not a full scan.
ANALYSIS_LIMIT = 1000


def sqlite_refresh_statistics(using: str = "default", **kwargs) -> None:
    """ANALYZE a SQLite database (no-op on others). Runs after every `migrate`,
    so each `make run` start refreshes them; between starts, PRAGMA optimize on
    each new connection re-analyzes tables that grew a lot."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
