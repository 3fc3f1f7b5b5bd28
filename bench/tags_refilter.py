"""Re-filtering after a merge: a tag used by --works works (default 100,000)
is made a synonym of a canonical tag that has a meta tag; every one of those
works must then find the canonical tag and its meta tag among its filter tags.

    .venv/bin/python bench/tags_refilter.py [--works 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/duster_bench \\
        .venv/bin/python bench/tags_refilter.py

The works, their tags and their filter tags are made with bulk_create. The
merge runs through the wrangling service (`tag_merge`), which writes the
graph change and its log, then the re-filter job, here run by Django's
immediate task backend once the merge commits (a task worker in
production). Prints the time of the whole (target <= 60 s), the job's
batches and whether every work's filter tags came out right. Uses
var/bench/refilter.sqlite3, or the DATABASE_URL database with "_refilter"
appended; both are emptied first.
"""

# ruff: noqa: E402
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "duster.settings"
os.environ["DUSTER_VAR_DIR"] = str(BENCH_DIR)
os.environ["DEBUG"] = "0"
os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
OWN_SQLITE = "DATABASE_URL" not in os.environ
if OWN_SQLITE:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'refilter.sqlite3'}"

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.databases import use_database
from duster.tags.filtering import _batch_size
from duster.tags.fixed import fixed_tags
from duster.tags.models import FilterTagging, MetaTagging, RefilterJob, Tag, TagType
from duster.tags.wrangling.services import tag_merge
from duster.works.models import Work, WorkState, WorkTag

TARGET_SECONDS = 60


def use_own_database() -> None:
    if OWN_SQLITE:
        return
    use_database(f"{connection.settings_dict['NAME']}_refilter")


def build(works: int) -> tuple[Tag, Tag, Tag]:
    """`works` posted works tagged with a fandom and the tag to merge, their
    filter tags already right; the canonical tag and its meta tag."""
    call_command("flush", "--noinput", verbosity=0)
    started = time.perf_counter()
    rating = fixed_tags()[TagType.RATING]["general"]
    fandom = Tag.objects.create(name="Slayers", type="fandom", canonical=True, slug="slayers")
    spelling = Tag.objects.create(name="Spike/Buffy", type="relationship", slug="spike-buffy")
    canonical = Tag.objects.create(
        name="Buffy Summers/Spike", type="relationship", canonical=True, slug="buffy-spike"
    )
    meta = Tag.objects.create(
        name="Spike/Everyone", type="relationship", canonical=True, slug="spike-everyone"
    )
    MetaTagging.objects.create(sub=canonical, meta=meta)
    now = timezone.now()
    for start in range(0, works, 10_000):
        chunk = Work.objects.bulk_create(
            Work(
                title=f"Work {n}",
                rating="general",
                language="en",
                state=WorkState.POSTED,
                published_at=now,
                updated_at=now,
                chapter_count=1,
                expected_chapters=1,
                complete=True,
            )
            for n in range(start, min(works, start + 10_000))
        )
        ids = [w.pk for w in chunk]
        if ids[0] is None:  # a database that returns no ids from bulk_create
            ids = list(Work.objects.order_by("-pk").values_list("pk", flat=True)[: len(chunk)])
        WorkTag.objects.bulk_create(
            [
                WorkTag(work_id=i, tag=t, position=p)
                for i in ids
                for p, t in enumerate([fandom, spelling])
            ],
            batch_size=5000,
        )
        FilterTagging.objects.bulk_create(
            [FilterTagging(work_id=i, tag=t) for i in ids for t in (fandom, spelling, rating)],
            batch_size=5000,
        )
    print(f"Made {works:,} works with their tags in {time.perf_counter() - started:.0f} s")
    return spelling, canonical, meta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=100_000)
    args = parser.parse_args()
    use_own_database()
    call_command("migrate", "--noinput", verbosity=0)
    spelling, canonical, meta = build(args.works)
    started = time.perf_counter()
    tag_merge(actor=None, tags=[spelling], into=canonical)
    seconds = time.perf_counter() - started
    job = RefilterJob.objects.order_by("-pk").first()
    found = {
        name: FilterTagging.objects.filter(tag=tag).count()
        for name, tag in (("canonical", canonical), ("meta", meta), ("old", spelling))
    }
    right = found["canonical"] == found["meta"] == args.works and found["old"] == 0
    batches = -(-args.works // _batch_size())
    status = f"job {job.done}/{job.total}, finished" if job and job.finished_at else "no job"
    print(
        f"Merge + re-filter of {args.works:,} works ({connection.vendor}): {seconds:.1f} s "
        f"({status}, about {batches} batches of {_batch_size()}); filter tags "
        f"{'right' if right else 'WRONG'}: {found}; target <= {TARGET_SECONDS} s: "
        f"{'PASS' if right and seconds <= TARGET_SECONDS else 'FAIL'}"
    )
    return 0 if right and seconds <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
