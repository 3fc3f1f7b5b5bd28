"""Search time for a fixed mix of queries on a generated archive (see bench/README.md).

    .venv/bin/python -m bench.search [--works 100000] [--runs 50]
        [--database sqlite|postgres] [--keep] [--only TEXT]

Each query kind runs `--runs` times with tags drawn from the corpus by a
seeded generator (the same draws every time), through `search_works`: the
page, the exact count, the facets and the page's works loaded for blurbs.
Two kinds are also requested as pages (/works/search) through Django's test
client. Targets from the search issue: p95 ≤ 100 ms for filter queries with
facets, ≤ 200 ms for full-text queries.
"""

# ruff: noqa: E402
import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--works", type=int, default=100_000, help="works in the corpus")
parser.add_argument("--runs", type=int, default=50, help="timed searches per query kind")
parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
parser.add_argument("--keep", action="store_true", help="reuse the corpus made last time")
parser.add_argument(
    "--only", default="", help="time only the kinds whose name has this in it (e.g. text)"
)
ARGS, _ = parser.parse_known_args()  # bench.search_upkeep shares these (and adds its own)

sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "duster.settings"
os.environ["DUSTER_VAR_DIR"] = str(BENCH_DIR)  # own cache, static files and secret key
os.environ["DEBUG"] = "0"
if ARGS.database == "sqlite":
    DATABASE_NAME = str(BENCH_DIR / f"search-{ARGS.works}.sqlite3")
    os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE_NAME}"
else:
    DATABASE_NAME = f"duster_bench_search_{ARGS.works}"
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DATABASE_NAME}"

import django

django.setup()

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client

from bench.databases import use_database
from duster.accounts.models import User
from duster.accounts.mutes import NO_MUTES, Mutes
from duster.search.corpus import PHRASES, WORDS
from duster.search.params import WorkSearch
from duster.search.service import FACET_TYPES, search_works
from duster.tags.models import FilterTagging, TagFandom, TagType
from duster.works.models import Work

SEED = 1
WARM_UP = 3
FILTER_P95_MS = 100
TEXT_P95_MS = 200


def prepare(works: int, *, keep: bool) -> tuple[float, float] | None:
    """Migrate and fill the benchmark's database with `works` works and index
    them: (seconds generating, seconds indexing), or None when --keep found
    the corpus made already."""
    use_database(DATABASE_NAME)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite" and not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(DATABASE_NAME + suffix).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    # bench.search_upkeep adds a few hundred works to a kept corpus each run.
    if keep and works <= Work.objects.count() < works + 10_000:
        return None
    call_command("flush", interactive=False, verbosity=0)
    start = time.perf_counter()
    call_command("generate_corpus", works=works, seed=SEED, no_index=True)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    call_command("rebuild_search_index")
    return generated, time.perf_counter() - start


@dataclass
class Pools:
    """What the queries draw from: the corpus's most used tags."""

    fandoms: list[str]
    relationships: dict[str, list[str]]  # of each fandom, by use
    freeforms: list[str]
    muted: list[int]  # canonical tags a reader might mute


def _most_used(tag_type: str, n: int, among: list[int] | None = None) -> list[tuple[int, str]]:
    rows = FilterTagging.objects.filter(tag_type=tag_type)
    if among is not None:
        rows = rows.filter(tag_id__in=among)
    top = rows.values("tag_id", "tag__name").annotate(n=Count("id")).order_by("-n", "tag_id")
    return [(row["tag_id"], row["tag__name"]) for row in top[:n]]


def pools() -> Pools:
    relationships = {}
    # The biggest fandoms with relationships of their own (not all-media meta tags).
    for fandom_id, name in _most_used(TagType.FANDOM, 12):
        own = TagFandom.objects.filter(fandom_id=fandom_id, tag__type=TagType.RELATIONSHIP)
        ids = list(own.values_list("tag_id", flat=True))
        if ids and len(relationships) < 5:
            relationships[name] = [n for _, n in _most_used(TagType.RELATIONSHIP, 5, ids)]
    freeforms = _most_used(TagType.FREEFORM, 60)
    characters = _most_used(TagType.CHARACTER, 40)
    return Pools(
        fandoms=list(relationships),
        relationships=relationships,
        freeforms=[name for _, name in freeforms[:10]],
        muted=[tag_id for tag_id, _ in freeforms[10:] + characters],
    )


@dataclass
class Query:
    params: dict[str, list[str]]
    member: bool = False
    mutes: Mutes = NO_MUTES

    @property
    def url(self) -> str:
        return f"/works/search?{urlencode(self.params, doseq=True)}"


# Phrases of the corpus's most used words (duster.search.corpus.FUNCTION_WORDS).
COMMON_PHRASES = ["she said", "in the", "it was", "and the", "he was", "of her", "to the", "at the"]


