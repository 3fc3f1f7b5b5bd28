"""Duster's Django caches: one SQLite file shared by every process on one
machine (the default), and Django's Redis cache made cheaper per call (below)
for several machines.

The SQLite cache:

Django's file cache lists its whole folder on every write to decide whether
to cull, so each write slows down as entries grow (165 ms at 100,000 files).
Here every operation is an index lookup; the number of entries is kept by
triggers, and culling removes a small batch of the soonest-expiring entries
at a time, so a write costs the same at a thousand entries or a million.

    "BACKEND": "duster.lib.cache.SQLiteCache",
    "LOCATION": "/path/to/cache.sqlite3",
    "OPTIONS": {"MAX_ENTRIES": 1_000_000},
"""

import os
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# Stands for "never expires": far beyond any real time, exact as a float.
FOREVER = float(2**53)
# Entries removed per cull once MAX_ENTRIES is passed, and expired entries
# swept every 16th write: small enough that no write holds the lock for long.
CULL_BATCH = 64
# How long a statement waits for another process's write lock, in seconds.
BUSY_TIMEOUT = 5.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entry (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS cache_entry_expires ON cache_entry (expires);
CREATE TABLE IF NOT EXISTS cache_count (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    entries INTEGER NOT NULL
);
INSERT OR IGNORE INTO cache_count (id, entries) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS cache_entry_added AFTER INSERT ON cache_entry
BEGIN UPDATE cache_count SET entries = entries + 1 WHERE id = 1; END;
"""
REMOVED_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS cache_entry_removed AFTER DELETE ON cache_entry
BEGIN UPDATE cache_count SET entries = entries - 1 WHERE id = 1; END
"""

UPSERT = (
    "INSERT INTO cache_entry (key, value, expires) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires"
)


class SQLiteCache(BaseCache):
    """Values are pickled, as in Django's own backends. `atomic_update` reads,
    changes and writes one entry under SQLite's write lock, for state that
    several processes change at once (the hit counter's daily records)."""

    def __init__(self, location: str, params: dict) -> None:
        super().__init__(params)
        self._path = Path(location)
        self._local = threading.local()
        self._writes = 0

    # --- connection ------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This thread's connection; a forked process opens its own."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection = self._connect()
            local.pid = os.getpid()
        return local.connection

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT, isolation_level=None)
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.execute("PRAGMA journal_mode=WAL")
        # A cache may lose its last writes in a power cut; it must not wait for the disk.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
        connection.execute(REMOVED_TRIGGER)
        return connection

    def close(self, **kwargs: Any) -> None:
        # Django closes caches after every request; the connection is kept,
        # since opening one costs more than most cache reads.
        pass

    def validate_key(self, key: str) -> None:
        """Any text is a valid key here: no memcached warnings to look for on each read."""

    # --- reads -----------------------------------------------------------------------------

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        row = (
            self._db()
            .execute(
                "SELECT value FROM cache_entry WHERE key = ? AND expires > ?", (key, time.time())
            )
            .fetchone()
        )
        return default if row is None else pickle.loads(row[0])  # noqa: S301 - our own file

    def get_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        """One statement per 500 keys (a cached page checks its versions with one)."""
        wanted = {self.make_and_validate_key(key, version=version): key for key in keys}
        made = list(wanted)
        found: dict[str, Any] = {}
        for start in range(0, len(made), 500):
            batch = made[start : start + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db().execute(
                f"SELECT key, value FROM cache_entry WHERE key IN ({marks}) AND expires > ?",  # noqa: S608 - placeholders only
                (*batch, time.time()),
            )
            for key, value in rows:
                found[wanted[key]] = pickle.loads(value)  # noqa: S301 - our own file
        return found

    def has_key(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        row = (
            self._db()
            .execute("SELECT 1 FROM cache_entry WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return row is not None

    # --- writes ----------------------------------------------------------------------------

    def _expires(self, timeout: float | None) -> float:
        expires = self.get_backend_timeout(timeout)
        return FOREVER if expires is None else expires

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        expires = self._expires(timeout)
        db = self._db()
        if expires <= time.time():
            db.execute("DELETE FROM cache_entry WHERE key = ?", (key,))
            return
        db.execute(UPSERT, (key, _dumps(value), expires))
        self._after_write()

    def set_many(
        self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list:
        expires = self._expires(timeout)
        rows = [
            (self.make_and_validate_key(key, version=version), _dumps(value))
            for key, value in data.items()
        ]
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            if expires <= time.time():
                db.executemany("DELETE FROM cache_entry WHERE key = ?", [(k,) for k, _ in rows])
            else:
                db.executemany(UPSERT, [(k, v, expires) for k, v in rows])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self._after_write()
        return []

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        now = time.time()
        expires = self._expires(timeout)
        # Written only where no live entry holds the key: one statement, so two
        # processes adding the same key at once cannot both succeed.
        cursor = self._db().execute(
            UPSERT + " WHERE cache_entry.expires <= ?", (key, _dumps(value), expires, now)
        )
        added = cursor.rowcount > 0
        if added and expires <= now:
            self._db().execute("DELETE FROM cache_entry WHERE key = ?", (key,))
        elif added:
            self._after_write()
        return added

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        cursor = self._db().execute(
            "UPDATE cache_entry SET expires = ? WHERE key = ? AND expires > ?",
            (self._expires(timeout), key, time.time()),
        )
        return cursor.rowcount > 0

    def delete(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        cursor = self._db().execute("DELETE FROM cache_entry WHERE key = ?", (key,))
        return cursor.rowcount > 0

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        def change(value: Any) -> tuple[Any, Any]:
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            return value + delta, value + delta

        return self.atomic_update(key, change, timeout=None, version=version, keep_expiry=True)

    def clear(self) -> None:
        # Without the trigger SQLite drops the table's pages wholesale instead
        # of deleting row by row: still seconds at a million entries, a third less.
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DROP TRIGGER cache_entry_removed")
            db.execute("DELETE FROM cache_entry")
            db.execute("UPDATE cache_count SET entries = 0 WHERE id = 1")
            db.execute(REMOVED_TRIGGER)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def atomic_update(
        self,
        key: str,
        change: Callable[[Any], tuple[Any, Any]],
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        keep_expiry: bool = False,
    ) -> Any:
        """Call change(current value or None) under the write lock; it returns
        (value to store or None to leave the entry alone, result). Returns result."""
        key = self.make_and_validate_key(key, version=version)
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            row = db.execute(
                "SELECT value, expires FROM cache_entry WHERE key = ? AND expires > ?", (key, now)
            ).fetchone()
            current = None if row is None else pickle.loads(row[0])  # noqa: S301 - our own file
            new, result = change(current)
            if new is not None:
                expires = row[1] if keep_expiry and row else self._expires(timeout)
                db.execute(UPSERT, (key, _dumps(new), expires))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if new is not None:
            self._after_write()
        return result

    # --- upkeep ----------------------------------------------------------------------------

    def entry_count(self) -> int:
        """Entries stored, expired ones not yet swept included."""
        return self._db().execute("SELECT entries FROM cache_count WHERE id = 1").fetchone()[0]

    def _after_write(self) -> None:
        """Sweep a few expired entries now and then, and cull past MAX_ENTRIES:
        each a bounded delete along the expiry index, never a scan."""
        self._writes += 1
        db = self._db()
        if self._writes % 16 == 0:
            db.execute(
                "DELETE FROM cache_entry WHERE key IN "
                "(SELECT key FROM cache_entry WHERE expires <= ? ORDER BY expires LIMIT ?)",
                (time.time(), CULL_BATCH),
            )
        excess = self.entry_count() - self._max_entries
        if excess > 0:
            # The soonest to expire go first; expired ones are the soonest of all.
            db.execute(
                "DELETE FROM cache_entry WHERE key IN "
                "(SELECT key FROM cache_entry ORDER BY expires LIMIT ?)",
                (min(excess + CULL_BATCH, 4 * CULL_BATCH),),
            )


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


class _RedisCacheClient(DjangoRedisCacheClient):
    """Django's client, keeping one redis.Redis per connection pool: Django
    makes a new one for every operation, and building it (its table of reply
    handlers) cost about 0.1 ms of CPU per call here (bench/README.md)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own helpers, which its stubs leave out.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with `_RedisCacheClient`, for several app servers:

    "BACKEND": "duster.lib.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0",
    """

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = _RedisCacheClient
