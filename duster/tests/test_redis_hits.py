"""Hit counting through Redis, the cache every app server shares at scale.
Runs when REDIS_URL is set (CI sets it for the PostgreSQL run)."""

import os
import uuid

import pytest
from django.core.cache import caches

from duster.testing.factories import make_user, make_work
from duster.works.services.works import work_record_hit

REDIS_URL = os.environ.get("REDIS_URL")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set"),
]


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A fresh prefix per test: no test sees another's (or a server's) keys.
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    yield caches["default"]
    caches["default"].clear()


def test_a_visitor_counts_once_a_day_across_app_servers(redis_cache):
    work = make_work(make_user())
    assert work_record_hit(work=work, visitor="guest:203.0.113.5:Firefox")
    # Another app server process asks the same Redis: the visitor is known.
    assert not work_record_hit(work=work, visitor="guest:203.0.113.5:Firefox")
    assert work_record_hit(work=work, visitor="user:42")
    work.refresh_from_db()
    assert work.hits == 2
