"""Duster under load: `make run`'s server (granian, 2 workers) on a generated
archive, driven by wrk against the pages guests and members read most and a
static file of the same server, targets interleaved over rounds.

    .venv/bin/python -m bench.load [--works 10000] [--keep] [-d 10] [-c 32] [-t 2] [--rounds 3]
"""

import argparse
import sys

from bench.load.setup import django_setup
from bench.load.wrk import Load, goal, no_problems, ratio_of

GUEST_P99_MS = 50
STATIC_RATIO = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--works", type=int, default=10_000, help="works in the corpus")
    parser.add_argument("--keep", action="store_true", help="reuse the corpus made last time")
    parser.add_argument("-d", "--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("-c", "--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("-t", "--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all targets")
    parser.add_argument("--warm-up", type=int, default=2, help="seconds of wrk per target first")


def load_from(args: argparse.Namespace) -> Load:
    return Load(args.threads, args.connections, args.duration, args.rounds, args.warm_up)


def duster_goals(summaries: dict) -> bool:
    """The issue's goals a Duster-only run can check."""
    met = True
    for name in ("duster guest work", "duster guest chapter"):
        ratio = ratio_of(summaries[name], summaries["duster static file"])
        met &= goal(f"{name} / duster static file", ratio, STATIC_RATIO, at_least=True)
    for name in ("duster guest work", "duster guest chapter", "duster latest works"):
        met &= goal(f"{name} p99 ms", summaries[name].p99, GUEST_P99_MS, at_least=False)
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    env = django_setup(args.works)

    from bench.load import duster
    from bench.load.wrk import by_name, ensure_wrk, print_table

    ensure_wrk()
    load = load_from(args)
    print(duster.corpus_prepare(args.works, keep=args.keep))
    pages = duster.pages()
    username, cookie = duster.reader_session()
    urls = {name: url for name, (url, _) in pages.items()}
    urls["static"] = duster.static_copy(urls["work"])
    port = duster.free_port()
    with duster.serving(env, port) as master:
        targets = duster.duster_targets(f"http://127.0.0.1:{port}", master, urls, cookie)
        shows = [pages["work"][1], pages["chapter"][1], pages["latest"][1], pages["tag"][1]]
        for target, text in zip(targets, [*shows, username, ""], strict=True):
            duster.check_page(target, text, strict="tag" not in target.name)
        print(f"Duster at 127.0.0.1:{port}: {load.describe()}")
        summaries = load.run(targets)
    print_table(summaries, {"duster": "duster static file"})
    print()
    met = duster_goals(by_name(summaries))
    sys.exit(0 if no_problems(summaries) and met else 1)


if __name__ == "__main__":
    main()
