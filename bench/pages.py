"""Server time of the reading pages on a generated archive (see bench/README.md).

    .venv/bin/python bench/pages.py [--works 10000] [--runs 50] [--small 500] [--keep]
    .venv/bin/python bench/pages.py --keep --profile "work (member)" [--profile …]

Each request goes through django.test.Client in this process: URL routing,
middleware, views, queries and template rendering, as a guest with the page
cache off (and again with it on: the "cached" column) and as a member (their
pages filled into the shell kept for every member), DEBUG off.
"""

# ruff: noqa: E402
import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "duster.settings"
os.environ["DUSTER_VAR_DIR"] = str(BENCH_DIR)  # own cache, static files and secret key
os.environ["DEBUG"] = "0"
OWN_SQLITE = "DATABASE_URL" not in os.environ
if OWN_SQLITE:
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"

import django

django.setup()

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.corpus import generate
from bench.databases import use_database
from duster.accounts.models import User
from duster.lib.sqlite import sqlite_refresh_statistics
from duster.tags.models import FilterTagging, Tag
from duster.works.models import (
    Chapter,
    Creatorship,
    Rating,
    Series,
    SeriesEntry,
    Work,
    WorkState,
    WorkTag,
)

LIMIT_MS = 25
PAGE_CACHE_SECONDS = settings.PAGE_CACHE_SECONDS
WARM_UP = 5
BASE_NAME = connection.settings_dict["NAME"]


def database_name(works: int, full: bool) -> str:
    if OWN_SQLITE:
        return str(BENCH_DIR / f"works-{works}.sqlite3")
    return str(BASE_NAME) if full else f"{BASE_NAME}_{works}"


def prepare(works: int, *, full: bool, keep: bool) -> float | None:
    """Migrate and fill the database for `works` works; the seconds it took,
    or None when --keep found it filled already."""
    name = database_name(works, full)
    use_database(name)
    if connection.vendor == "sqlite" and not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    # A corpus made before works had filter tags would time tag facets over nothing.
    if keep and Work.objects.count() == works and FilterTagging.objects.exists():
        return None
    call_command("flush", interactive=False, verbosity=0)
    start = time.perf_counter()
    generate(works)
    if connection.vendor == "postgresql":
        # Autovacuum would analyze a live archive this size within a minute.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        # What every `make run` start does (after migrate).
        sqlite_refresh_statistics()
    return time.perf_counter() - start


