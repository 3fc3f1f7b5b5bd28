"""Many writers adding chapters to one work at once leave gapless positions
and true counters (PostgreSQL: SQLite serializes writers already)."""

import threading

import pytest
from django.db import connection, connections

from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.services.chapters import chapter_create

SESSIONS = 10
CHAPTERS_EACH = 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_chapter_posts_get_gapless_positions():
    if connection.vendor != "postgresql":
        pytest.skip("needs several connections writing at once (PostgreSQL)")
    work = make_work(make_user(), expected_chapters=None)
    errors = []

    def post():
        try:
            mine = Work.objects.get(pk=work.pk)
            for number in range(CHAPTERS_EACH):
                chapter_create(work=mine, fields={"body": f"<p>Text {number}</p>"})
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    work.refresh_from_db()
    positions = list(work.chapters.order_by("position").values_list("position", flat=True))
    total = 1 + SESSIONS * CHAPTERS_EACH
    assert positions == list(range(1, total + 1))
    assert work.chapter_count == total
