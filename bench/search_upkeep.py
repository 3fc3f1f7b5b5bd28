"""Is the search current while works are posted? (see bench/README.md)

    .venv/bin/python -m bench.search_upkeep [--works 100000] [--database sqlite|postgres]
        [--keep] [--rate 10] [--seconds 30]

This process posts `--rate` works a second for `--seconds` seconds through
`work_create(post=True)`, each with its first chapter and a word of its own
in the title and as an additional tag. Another process (forked, with its own
connection and filter index, like a second app server) searches all the
while: the benchmark's filtered query with facets over and over, and after
each post the new work by its word (full text) and by its fandom and its
own tag (filters). It reports the posting time, the search time while
posting, and how many searches it took to find each new work: 1 means the
first search started after the post found it.
"""

# ruff: noqa: E402
import argparse
import multiprocessing
import queue
import random
import statistics
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from django.db import connection, transaction

from bench.search import ARGS, Query, percentiles, pools, prepare, query_mix, reader, search
from duster.accounts.models import User
from duster.accounts.mutes import NO_MUTES
from duster.search.params import WorkSearch
from duster.search.service import search_works
from duster.works.services.works import work_create

parser = argparse.ArgumentParser()
parser.add_argument("--rate", type=float, default=10, help="works posted per second")
parser.add_argument("--seconds", type=float, default=30, help="how long to post")
UPKEEP, _ = parser.parse_known_args()
FIND_WAIT = 10  # seconds after the last post for the searcher to find the last works


def poster() -> User:
    user = User.objects.filter(username="bench_poster").first()
    if user is None:
        user = User.objects.create_user("bench_poster", "bench_poster@example.com", "x" * 12)
    return user


def word(number: int, run: int) -> str:
    """A word no generated text has: letters only, so every tokenizer keeps it whole."""
    return "zqx" + "".join(chr(97 + int(d)) for d in f"{run:06d}{number:05d}")


def found(params: dict[str, list[str]], work_id: int, member: User) -> bool:
    results = search_works(WorkSearch.from_query(params), member, facet_types=(), mutes=NO_MUTES)
    return any(work.pk == work_id for work in results.works)


def searcher(posted: Queue, report: Queue, ready: Event, stop: Event) -> None:
    """Search until told to stop (and every posted work was found, or
    FIND_WAIT seconds passed); report the times and the tries."""
    member = reader()
    rng = random.Random(2)
    draw = query_mix(pools(), rng)["2 include, exclude, rating, complete, kudos"][1]
    search(Query({}), member)  # build this process's filter index before timing
    ready.set()
    waiting: dict[int, dict] = {}
    done: list[dict] = []
    times: list[float] = []
    stopped_at = None
    while True:
        while not posted.empty():
            work_id, title_word, fandom, at = posted.get()
            waiting[work_id] = {"word": title_word, "fandom": fandom, "at": at}
            waiting[work_id].update(text_tries=0, tag_tries=0, text_lag=None, tag_lag=None)
        if stop.is_set():
            stopped_at = stopped_at or time.time()
            if not waiting or time.time() - stopped_at > FIND_WAIT:
                break
        times.append(search(draw(), member)[0])
        for work_id, entry in list(waiting.items()):
            started = time.time()
            for kind, params in (
                ("text", {"q": [entry["word"]]}),
                ("tag", {"include": [entry["fandom"], entry["word"]]}),
            ):
                if entry[f"{kind}_lag"] is None:
                    entry[f"{kind}_tries"] += 1
                    if found(params, work_id, member):
                        entry[f"{kind}_lag"] = started - entry["at"]
            if entry["text_lag"] is not None and entry["tag_lag"] is not None:
                done.append(waiting.pop(work_id))
    report.put((times, done, list(waiting.values())))


def main() -> None:
    prepare(ARGS.works, keep=ARGS.keep)
    fandom = pools().fandoms[0]
    pseud = poster().default_pseud
    run = int(time.time()) % 1_000_000
    context = multiprocessing.get_context("fork")
    posted, report = context.Queue(), context.Queue()
    ready, stop = context.Event(), context.Event()
    connection.close()  # the searcher opens its own
    child = context.Process(target=searcher, args=(posted, report, ready, stop), daemon=True)
    child.start()
    ready.wait()  # while it builds its filter index
    latencies = []
    count = int(UPKEEP.rate * UPKEEP.seconds)
    start = time.perf_counter()
    for number in range(count):
        time.sleep(max(0.0, start + number / UPKEEP.rate - time.perf_counter()))
        title_word = word(number, run)
        began = time.perf_counter()
        with transaction.atomic():
            work = work_create(
                pseuds=[pseud],
                fields={
                    "title": f"The {title_word} harbor",
                    "rating": "teen",
                    "warnings": ["none"],
                    "language": "en",
                    "expected_chapters": 1,
                },
                tags={"fandoms": [fandom], "freeforms": ["Fluff", title_word]},
                chapter={"title": "", "body": f"<p>A lantern for {title_word} at dusk.</p>"},
                post=True,
            )
        latencies.append((time.perf_counter() - began) * 1000)
        posted.put((work.pk, title_word, fandom, time.time()))
    behind = time.perf_counter() - start - count / UPKEEP.rate
    stop.set()
    while True:
        try:
            times, done, missing = report.get(timeout=5)
            break
        except queue.Empty:
            if not child.is_alive():
                raise SystemExit("The searching process failed (its traceback is above).") from None
    child.join()
    print(f"Database: {connection.vendor}, {ARGS.works:,} works; posting into “{fandom}”")
    p50, p95, p99 = percentiles(latencies)
    print(
        f"Posted {count} works at {UPKEEP.rate:g}/s "
        f"({'on schedule' if behind < 0.5 else f'{behind:.1f} s behind schedule'}): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms"
    )
    p50, p95, p99 = percentiles(times)
    print(
        f"Searches while posting (filtered, facets): {len(times)}, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"
    )
    for kind in ("text", "tag"):
        first = sum(1 for entry in done if entry[f"{kind}_tries"] == 1)
        lags = [entry[f"{kind}_lag"] * 1000 for entry in done]
        lag = f"lag p50 {statistics.median(lags):.0f} ms, max {max(lags):.0f} ms" if lags else ""
        print(f"Found by {kind}: {first}/{count} by the first search after posting; {lag}")
    if missing:
        print(f"NOT FOUND within {FIND_WAIT} s after posting ended: {len(missing)} works")
        for entry in missing:
            print(f"  {entry}")


if __name__ == "__main__":
    main()