def pages() -> dict[str, tuple[str, str]]:
    """The pages to time, each with its URL and what it shows: the heaviest
    ones a guest can reach, with a series to show where a page can have one."""
    public = Work.objects.visible_to(None)
    in_series = Exists(SeriesEntry.objects.filter(work=OuterRef("pk")))
    work = (
        public.filter(rating__in=[Rating.GENERAL, Rating.TEEN], chapter_count__gte=3)
        .annotate(in_series=in_series)
        .order_by("-in_series", "-chapter_count", "pk")
        .first()
    )
    chapters = list(work.chapters.filter(posted=True))
    chapter = chapters[len(chapters) // 2]
    credited = Q(
        pseuds__creatorships__approved=True,
        pseuds__creatorships__work__state=WorkState.POSTED,
        pseuds__creatorships__work__restricted=False,
    )
    series_credits = Creatorship.objects.filter(series__isnull=False)
    has_series = Exists(series_credits.filter(pseud__user=OuterRef("pk")))
    creator = (
        User.objects.annotate(works=Count("pseuds__creatorships", filter=credited))
        .annotate(has_series=has_series)
        .order_by("-has_series", "-works", "pk")
        .first()
    )
    creators = (
        User.objects.annotate(works=Count("pseuds__creatorships", filter=credited))
        .filter(works__gt=0)
        .order_by("works", "pk")
    )
    typical = creators[creators.count() // 2]  # the median creator's output
    series = Series.objects.annotate(parts=Count("entries")).order_by("-parts", "pk").first()
    return {
        "work": (work.get_absolute_url(), f"{len(chapters)} chapters"),
        "chapter": (chapter.get_absolute_url(), f"{chapter.position} of {len(chapters)}"),
        "latest works": ("/works/", ""),
        "latest works, page 50": ("/works/?page=50", ""),
        "creator": (creator.get_absolute_url(), f"{creator.works} works"),
        "creator's works": (f"{creator.get_absolute_url()}works", ""),
        "typical creator": (typical.get_absolute_url(), f"{typical.works} works"),
        "typical creator's works": (f"{typical.get_absolute_url()}works", ""),
        "series": (series.get_absolute_url(), f"{series.parts} parts"),
        "home": ("/", ""),
        "work (member)": (work.get_absolute_url(), "logged in"),
        "chapter (member)": (chapter.get_absolute_url(), "logged in"),
    }


def member_client() -> Client:
    """A logged-in reader who is none of the works' creators."""
    user = User.objects.filter(username="bench_reader").first()
    if user is None:
        user = User.objects.create_user("bench_reader", "bench_reader@example.com", "x" * 12)
    client = Client()
    client.force_login(user)
    return client


def get(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200 or b'class="notice adult' in response.content:
        raise SystemExit(f"{url} answered {response.status_code}, not the page itself")


def measure(
    url: str, runs: int, *, member: bool = False, page_cache: bool = False
) -> tuple[list[float], list[float], int]:
    """Milliseconds of `runs` requests after a warm-up, on the clock and in
    this process's CPU time, and the queries of one request. Guests' pages are
    rendered each time (the page cache off) unless `page_cache`; members'
    pages as members get them, filled into the shell kept for every member
    (duster.lib.memberpages), which that setting turns on too."""
    settings.PAGE_CACHE_SECONDS = PAGE_CACHE_SECONDS if page_cache or member else 0
    client = member_client() if member else Client()
    for _ in range(WARM_UP):
        get(client, url)
    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    queries = len(captured)  # now: the next request empties the log
    times, cpu_times = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        get(client, url)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu_start) * 1000)
    return times, cpu_times, queries


class Timers:
    """CPU time spent in groups of functions, counting only the outermost
    call of each group (a query inside a query's iteration counts once)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.depth: dict[str, int] = {}
        self.restore: list[tuple[object, str, object]] = []

    def wrap(self, group: str, owner: object, name: str) -> None:
        original = getattr(owner, name)
        self.spent.setdefault(group, 0.0)
        self.depth.setdefault(group, 0)

        def timed(*args, **kwargs):
            if self.depth[group]:
                return original(*args, **kwargs)
            self.depth[group] += 1
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[group] += time.process_time() - start
                self.depth[group] -= 1

        self.restore.append((owner, name, original))
        setattr(owner, name, timed)

    def undo(self) -> None:
        for owner, name, original in reversed(self.restore):
            setattr(owner, name, original)


def _timers() -> Timers:
    from django.contrib import auth
    from django.contrib.sessions.backends.base import SessionBase
    from django.core.handlers.base import BaseHandler
    from django.db.backends.utils import CursorWrapper
    from django.db.models.query import QuerySet
    from django.db.models.sql.compiler import SQLCompiler
    from django.db.models.sql.query import Query
    from django.template.backends.django import Template

    timers = Timers()
    timers.wrap("view, incl. its template", BaseHandler, "_get_response")
    timers.wrap("template rendering", Template, "render")
    for owner, name in ((Query, "add_q"), (QuerySet, "_clone"), (QuerySet, "prefetch_related")):
        timers.wrap("ORM: building queries", owner, name)
    for owner, name in (
        (QuerySet, "_fetch_all"),
        (Query, "get_aggregation"),
        (Query, "has_results"),
        (SQLCompiler, "execute_sql"),
    ):
        timers.wrap("ORM: running queries (incl. SQL)", owner, name)
    for name in ("execute", "executemany"):
        timers.wrap("SQL (execute + fetch)", CursorWrapper, name)
    if connection.vendor == "sqlite":
        from django.db.backends.sqlite3.base import SQLiteCursorWrapper

        for name in ("fetchone", "fetchmany", "fetchall"):  # the rows come from here
            timers.wrap("SQL (execute + fetch)", SQLiteCursorWrapper, name)
    timers.wrap("session load", SessionBase, "_get_session")
    timers.restore.append((SessionBase, "_session", SessionBase._session))
    SessionBase._session = property(SessionBase._get_session)  # type: ignore[assignment]
    timers.wrap("user load (auth.get_user)", auth, "get_user")
    return timers


def profile(url: str, runs: int, *, member: bool) -> None:
    """Where `runs` requests' CPU time goes, per request: timers round the
    parts (little overhead), then cProfile's list of the costliest functions
    (whose overhead inflates Python-heavy parts such as templates). Guests'
    pages rendered each time, members' filled into their shell (as measure)."""
    settings.PAGE_CACHE_SECONDS = PAGE_CACHE_SECONDS if member else 0
    timers = _timers()  # before the client's handler takes its methods
    client = member_client() if member else Client()
    for _ in range(WARM_UP):
        get(client, url)
    timers.spent = dict.fromkeys(timers.spent, 0.0)
    start = time.process_time()
    try:
        for _ in range(runs):
            get(client, url)
    finally:
        timers.undo()
    whole = (time.process_time() - start) * 1000 / runs
    view = timers.spent["view, incl. its template"] * 1000 / runs
    print(f"  {'whole request':<30}{whole:>7.2f} ms")
    print(f"  {'middleware (whole - view)':<30}{whole - view:>7.2f} ms")
    for label, seconds in timers.spent.items():
        ms = seconds * 1000 / runs
        print(f"  {label:<30}{ms:>7.2f} ms  {100 * ms / whole:>5.1f} %")
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(runs):
        get(client, url)
    profiler.disable()
    print("  cProfile, most time of their own:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def corpus_line(label: str, seconds: float | None) -> str:
    works, chapters, tags, rows = (m.objects.count() for m in (Work, Chapter, Tag, WorkTag))
    took = "reused (--keep)" if seconds is None else f"generated in {seconds:.1f} s"
    return (
        f"{label:<6}{works:>7} works{chapters:>8} chapters{tags:>7} tags"
        f"{rows:>8} work-tag rows, {took}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=10_000, help="works in the full corpus")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per page")
    parser.add_argument("--small", type=int, default=500, help="works in the small corpus")
    parser.add_argument("--keep", action="store_true", help="reuse generated databases")
    parser.add_argument(
        "--profile", action="append", metavar="PAGE", help="profile this page (a name below)"
    )
    args = parser.parse_args()
    if args.profile:
        prepare(args.works, full=True, keep=True)
        cache.clear()
        found = pages()
        for name in args.profile:
            url = found[name][0]
            print(f"{name}: {url}, {args.runs} requests, per request (CPU time, cProfile)")
            profile(url, args.runs, member="member" in name)
        return

    call_command("collectstatic", interactive=False, verbosity=0)  # as `make run` does
    print(f"Database: {connection.vendor}, DEBUG off, {args.runs} timed requests per page")
    small_queries = {}
    seconds = prepare(args.small, full=False, keep=args.keep)
    print(corpus_line("small", seconds))
    cache.clear()
    for name, (url, _) in pages().items():
        small_queries[name] = measure(url, 0, member="member" in name)[2]
    seconds = prepare(args.works, full=True, keep=args.keep)
    print(corpus_line("full", seconds))
    cache.clear()

    header = f"{'page (ms)':<25}{'median':>7}{'p90':>7}{'min':>7}{'cpu':>7}{'cached':>7}"
    print(f"\n{header}   queries at {args.small} / {args.works} works")
    failures = []
    for name, (url, note) in pages().items():
        member = "member" in name
        times, cpu_times, queries = measure(url, args.runs, member=member)
        median = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1]
        before = small_queries[name]
        hit = "-"
        if not member:
            hit = f"{statistics.median(measure(url, args.runs, page_cache=True)[0]):.2f}"
        print(
            f"{name:<25}{median:>7.1f}{p90:>7.1f}{min(times):>7.1f}"
            f"{statistics.median(cpu_times):>7.1f}{hit:>7}"
            f"   {before:>3} / {queries:<3}  {url} {note}"
        )
        if median > LIMIT_MS:
            failures.append(f"{name} median {median:.1f} ms")
        if queries != before:
            failures.append(f"{name} queries {before} -> {queries}")
    verdict = "PASS" if not failures else "FAIL: " + "; ".join(failures)
    print(f"\n{verdict} (median ≤ {LIMIT_MS} ms per page, same query count at both sizes)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
