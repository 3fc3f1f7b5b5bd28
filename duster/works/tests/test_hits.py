"""Hits: once per visitor per work per day, a visitor being a user or a guest's
address (never the User-Agent), remembered in one bounded record per work per day."""

import datetime as dt
import sqlite3
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import OperationalError
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.services import hits as hits_module
from duster.works.services.hits import (
    BITMAP_BYTES,
    hit_remember,
    hit_visitor,
    work_record_hit,
)

pytestmark = pytest.mark.django_db


def hits(work) -> int:
    return Work.objects.get(pk=work.pk).hits


def guest(address: str) -> str:
    return hit_visitor(user=AnonymousUser(), address=address)


@pytest.fixture
def sqlite_cache(settings, tmp_path):
    """The default single-machine cache, in a file of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "duster.lib.cache.SQLiteCache",
            "LOCATION": str(tmp_path / "cache.sqlite3"),
        }
    }
    return caches["default"]


class TestCountingOncePerDay:
    def test_a_visitor_counts_once_per_work_per_day(self, django_assert_num_queries):
        work = make_work(make_user())
        assert work_record_hit(work_pk=work.pk, visitor="guest:1") is True
        with django_assert_num_queries(0):
            assert work_record_hit(work_pk=work.pk, visitor="guest:1") is False
        assert hits(work) == 1

    def test_different_visitors_count_separately(self):
        work = make_work(make_user())
        assert work_record_hit(work_pk=work.pk, visitor="guest:1")
        assert work_record_hit(work_pk=work.pk, visitor="user:7")
        assert hits(work) == 2

    def test_one_visitor_counts_on_each_work(self):
        first, second = make_work(make_user()), make_work(make_user())
        assert work_record_hit(work_pk=first.pk, visitor="guest:1")
        assert work_record_hit(work_pk=second.pk, visitor="guest:1")
        assert list(Work.objects.order_by("pk").values_list("hits", flat=True)) == [1, 1]

    def test_the_same_visitor_counts_again_the_next_day(self, monkeypatch):
        work = make_work(make_user())
        now = timezone.now()
        assert work_record_hit(work_pk=work.pk, visitor="guest:1")
        monkeypatch.setattr(timezone, "now", lambda: now + dt.timedelta(days=1))
        assert work_record_hit(work_pk=work.pk, visitor="guest:1")
        assert hits(work) == 2

    def test_the_shared_sqlite_cache_counts_the_same_way(self, sqlite_cache):
        work = make_work(make_user())
        assert work_record_hit(work_pk=work.pk, visitor="guest:1")
        assert not work_record_hit(work_pk=work.pk, visitor="guest:1")
        assert work_record_hit(work_pk=work.pk, visitor="guest:2")
        assert hits(work) == 2

    def test_a_visitor_seen_already_takes_no_write_lock(self, sqlite_cache, monkeypatch):
        """Every view of a cached page records its hit: a repeat visitor's must
        only read, or every app process would queue for the cache's lock."""
        work = make_work(make_user())
        assert hit_remember(work_pk=work.pk, visitor="guest:1") == 1
        for number in range(2, 2_100):  # past 2,048 visitors the record is a bitmap
            hit_remember(work_pk=work.pk, visitor=f"guest:{number}")
        locked = []
        monkeypatch.setattr(
            type(sqlite_cache), "atomic_update", lambda *args, **kwargs: locked.append(args)
        )
        assert hit_remember(work_pk=work.pk, visitor="guest:1") == 0
        assert hit_remember(work_pk=work.pk, visitor="guest:2099") == 0
        assert locked == []
        hit_remember(work_pk=work.pk, visitor="guest:new")
        assert len(locked) == 1


class TestWhoIsAVisitor:
    def test_a_guest_changing_user_agent_counts_once(self):
        work = make_work(make_user())
        for agent in ("Firefox", "Chrome", "curl/8.0", "script-1", "script-2", ""):
            Client(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT=agent).get(work.get_absolute_url())
        assert hits(work) == 1

    def test_two_addresses_count_twice(self):
        work = make_work(make_user())
        Client(REMOTE_ADDR="198.51.100.4").get(work.get_absolute_url())
        Client(REMOTE_ADDR="198.51.100.5").get(work.get_absolute_url())
        assert hits(work) == 2

    def test_a_logged_in_reader_counts_once_from_any_address(self):
        work = make_work(make_user())
        reader = make_user()
        for address in ("198.51.100.4", "203.0.113.9", "2001:db8::1"):
            client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=address)
            client.force_login(reader)
            client.get(work.get_absolute_url())
        assert hits(work) == 1

    def test_an_ipv6_guest_is_their_slash_64(self):
        assert guest("2001:db8:1:2::1") == guest("2001:db8:1:2:ffff:ffff:ffff:ffff")
        assert guest("2001:db8:1:2::1") != guest("2001:db8:1:3::1")

    def test_an_ipv4_guest_is_their_address_however_written(self):
        assert guest("192.0.2.7") == guest("::ffff:192.0.2.7") == "guest:192.0.2.7"
        assert guest("192.0.2.7") != guest("192.0.2.8")

    def test_a_guest_without_a_readable_address_is_one_unknown_visitor(self):
        assert guest("") == guest("not an address") == "guest:unknown"

    def test_a_user_is_their_id(self):
        user = make_user()
        assert hit_visitor(user=user, address="192.0.2.7") == f"user:{user.pk}"


