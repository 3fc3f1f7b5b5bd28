"""SQLite upkeep (duster.lib.sqlite): planner statistics."""

import pytest
from django.db import connection

from duster.lib.sqlite import SHADOW_ROWS, sqlite_refresh_statistics
from duster.search.text import text_index_refresh
from duster.testing.factories import make_user, make_work

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own statistics"),
]


def _statistics() -> dict[str, set[tuple[str | None, str]]]:
    found: dict[str, set[tuple[str | None, str]]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1")
        for table, index, stat in cursor.fetchall():
            found.setdefault(table, set()).add((index, stat))
    return found


def _shadow_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pragma_table_list WHERE type = 'shadow'")
        return {row[0] for row in cursor.fetchall()}


def test_the_full_text_index_tables_are_not_measured_small():
    # Measured on a small index, their sizes would turn FTS5's own rowid
    # look-ups into scans as it grows; they get the planner's default size,
    # and the archive's own tables keep what ANALYZE measured.
    work = make_work(make_user())
    text_index_refresh([work.pk])
    shadow = _shadow_tables()
    assert {"search_text_data", "search_text_idx"} <= shadow
    sqlite_refresh_statistics()
    found = _statistics()
    assert "works_work" in found
    for table in shadow:
        assert found[table] == {(None, SHADOW_ROWS)}
