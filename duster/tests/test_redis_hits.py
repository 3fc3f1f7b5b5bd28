"""Hit counting through Redis, the cache every app server shares at scale.
Runs when REDIS_URL is set (CI sets it for the PostgreSQL run)."""

import hashlib
import os
import threading
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.utils import timezone

from duster.testing.factories import make_user, make_work
from duster.works.services import hits as hits_module
from duster.works.services.hits import BITMAP_BYTES, hit_remember, work_record_hit

REDIS_URL = os.environ.get("REDIS_URL")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set"),
]


@pytest.fixture
def redis_cache(settings):
    # A fresh prefix per test: no test sees another's (or a server's) keys.
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "duster.lib.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    client = cache._cache.get_client(write=True)
    # A helper for the tests, hung on the cache deliberately.
    # The hit records only: the page cache keeps its version keys here too.
    cache.our_keys = lambda: [  # type: ignore[attr-defined]
        key for key in client.scan_iter(match=f"{prefix}:*") if b":pagecache:" not in key
    ]
    yield cache
    # Only this test's keys: clear() would empty the whole Redis database.
    if keys := list(client.scan_iter(match=f"{prefix}:*")):
        client.delete(*keys)


def hits(work) -> int:
    work.refresh_from_db()
    return work.hits


def test_a_visitor_counts_once_a_day_across_app_servers(redis_cache):
    work = make_work(make_user())
    assert work_record_hit(work_pk=work.pk, visitor="guest:203.0.113.5")
    # Another app server process asks the same Redis: the visitor is known.
    assert not work_record_hit(work_pk=work.pk, visitor="guest:203.0.113.5")
    assert work_record_hit(work_pk=work.pk, visitor="user:42")
    assert hits(work) == 2


def test_a_guest_changing_user_agent_counts_once(redis_cache):
    work = make_work(make_user())
    for agent in ("Firefox", "Chrome", "script-1", "script-2"):
        Client(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT=agent).get(work.get_absolute_url())
    Client(REMOTE_ADDR="203.0.113.6").get(work.get_absolute_url())
    assert hits(work) == 2


def test_a_works_visitors_of_the_day_are_one_bounded_key(redis_cache):
    work = make_work(make_user())
    added = sum(
        hit_remember(work_pk=work.pk, visitor=f"guest:10.1.{number // 256}.{number % 256}")
        for number in range(4_000)
    )
    [key] = redis_cache.our_keys()
    client = redis_cache._cache.get_client(write=True)
    assert client.strlen(key) == BITMAP_BYTES
    assert 0 < client.ttl(key) <= 26 * 60 * 60
    assert 3_960 <= added <= 4_040


def test_redis_and_python_keep_the_same_record(redis_cache):
    """The Lua script and the Python code agree, hash by hash and slot by slot."""
    work = make_work(make_user())
    today = timezone.now().date().isoformat()
    record = None
    for number in range(2_500):  # past the switch to a bitmap
        visitor = f"guest:{number}"
        digest = hashlib.blake2b(f"{work.pk}|{today}|{visitor}".encode(), digest_size=4).digest()
        changed, gain = hits_module._take(record, digest)
        record = changed if changed is not None else record
        assert hit_remember(work_pk=work.pk, visitor=visitor) == gain
    [key] = redis_cache.our_keys()
    assert redis_cache._cache.get_client().get(key) == record


def test_app_servers_racing_on_one_record_lose_no_visitor(redis_cache):
    work = make_work(make_user())
    barrier = threading.Barrier(4)
    added = []

    def visit(server: int) -> None:
        barrier.wait()
        for number in range(300):
            added.append(hit_remember(work_pk=work.pk, visitor=f"guest:{server}:{number}"))

    threads = [threading.Thread(target=visit, args=(server,)) for server in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(added) == 1_200
    # Each visitor is remembered: a second round counts nobody again.
    for server in range(4):
        for number in range(300):
            assert not hit_remember(work_pk=work.pk, visitor=f"guest:{server}:{number}")


def test_the_redis_cache_keeps_one_client_per_server_and_works_as_djangos(redis_cache):
    """Building a redis.Redis costs more than a round trip: one per server."""
    assert redis_cache._cache.get_client() is redis_cache._cache.get_client(write=True)
    redis_cache.set_many({"a": {"title": "Lamplight"}, "b": 2})
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": {"title": "Lamplight"}, "b": 2}
    assert redis_cache.incr("b") == 3
    redis_cache.delete_many(["a", "b"])
    assert redis_cache.get("a") is None