def digest(number: int) -> bytes:
    return number.to_bytes(4, "big")


class TestWhatIsRemembered:
    def test_ten_thousand_visitors_to_one_work_make_one_small_cache_entry(self, sqlite_cache):
        work = make_work(make_user())
        sqlite_cache.clear()
        added = sum(
            hit_remember(work_pk=work.pk, visitor=f"guest:10.0.{number // 256}.{number % 256}")
            for number in range(10_000)
        )
        assert sqlite_cache.entry_count() == 1
        today = timezone.now().date().isoformat()
        assert len(sqlite_cache.get(f"hits:{today}:{work.pk}")) == BITMAP_BYTES
        # Visitors sharing a slot are allowed for: the count stays within 1%.
        assert 9_900 <= added <= 10_100
        # And they are all remembered.
        assert not any(
            hit_remember(work_pk=work.pk, visitor=f"guest:10.0.{number // 256}.{number % 256}")
            for number in range(0, 10_000, 7)
        )

    def test_the_work_gets_what_the_record_adds(self, sqlite_cache):
        work = make_work(make_user())
        for number in range(300):
            work_record_hit(work_pk=work.pk, visitor=f"guest:{number}")
        assert hits(work) == 300

    def test_a_few_visitors_are_remembered_in_a_few_bytes(self):
        record = None
        for number in (5, 3, 9):
            record, gain = hits_module._take(record, digest(number))
            assert gain == 1
        assert record is not None
        assert len(record) == 12
        assert hits_module._take(record, digest(3)) == (None, 0)

    def test_a_hash_spanning_two_others_is_not_mistaken_for_one(self):
        record, _ = hits_module._take(None, bytes([1, 2, 3, 4]))
        record, _ = hits_module._take(record, bytes([5, 6, 7, 8]))
        assert hits_module._take(record, bytes([3, 4, 5, 6]))[1] == 1

    def test_the_record_becomes_a_bitmap_past_two_thousand_visitors(self):
        record = None
        for number in range(0, 2 * BITMAP_BYTES, 2):  # 4,096 visitors, every other slot
            record, gain = hits_module._take(record, digest(number))
            assert gain >= 1
        assert record is not None
        assert len(record) == BITMAP_BYTES
        # A visitor seen already (in a taken slot) adds nothing; a new slot adds.
        assert hits_module._take(record, digest(0)) == (None, 0)
        assert hits_module._take(record, digest(1))[1] >= 1

    def test_the_first_few_hundred_slots_each_add_exactly_one(self):
        assert all(hits_module._gain(taken) == 1 for taken in range(200))
        # Later ones add more, for the visitors who fell into taken slots.
        assert hits_module._gain(60_000) > 1

    def test_the_days_record_is_kept_about_a_day(self, sqlite_cache):
        work = make_work(make_user())
        work_record_hit(work_pk=work.pk, visitor="guest:1")
        expires = sqlite_cache._db().execute("SELECT expires FROM cache_entry").fetchone()[0]
        assert expires - time.time() <= 26 * 60 * 60


class TestALockedDatabase:
    def test_a_hit_is_dropped_with_a_warning_rather_than_failing_the_page(
        self, monkeypatch, caplog
    ):
        work = make_work(make_user())

        def locked(self, **kwargs):
            raise OperationalError("database is locked")

        monkeypatch.setattr(QuerySet, "update", locked)
        assert work_record_hit(work_pk=work.pk, visitor="guest:1") is False
        assert "not counted: database is locked" in caplog.text

    def test_a_busy_cache_drops_the_hit_rather_than_failing_the_page(self, monkeypatch, caplog):
        work = make_work(make_user())

        def busy(**kwargs):
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(hits_module, "hit_remember", busy)
        response = Client().get(work.get_absolute_url())
        assert response.status_code == 200
        assert hits(work) == 0
        assert "not counted: database is locked" in caplog.text
