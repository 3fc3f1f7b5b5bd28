"""Hits: each visitor counts once per work per day, and no view writes a row
of its own; a new visitor's first view of the day adds to Work.hits.

Who a visitor is: a logged-in reader's user id, else the guest's network
address (for IPv6 the /64, the block one household or machine is given);
never the User-Agent or anything else a script can change on every request.

What is remembered: one cache entry per work per day, in the cache every app
process shares. While a work has under 2,048 visitors that day the entry
lists a 4-byte hash of each (8 KB at most, a few bytes for most works); past
that it becomes an 8 KB bitmap of 65,536 slots, each visitor's hash picking
one. So any number of visitors to one work make one entry of at most 8 KB,
which expires a day later. The SQLite cache and Redis (a Lua script, the same
format) change an entry atomically, so app processes racing lose no visitor.

In the bitmap two visitors may share a slot, and the counter allows for it:
each newly taken slot adds what it adds to the estimate of distinct visitors
from the slots taken (linear counting: slots * ln(slots / free slots)), so a
work's daily hits stay within about half a percent of its distinct visitors
even at 100,000 a day.
"""

import hashlib
import ipaddress
import logging
import math
import sqlite3
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from duster.accounts.client import address_key
from duster.works.models import Work
from duster.works.signals import works_changed

logger = logging.getLogger(__name__)

SLOTS = 1 << 16
BITMAP_BYTES = SLOTS // 8
DIGEST_BYTES = 4
# A day's record outlives its day a little, for clocks that disagree.
RECORD_SECONDS = 26 * 60 * 60


def hit_visitor(*, user: Any, address: str) -> str:
    """Who counts as one visitor: a user id, or a guest's address (an IPv6 /64)."""
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    key = address_key(address)  # an address, or an IPv6 /64 already
    try:
        ipaddress.ip_network(key or "")
    except ValueError:
        return "guest:unknown"
    return f"guest:{key}"


def work_record_hit(*, work_pk: int, visitor: str) -> bool:
    """Count a view of the work `work_pk` by `visitor` (see hit_visitor). True when it was
    the visitor's first of the day and so added to the work's hits."""
    try:
        gain = hit_remember(work_pk=work_pk, visitor=visitor)
    except (sqlite3.Error, RedisError) as error:
        # The cache is busy or away: the page matters more than one hit.
        logger.warning("Hit on work %s not counted: %s", work_pk, error)
        return False
    if not gain:
        return False
    try:
        with transaction.atomic():
            Work.objects.filter(pk=work_pk).update(hits=F("hits") + gain)
            works_changed.send(sender=None, work_ids={work_pk}, text=False)
    except OperationalError as error:
        # A long write elsewhere holds SQLite's lock: the page matters more than one hit.
        if "locked" not in str(error).lower():
            raise
        logger.warning("Hit on work %s not counted: %s", work_pk, error)
        return False
    return True


def hit_remember(*, work_pk: int, visitor: str) -> int:
    """Put `visitor` in today's record for a work: what that adds to its hits,
    0 when they were there already."""
    today = timezone.now().date().isoformat()
    key = f"hits:{today}:{work_pk}"
    digest = hashlib.blake2b(f"{work_pk}|{today}|{visitor}".encode(), digest_size=4).digest()
    backend = caches["default"]
    if hasattr(backend, "atomic_update"):  # duster.lib.cache.SQLiteCache
        # A record only grows during its day: a visitor found in it needs no write
        # lock, which every app process would otherwise queue for on each view.
        if _take(backend.get(key), digest)[0] is None:
            return 0
        return backend.atomic_update(key, lambda record: _take(record, digest), RECORD_SECONDS)
    if isinstance(backend, RedisCache):
        return _redis_take(backend, key, digest)
    # Other caches (local memory in tests): two processes racing may both
    # write, and a visitor be forgotten and counted again; never more than that.
    record, gain = _take(backend.get(key), digest)
    if record is not None:
        backend.set(key, record, RECORD_SECONDS)
    return gain


# --- the day's record for one work ------------------------------------------------------------
# Hashes as 4 big-endian bytes; a bitmap as Redis's SETBIT numbers its bits
# (slot 0 is the highest bit of the first byte); a hash's slot is its last 2 bytes.


def _take(record: bytes | None, digest: bytes) -> tuple[bytes | None, int]:
    """(the record with this visitor in it, what that adds to the hits), or
    (None, 0) when the record has them already."""
    record = record or b""
    if len(record) == BITMAP_BYTES:
        return _take_slot(record, _slot(digest))
    at = record.find(digest)
    while at > 0 and at % DIGEST_BYTES:  # a match across two hashes is no match
        at = record.find(digest, at + 1)
    if at >= 0:
        return None, 0
    record += digest
    if len(record) < BITMAP_BYTES:
        return record, 1
    bitmap = bytearray(BITMAP_BYTES)
    for at in range(0, len(record), DIGEST_BYTES):
        slot = _slot(record[at : at + DIGEST_BYTES])
        bitmap[slot // 8] |= 0x80 >> (slot % 8)
    return bytes(bitmap), 1


def _take_slot(bitmap: bytes, slot: int) -> tuple[bytes | None, int]:
    byte, mask = slot // 8, 0x80 >> (slot % 8)
    if bitmap[byte] & mask:
        return None, 0
    taken = int.from_bytes(bitmap).bit_count()
    changed = bytearray(bitmap)
    changed[byte] |= mask
    return bytes(changed), _gain(taken)


def _slot(digest: bytes) -> int:
    return int.from_bytes(digest[-2:])


def _estimate(taken: int) -> int:
    """Distinct visitors most likely behind `taken` of SLOTS slots."""
    free = max(SLOTS - taken, 1)
    return math.floor(SLOTS * math.log(SLOTS / free) + 0.5)


def _gain(taken_before: int) -> int:
    """What taking one more slot adds to the day's estimate (1 while few are taken)."""
    return max(1, _estimate(taken_before + 1) - _estimate(taken_before))


# The same, run inside Redis so that app servers racing on one record lose nothing.
REDIS_TAKE = """
local key, digest = KEYS[1], ARGV[1]
local slots, bitmap_bytes, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function estimate(taken)
    local free = math.max(slots - taken, 1)
    return math.floor(slots * math.log(slots / free) + 0.5)
end
local record = redis.call("GET", key) or ""
if #record < bitmap_bytes then
    local at = string.find(record, digest, 1, true)
    while at and (at - 1) % 4 ~= 0 do
        at = string.find(record, digest, at + 1, true)
    end
    if at then return 0 end
    record = record .. digest
    if #record < bitmap_bytes then
        redis.call("SET", key, record, "EX", ttl)
        return 1
    end
    redis.call("SET", key, string.rep("\0", bitmap_bytes), "EX", ttl)
    for at = 1, #record, 4 do
        local high, low = string.byte(record, at + 2, at + 3)
        redis.call("SETBIT", key, high * 256 + low, 1)
    end
    return 1
end
local high, low = string.byte(digest, 3, 4)
if redis.call("SETBIT", key, high * 256 + low, 1) == 1 then return 0 end
local taken = redis.call("BITCOUNT", key) - 1
return math.max(1, estimate(taken + 1) - estimate(taken))
"""


def _redis_take(backend: RedisCache, key: str, digest: bytes) -> int:
    key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(key, write=True)
    script = client.register_script(REDIS_TAKE)
    return int(script(keys=[key], args=[digest, SLOTS, BITMAP_BYTES, RECORD_SECONDS]))