def query_mix(p: Pools, rng: random.Random) -> dict[str, tuple[int, Callable[[], Query]]]:
    """Each kind of query: its p95 target in ms, and how to draw one."""

    def two_tags() -> Query:
        fandom = rng.choice(p.fandoms)
        return Query(
            {
                "include": [fandom, rng.choice(p.relationships[fandom])],
                "exclude": [rng.choice(p.freeforms)],
                "rating": [rng.choice(["general", "teen", "mature", "explicit"])],
                "complete": ["1"],
                "sort": ["kudos"],
            }
        )

    def text_and_filters() -> Query:
        return Query(
            {
                "q": [" ".join(rng.sample(WORDS, 2))],
                "include": [rng.choice(p.fandoms)],
                "complete": [rng.choice(["0", "1"])],
                "sort": ["kudos"],
            }
        )

    return {
        "one include tag": (FILTER_P95_MS, lambda: Query({"include": [rng.choice(p.fandoms)]})),
        "2 include, exclude, rating, complete, kudos": (FILTER_P95_MS, two_tags),
        "text phrase": (TEXT_P95_MS, lambda: Query({"q": [f'"{rng.choice(PHRASES)}"']})),
        "text + filters": (TEXT_P95_MS, text_and_filters),
        "page 200 of a big fandom": (
            FILTER_P95_MS,
            lambda: Query({"include": [rng.choice(p.fandoms[:2])], "page": ["200"]}),
        ),
        "member with 20 muted tags": (
            FILTER_P95_MS,
            lambda: Query({}, member=True, mutes=Mutes(tag_ids=frozenset(rng.sample(p.muted, 20)))),
        ),
        # Words every story uses: the phrase is in a large share of the works.
        "text phrase of common words": (
            TEXT_P95_MS,
            lambda: Query({"q": [f'"{rng.choice(COMMON_PHRASES)}"']}),
        ),
    }


def reader() -> User:
    user = User.objects.filter(username="bench_reader").first()
    if user is None:
        user = User.objects.create_user("bench_reader", "bench_reader@example.com", "x" * 12)
    return user


def search(query: Query, member: User) -> tuple[float, int]:
    """Milliseconds of one search as a view makes it, and how many works it found."""
    viewer = member if query.member else AnonymousUser()
    start = time.perf_counter()
    results = search_works(
        WorkSearch.from_query(query.params), viewer, facet_types=FACET_TYPES, mutes=query.mutes
    )
    return (time.perf_counter() - start) * 1000, results.total


def fetch(client: Client, query: Query) -> float:
    start = time.perf_counter()
    response = client.get(query.url)
    if response.status_code != 200:
        raise SystemExit(f"{query.url} answered {response.status_code}")
    return (time.perf_counter() - start) * 1000


def percentiles(times: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def main() -> None:
    prepared = prepare(ARGS.works, keep=ARGS.keep)
    settings.PAGE_CACHE_SECONDS = 0  # every page rendered, as for a member
    cache.clear()
    if prepared is None:
        made = "reused (--keep)"
    else:
        made = f"generated in {prepared[0]:.0f} s, indexed in {prepared[1]:.0f} s"
    print(f"Database: {connection.vendor}, {Work.objects.count():,} works ({made})")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            # The text phrases read tens of thousands of rows' pages: from
            # PostgreSQL's own buffers, or else from the system's cache.
            print(f"PostgreSQL shared_buffers: {cursor.fetchone()[0]}")
    member = reader()
    p = pools()
    start = time.perf_counter()
    search(Query({}), member)  # the first search builds the process's filter index
    print(f"First search (builds the filter index): {time.perf_counter() - start:.1f} s")
    print(f"Each kind {ARGS.runs} times after {WARM_UP} warm-up searches, in ms:\n")
    header = f"{'query':<52}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>7}  {'target':>7}  found"
    print(header)
    failures = []
    rng = random.Random(SEED)
    mix = query_mix(p, rng)
    for name, (target, draw) in mix.items():
        if ARGS.only not in name:
            continue
        for _ in range(WARM_UP):
            search(draw(), member)
        timed = [search(draw(), member) for _ in range(ARGS.runs)]
        times = [ms for ms, _ in timed]
        found = statistics.median(total for _, total in timed)
        p50, p95, p99 = percentiles(times)
        print(
            f"{name:<52}{p50:>7.1f}{p95:>7.1f}{p99:>7.1f}{max(times):>7.1f}"
            f"  ≤{target:>5}  {found:,.0f}"
        )
        if p95 > target:
            failures.append(f"{name} p95 {p95:.0f} ms")
        if not found:
            failures.append(f"{name} found nothing (is the text index built?)")
    client = Client()
    for name in ("2 include, exclude, rating, complete, kudos", "text phrase"):
        if ARGS.only not in name:
            continue
        target, draw = mix[name]
        for _ in range(WARM_UP):
            fetch(client, draw())
        times = [fetch(client, draw()) for _ in range(ARGS.runs)]
        p50, p95, p99 = percentiles(times)
        label = f"page: {name}"
        print(f"{label:<52}{p50:>7.1f}{p95:>7.1f}{p99:>7.1f}{max(times):>7.1f}  (page)")
    verdict = "PASS" if not failures else "FAIL: " + "; ".join(failures)
    print(f"\n{verdict} (p95 ≤ {FILTER_P95_MS} ms filtering, ≤ {TEXT_P95_MS} ms text)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
