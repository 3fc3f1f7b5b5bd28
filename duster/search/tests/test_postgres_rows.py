"""PostgreSQL's text index as rows of words (migration 0004_text_rows): an
archive that had its works indexed finds them after upgrading, and two
writers of one work's rows never leave rows of both."""

import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from duster.search.text import WorkText, parse_query, postgres, text_match
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's text index is unchanged"
)


@pytest.mark.django_db(transaction=True)
def test_an_indexed_archive_is_indexed_again_on_upgrading():
    work = make_work(make_user("upgrader"), title="Moth Lantern")
    call_command("migrate", "search", "0003_text_ranked", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_text VALUES (%s, '', '', '', '', '')",  # as 0003 kept it
            [work.pk],
        )
    call_command("migrate", "search", verbosity=0)
    assert text_match(parse_query('"moth lantern"')).tolist() == [work.pk]


@pytest.mark.django_db(transaction=True)
def test_an_empty_archive_upgrades_without_indexing():
    call_command("migrate", "search", "0003_text_ranked", verbosity=0)
    call_command("migrate", "search", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_text_rows")
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db(transaction=True)
def test_two_transactions_indexing_one_work_leave_the_last_ones_rows():
    """The first writes many rows and commits while the second waits; the
    second's rows replace all of them."""
    work = make_work(make_user("racer"), title="Race")
    long_text = WorkText(title="Race", body=" ".join(f"w{n}" for n in range(1_000)))
    short_text = WorkText(title="Race", body="finish line")
    first_wrote, second_started = threading.Event(), threading.Event()
    failures = []

    def index(text, before_commit):
        try:
            with transaction.atomic():
                postgres.index_write([work.pk], postgres.index_rows({work.pk: text}))
                before_commit()
        except Exception as error:  # noqa: BLE001  (reported below)
            failures.append(error)
        finally:
            connection.close()

    def first_waits():
        first_wrote.set()
        second_started.wait(10)
        time.sleep(0.5)  # the second is blocked by now

    first = threading.Thread(target=index, args=(long_text, first_waits))
    first.start()
    first_wrote.wait(10)
    second = threading.Thread(target=index, args=(short_text, lambda: None))
    second.start()
    second_started.set()
    first.join(20)
    second.join(20)
    assert failures == []
    assert text_match(parse_query("w500")).tolist() == []
    assert text_match(parse_query('"finish line"')).tolist() == [work.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_text_rows WHERE work_id = %s", [work.pk])
        assert cursor.fetchone() == (2,)  # the head and one row of body
