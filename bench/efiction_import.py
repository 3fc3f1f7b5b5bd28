"""Importing a whole eFiction archive: `manage.py import_efiction` on a generated dump of
10,000 stories, 30,000 chapters and 50,000 reviews (issue 13's aim: at most 5 minutes on
SQLite).

    .venv/bin/python -m bench.efiction_import [--stories 10000] [--seed 1] [--postgres]
    make bench-efiction EFICTION_ARGS="--stories 500"

The dump is made by bench/efiction_generate.py (sizes follow --stories unless given) and kept
in var/bench/efiction/, reused while the options match. Each run makes a fresh database
(var/bench/efiction/efiction.sqlite3, or with --postgres the PostgreSQL database
duster_bench_efiction, dropped and created again), migrates it, then runs, each as its own
process: the dump reader alone, the import (after `import_efiction DUMP --dry-run` with
--dry-run), and the import again, which must change nothing. It prints the wall-clock and
CPU time and peak memory of each, the rows Duster holds afterwards and the database's size.
Exit status 0 when the import succeeded within the aim and the second run changed nothing,
1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.efiction_generate import add_size_options, sizes_from, write_dump

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench" / "efiction"
SQLITE_FILE = BENCH_DIR / "efiction.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/duster_bench_efiction"
AIM_SECONDS = 300.0

# What the archive's rows become in Duster, shown after the import.
KINDS = (
    ("works", "works.Work"),
    ("chapters", "works.Chapter"),
    ("comments", "community.Comment"),
    ("users", "accounts.User"),
    ("series", "works.Series"),
    ("bookmarks", "community.Bookmark"),
    ("subscriptions", "community.Subscription"),
    ("tags", "tags.Tag"),
    ("legacy ids", "imports.LegacyId"),
)

# Run with `manage.py shell -c`: every table's row count and a digest of its rows (in primary
# key order), the database's size, and the kinds above; printed as one JSON line.
SNAPSHOT = """
import hashlib, json, os
from django.apps import apps
from django.db import connection
KINDS = %r
tables, digests = {}, {}
with connection.cursor() as cursor:
    for model in apps.get_models():
        table = model._meta.db_table
        if table in tables:
            continue
        quoted = connection.ops.quote_name(table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        cursor.execute(f"SELECT * FROM {quoted} ORDER BY {pk}")
        digest, count = hashlib.sha256(), 0
        while rows := cursor.fetchmany(2000):
            count += len(rows)
            digest.update(repr(rows).encode())
        tables[table], digests[table] = count, digest.hexdigest()
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        files = [name + end for end in ("", "-wal") if os.path.exists(name + end)]
        size = sum(os.path.getsize(file) for file in files)
    else:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
kinds = {}
for label, name in KINDS:
    try:
        kinds[label] = apps.get_model(name).objects.count()
    except LookupError:
        pass
found = {"tables": tables, "digests": digests, "size": size, "kinds": kinds}
print("SNAPSHOT " + json.dumps(found))
""" % (KINDS,)  # noqa: UP031  (the snippet's own braces stay as they are)

# Run with the interpreter: the dump reader alone, as the import starts.
READ = """
import json, sys, time
from duster.imports.efiction.dump import read_dump
started = time.perf_counter()
dump = read_dump(sys.argv[1])
print("READ " + json.dumps({"counts": dump.counts, "warnings": [str(w) for w in dump.warnings[:10]],
      "warning_count": len(dump.warnings), "seconds": time.perf_counter() - started}))
"""


@dataclass
class Run:
    """One child process: its wall-clock and CPU seconds, peak memory and output."""

    seconds: float
    cpu: float
    peak_mb: float
    status: int
    output: str

    def line(self, label: str) -> str:
        return (
            f"{label:28} {self.seconds:8.1f} s wall {self.cpu:8.1f} s CPU "
            f"{self.peak_mb:7.0f} MB peak RSS"
        )

    def how_it_ended(self) -> str:
        if self.status < 0:
            return f"killed by {signal.Signals(-self.status).name}, from outside this benchmark"
        return f"exit status {self.status}"

    def tagged(self, tag: str) -> dict:
        for line in self.output.splitlines():
            if line.startswith(tag + " "):
                return json.loads(line[len(tag) + 1 :])
        raise RuntimeError(f"no {tag} line in the output:\n{tail(self.output, 30)}")


def tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run(command: list[str], env: dict[str, str], log: Path) -> Run:
    """Run a command to its end, timing it; its peak memory comes from wait4(), which gives
    the resource usage of that one child (what RUSAGE_CHILDREN holds once it is reaped)."""
    with open(log, "w", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        process.returncode,
        log.read_text(encoding="utf-8", errors="replace"),
    )


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def fresh_database(postgres: bool) -> str:
    """An empty database for this run; its DATABASE_URL."""
    if not postgres:
        for end in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{end}").unlink(missing_ok=True)
        return f"sqlite:///{SQLITE_FILE}"
    import psycopg

    name = POSTGRES_URL.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_URL


def changed_tables(before: dict, after: dict) -> list[str]:
    found = []
    for table, digest in after["digests"].items():
        if before["digests"].get(table) != digest:
            delta = after["tables"][table] - before["tables"].get(table, 0)
            found.append(f"{table} ({delta:+,} rows)" if delta else f"{table} (rows changed)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_options(parser)
    parser.add_argument(
        "--postgres", action="store_true", help=f"import into {POSTGRES_URL} (dropped first)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="time `import_efiction --dry-run` first as well"
    )
    args = parser.parse_args()
    try:
        sizes = sizes_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)

    dump = BENCH_DIR / sizes.file_name()
    print(
        f"Archive: {sizes.stories:,} stories, {sizes.chapters:,} chapters, "
        f"{sizes.reviews:,} reviews, {sizes.authors:,} members, {sizes.series:,} series, "
        f"{sizes.favourites:,} favourites (seed {sizes.seed})"
    )
    if dump.exists():
        print(f"Dump: {dump.relative_to(ROOT)} ({dump.stat().st_size / 1e6:,.1f} MB), reused")
    else:
        started = time.perf_counter()
        write_dump(dump, sizes)
        print(
            f"Dump: {dump.relative_to(ROOT)} ({dump.stat().st_size / 1e6:,.1f} MB), "
            f"generated in {time.perf_counter() - started:.1f} s"
        )

    # Logs, cache and secret key: a directory per database, so both can run at once.
    work = BENCH_DIR / "postgres" if args.postgres else BENCH_DIR
    work.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="duster.settings",
        DUSTER_VAR_DIR=str(work),  # its own cache and secret key
        DEBUG="0",
        DATABASE_URL=fresh_database(args.postgres),
    )
    database = "PostgreSQL" if args.postgres else "SQLite"
    migrate = run(manage("migrate", "--noinput"), env, work / "migrate.log")
    if migrate.status:
        print(f"migrate failed:\n{tail(migrate.output, 20)}")
        return 1
    print(f"Fresh {database} database, migrated in {migrate.seconds:.1f} s\n")

    read = run([sys.executable, "-c", READ, str(dump)], env, work / "read.log")
    if read.status:
        print(f"The dump reader failed:\n{tail(read.output, 20)}")
        return 1
    found = read.tagged("READ")
    print(read.line("read the dump (read_dump)"))
    if found["warning_count"]:
        print(f"  {found['warning_count']} warnings, first: " + "; ".join(found["warnings"][:3]))

    if args.dry_run:
        dry = run(manage("import_efiction", str(dump), "--dry-run"), env, work / "dry.log")
        print(dry.line("import --dry-run"))
        if dry.status:
            print(f"  failed ({dry.how_it_ended()}):\n{tail(dry.output, 20)}")

    first = run(manage("import_efiction", str(dump)), env, work / "import.log")
    print(first.line("import"))
    if first.status:
        print(f"  failed ({first.how_it_ended()}):\n{tail(first.output, 25)}")
        print(f"\nThe import's whole output: {(work / 'import.log').relative_to(ROOT)}")
        partial = run(manage("shell", "-c", SNAPSHOT), env, work / "snapshot-1.log")
        if not partial.status:
            print(f"Rows in Duster when it stopped ({database}):")
            for label, count in partial.tagged("SNAPSHOT")["kinds"].items():
                print(f"  {label:14} {count:>9,}")
        return 1
    before = run(manage("shell", "-c", SNAPSHOT), env, work / "snapshot-1.log").tagged("SNAPSHOT")
    second = run(manage("import_efiction", str(dump)), env, work / "import-again.log")
    print(second.line("import again (no changes)"))
    if second.status:
        print(f"  failed ({second.how_it_ended()}):\n{tail(second.output, 25)}")
    after = run(manage("shell", "-c", SNAPSHOT), env, work / "snapshot-2.log").tagged("SNAPSHOT")

    print("\nWhat the import said (last lines):")
    print("  " + tail(first.output.replace("\r", "\n"), 25).replace("\n", "\n  "))
    print(f"\nRows in Duster after the import ({database}):")
    for label, count in before["kinds"].items():
        print(f"  {label:14} {count:>9,}")
    print(f"Database size: {before['size'] / 1e6:,.1f} MB")
    changed = changed_tables(before, after)
    print(
        "Second run changed: "
        + (", ".join(changed) if changed else "nothing (every table's rows the same)")
    )
    within = first.seconds <= AIM_SECONDS
    print(
        f"\nImport {first.seconds:.1f} s against the aim of {AIM_SECONDS:.0f} s: "
        f"{'PASS' if within else 'FAIL'}; idempotent re-run: "
        f"{'PASS' if not changed and not second.status else 'FAIL'}"
    )
    return 0 if within and not changed and not second.status else 1


if __name__ == "__main__":
    sys.exit(main())
