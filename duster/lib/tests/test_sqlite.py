"""SQLite upkeep (duster.lib.sqlite): planner statistics."""

import pytest
from django.db import connection

from duster.lib.sqlite import sqlite_refresh_statistics
from duster.search.text import text_index_refresh
from duster.testing.factories import make_user, make_work

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own statistics"),
]


def _statistics() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {row[0] for row in cursor.fetchall()}


def _shadow_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pragma_table_list WHERE type = 'shadow'")
        return {row[0] for row in cursor.fetchall()}


def test_the_full_text_index_tables_keep_no_statistics():
    # Measured on a small index, they would steer FTS5's own look-ups into
    # scans as it grows; the archive's own tables keep theirs.
    work = make_work(make_user())
    text_index_refresh([work.pk])
    shadow = _shadow_tables()
    assert {"search_text_data", "search_text_idx"} <= shadow
    sqlite_refresh_statistics()
    found = _statistics()
    assert "works_work" in found
    assert not found & shadow
