"""Duster beside eFiction 3.5.8 under the same wrk load, in one run: the same
stories (imported into Duster through its services) on both sides, archives
of the same size, targets interleaved over rounds (see bench/efiction/README.md).

    .venv/bin/python -m bench.efiction [TARBALL] [--works 10000] [--keep] [-d 10] [--rounds 3]

Without TARBALL (eFiction's source, efiction-3.5.8-*.tar.gz) only Duster's
half runs, on the same imported stories.
"""

import argparse
import signal
import sys
from pathlib import Path

from bench.load.__main__ import add_arguments, duster_goals, load_from
from bench.load.setup import BENCH_DIR, ROOT, django_setup
from bench.load.wrk import Summary, Target, by_name, goal, no_problems, print_table, ratio_of

DUMP = ROOT.parent / "shared" / "fixtures" / "efiction" / "archive-a.sql"
EFICTION_RATIO = 10  # guest pages against viewstory.php
MEMBER_RATIO = 2  # a member's work page against viewstory.php
PAIRS = [  # Duster target, eFiction target, goal
    ("duster guest work", "efiction work", EFICTION_RATIO),
    ("duster guest chapter", "efiction chapter", EFICTION_RATIO),
    ("duster member work", "efiction work", MEMBER_RATIO),
    ("duster latest works", "efiction recent", None),
]


def _stop(signum, frame):  # SIGTERM and SIGHUP end the run through the cleanup
    raise SystemExit(128 + signum)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", nargs="?", type=Path, help="eFiction 3.5.8 source tarball")
    parser.add_argument("--dump", type=Path, default=DUMP, help="eFiction archive dump (.sql)")
    parser.add_argument("--story", type=int, default=1, help="sid of the one-shot to load")
    parser.add_argument("--chaptered", type=int, default=2, help="sid of the chaptered story")
    parser.add_argument("--chapter", type=int, default=2, help="which chapter of it (1-based)")
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-port", type=int, default=3306)
    parser.add_argument("--db-user", default="root")
    parser.add_argument("--db-password", default="")
    parser.add_argument("--db-name", default="duster_bench_efiction")
    add_arguments(parser)
    args = parser.parse_args()
    if not args.dump.exists():
        raise SystemExit(f"No eFiction dump at {args.dump} (--dump).")
    if args.tarball is not None and not args.tarball.is_file():
        raise SystemExit(f"No eFiction tarball at {args.tarball}.")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    env = django_setup(args.works)

    from bench.efiction.dump import read_dump
    from bench.efiction.stories import stories_import
    from bench.load import duster
    from bench.load.wrk import ensure_wrk

    ensure_wrk()
    columns, rows = read_dump(args.dump)
    print(duster.corpus_prepare(args.works, keep=args.keep))
    stories = stories_import(rows)
    print(f"{len(stories)} eFiction stories imported into Duster (same text)")
    for sid in (args.story, args.chaptered):
        if sid not in stories:
            raise SystemExit(f"No validated story {sid} in {args.dump} (--story, --chaptered).")
    story, chaptered = stories[args.story], stories[args.chaptered]
    if not 1 <= args.chapter <= len(chaptered.chapters):
        raise SystemExit(
            f"Story {chaptered.sid} has {len(chaptered.chapters)} chapters (--chapter)."
        )
    chapter = chaptered.chapters[args.chapter - 1]
    pages = duster.pages()
    pages["work"] = (story.work.get_absolute_url(), duster.text_of(story.chapters[0]))
    pages["chapter"] = (chapter.get_absolute_url(), duster.text_of(chapter))
    username, cookie = duster.reader_session()
    urls = {name: url for name, (url, _) in pages.items()}
    urls["static"] = duster.static_copy(urls["work"])

    efiction = None
    if args.tarball is None:
        print("No eFiction tarball given: Duster's half only (give its path to compare).")
    else:
        from bench.efiction.stack import EFiction, MariaDB, install_packages

        install_packages()
        db = MariaDB(args.db_host, args.db_port, args.db_user, args.db_password, args.db_name)
        efiction = EFiction(BENCH_DIR / "efiction", db, duster.free_port())
        db.load(args.dump, efiction.base)
        count = db.pad(args.works, columns)
        print(f"eFiction database {args.db_name}: {count} stories (archive A's, copied)")
        efiction.unpack(args.tarball)
    port = duster.free_port()
    try:
        if efiction is not None:
            efiction.start()
        with duster.serving(env, port) as master:
            targets = duster.duster_targets(f"http://127.0.0.1:{port}", master, urls, cookie)
            shows = [pages[name][1] for name in ("work", "chapter", "latest", "tag")]
            sizes = {}
            for target, text in zip(targets, [*shows, username, ""], strict=True):
                sizes[target.name] = len(
                    duster.check_page(target, text, strict="tag" not in target.name)
                )
            if efiction is not None:
                targets += _efiction_targets(efiction, rows, story, chaptered, args.chapter, sizes)
            print(
                f"Duster at 127.0.0.1:{port}"
                + (f", eFiction at {efiction.base}" if efiction else "")
            )
            print("page sizes: " + ", ".join(f"{name} {size:,} B" for name, size in sizes.items()))
            load = load_from(args)
            print(load.describe(), flush=True)
            summaries = load.run(targets)
    finally:
        if efiction is not None:
            efiction.stop()
    print_table(summaries, {"duster": "duster static file", "efiction": "efiction static (nginx)"})
    print()
    met = _goals(by_name(summaries), beside_efiction=efiction is not None)
    sys.exit(0 if no_problems(summaries) and met else 1)


def _goals(results: dict[str, Summary], *, beside_efiction: bool) -> bool:
    met = duster_goals(results)
    if beside_efiction:
        for ours, theirs, wanted in PAIRS:
            ratio = ratio_of(results[ours], results[theirs])
            if wanted is None:
                print(f"        {ours} / {theirs}: {ratio:.2f}")
            else:
                met &= goal(f"{ours} / {theirs}", ratio, wanted, at_least=True)
            # Steadier than req/s on a busy machine: how many requests the
            # same CPU time serves on each side.
            print(f"        by CPU per request: {results[theirs].cpu / results[ours].cpu:.2f}")
    return met


def _efiction_targets(efiction, rows, story, chaptered, chapter, sizes) -> list[Target]:
    """viewstory.php for the one-shot and for the chapter, the recent list, and
    the one-shot's page as a file nginx serves; each checked first."""
    from bench.load.duster import check_page, wait_for

    texts = {row["chapid"]: row["storytext"] for row in rows["fanfiction_chapters"]}

    def piece(chapid: int) -> str:
        text = texts[chapid]
        middle = len(text) // 2
        return text[middle : middle + 30]

    def target(name: str, path: str) -> Target:
        return Target(name, efiction.base + path, "efiction", efiction.pids)

    work = target("efiction work", f"/viewstory.php?sid={story.sid}")
    wait_for(work.url)
    one_shot = check_page(work, piece(story.chapter_ids[0]))
    targets = [
        work,
        target("efiction chapter", f"/viewstory.php?sid={chaptered.sid}&chapter={chapter}"),
        target("efiction recent", "/browse.php?type=recent"),
        target("efiction static (nginx)", efiction.static_copy(one_shot)),
    ]
    shows = ["", piece(chaptered.chapter_ids[chapter - 1]), "", ""]
    for each, text in zip(targets, shows, strict=True):
        sizes[each.name] = len(check_page(each, text))
    return targets


if __name__ == "__main__":
    main()
