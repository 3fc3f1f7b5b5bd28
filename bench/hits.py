"""A new visitor's hit-record time as the cache fills up (see bench/README.md).

    .venv/bin/python bench/hits.py [--sizes 0,100000,1000000] [--file-max 100000] [--runs 300]

For each cache backend, the cache is filled with that many earlier entries
(blurb-sized values, as a running archive holds), then `work_record_hit` is
timed for --runs visitors seen for the first time today: the day's record
in the cache plus the Work.hits update in SQLite. "record" is the cache
part alone. Backends: Django's file cache (the old default, filled at most
to --file-max entries since each one is a file), the SQLite cache in var/
(the default now), and Redis when REDIS_URL is set.
"""

# ruff: noqa: E402
import argparse
import os
import shutil
import statistics
import sys
import time
import uuid
from itertools import batched
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench-hits"
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "duster.settings"
os.environ["DUSTER_VAR_DIR"] = str(BENCH_DIR)
os.environ["DEBUG"] = "0"
os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
REDIS_URL = os.environ.pop("REDIS_URL", "")

import django

django.setup()

from django.core.cache import caches
from django.core.management import call_command
from django.test.utils import override_settings

from duster.works.models import Work
from duster.works.services.hits import hit_remember, work_record_hit

FILL_CHUNK = 10_000
VALUE = "x" * 1200  # about a rendered blurb


def backends(file_max: int) -> list[tuple[str, dict, int]]:
    found = [
        (
            "file (Django)",
            {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(BENCH_DIR / "file-cache"),
                # Above every fill: what is timed is the listing, not a cull.
                "OPTIONS": {"MAX_ENTRIES": 10_000_000},
            },
            file_max,
        ),
        (
            "sqlite (duster)",
            {
                "BACKEND": "duster.lib.cache.SQLiteCache",
                "LOCATION": str(BENCH_DIR / "cache.sqlite3"),
                "OPTIONS": {"MAX_ENTRIES": 10_000_000},
            },
            sys.maxsize,
        ),
    ]
    if REDIS_URL:
        found.append(
            (
                "redis",
                {
                    "BACKEND": "duster.lib.cache.RedisCache",
                    "LOCATION": REDIS_URL,
                    "KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
                },
                100_000,  # a shared server: time does not depend on the fill anyway
            )
        )
    return found


def fill(cache, start: int, stop: int) -> None:
    """Add entries start..stop-1, skipping the file cache's per-write cull."""
    if hasattr(cache, "_cull"):
        cache._cull = lambda: None
    for first in range(start, stop, FILL_CHUNK):
        keys = range(first, min(first + FILL_CHUNK, stop))
        cache.set_many({f"blurb:{key}": VALUE for key in keys}, timeout=86400)
    if hasattr(cache, "_cull"):
        del cache._cull


def measure(work: Work, runs: int) -> tuple[list[float], list[float]]:
    whole, record = [], []
    for _ in range(runs):
        visitor = f"guest:bench-{uuid.uuid4().hex}"
        started = time.perf_counter()
        work_record_hit(work_pk=work.pk, visitor=visitor)
        whole.append((time.perf_counter() - started) * 1000)
        # The cache part alone, on a record of its own (no such work: no row to update).
        started = time.perf_counter()
        hit_remember(work_pk=-work.pk, visitor=visitor)
        record.append((time.perf_counter() - started) * 1000)
    return whole, record


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[int(len(ordered) * 0.9)]
    return f"{statistics.median(ordered):8.2f} {p90:8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,100000,1000000", help="cache entries before")
    parser.add_argument("--file-max", type=int, default=100_000, help="largest file-cache fill")
    parser.add_argument("--runs", type=int, default=300, help="new visitors timed per size")
    arguments = parser.parse_args()
    sizes = sorted(int(size) for size in arguments.sizes.split(","))

    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    call_command("migrate", verbosity=0)
    work = Work.objects.create(title="Lamplight", rating="general")

    print(f"new visitor's hit, {arguments.runs} visitors per row, milliseconds")
    print(f"{'':35}{'whole hit':^17}     {'cache record':^17}")
    columns = f"{'median':>8} {'p90':>8}"
    print(f"{'cache':16} {'entries':>10} {'fill s':>7}   {columns}     {columns}")
    for name, config, most in backends(arguments.file_max):
        with override_settings(CACHES={"default": config}):
            cache = caches["default"]
            filled = 0
            try:
                for size in sizes:
                    if size > most:
                        print(f"{name:16} {size:>10,}   (skipped: at most {most:,} here)")
                        continue
                    started = time.perf_counter()
                    fill(cache, filled, size)
                    fill_seconds = time.perf_counter() - started
                    filled = size
                    whole, record = measure(work, arguments.runs)
                    print(
                        f"{name:16} {size:>10,} {fill_seconds:7.1f}   "
                        f"{summary(whole)}     {summary(record)}",
                        flush=True,
                    )
            finally:
                empty(cache, config)
    shutil.rmtree(BENCH_DIR, ignore_errors=True)


def empty(cache, config: dict) -> None:
    """Remove what the run wrote; on Redis only its own keys (clear() would
    empty the whole database, other programs' keys too)."""
    prefix = config.get("KEY_PREFIX")
    if not prefix:
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    for keys in batched(client.scan_iter(match=f"{prefix}:*", count=10_000), 10_000):
        client.delete(*keys)


if __name__ == "__main__":
    main()
