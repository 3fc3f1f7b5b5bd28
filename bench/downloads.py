"""Building a long work's downloads: EPUB, PDF, HTML and plain text for a
200,000-word work in 50 chapters (issue 12's targets: EPUB <= 2 s, PDF <= 30 s).

    .venv/bin/python -m bench.downloads [--words 200000] [--chapters 50] [--runs 3] [--pdf-runs 1]
    make bench-downloads DOWNLOADS_ARGS="--pdf-runs 3"

The work is posted through the archive's own services (each chapter's text
sanitized like a writer's) into var/bench/downloads.sqlite3, emptied first,
or the DATABASE_URL database with "_downloads" appended. Its text is
generated prose: paragraphs of 20-140 words, dialogue, some italics, one
scene break per chapter. Each format is built through its writer's
`build(book, images)` from a `Book` read once; the time printed is the
median of --runs builds (--pdf-runs for the PDF, which takes longest), with
the CPU time (the figure to trust on a busy machine: a build uses one core)
and the file's size. The last file of each format is kept in
var/bench/downloads/ to look at. A writer that is not there yet is skipped.
"""

# ruff: noqa: E402
import argparse
import importlib.util
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
OUT_DIR = BENCH_DIR / "downloads"
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "duster.settings"
os.environ["DUSTER_VAR_DIR"] = str(BENCH_DIR)
os.environ["DEBUG"] = "0"
os.environ["TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
OWN_SQLITE = "DATABASE_URL" not in os.environ
if OWN_SQLITE:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'downloads.sqlite3'}"

import django

django.setup()

from django.core.management import call_command
from django.db import connection

from bench.databases import use_database
from duster.downloads.book import Book, book_for, work_for_download
from duster.downloads.formats import FORMATS
from duster.downloads.images import BookImages
from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.services.chapters import chapter_create

TARGETS = {"epub": 2.0, "pdf": 30.0}  # seconds, from the issue
ORDER = ("txt", "html", "epub", "pdf")  # the PDF last: its memory shows in the peak

_NAMES = ("Maren", "Ilse", "Tomas", "the keeper", "Oskar", "her brother", "the ferryman")
_VERBS = (
    "watched", "remembered", "carried", "counted", "followed", "mended", "lit", "found",
    "crossed", "waited for", "listened to", "wrote to", "turned from", "held",
)  # fmt: skip
_THINGS = (
    "the lantern", "the harbour wall", "a letter", "the long road", "the tide", "the bell",
    "the last ferry", "the lighthouse stairs", "her own reflection", "the storm", "the ledger",
    "a coat too thin for winter", "the salt-stiff rope", "the kitchen window", "the dark water",
)  # fmt: skip
_ENDINGS = (
    "before the light failed", "as if nothing had happened", "for the third time that night",
    "without a word", "until the rain stopped", "while the town slept", "and did not look back",
    "because someone had to", "with hands that would not stay still", "in the grey morning",
)  # fmt: skip
_SAYINGS = (
    "You should have told me", "It is only the wind", "Stay until the boats come in",
    "I kept every one of them", "Nobody climbs up here any more", "Light it anyway",
    "We were never going to be ready", "Tell me what you saw",
)  # fmt: skip


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.18:
        said = rng.choice(("said", "asked", "whispered", "answered"))
        return f"“{rng.choice(_SAYINGS)},” {rng.choice(_NAMES)} {said}."
    words = [rng.choice(_NAMES), rng.choice(_VERBS), rng.choice(_THINGS)]
    if rng.random() < 0.6:
        words.append(rng.choice(_ENDINGS))
    text = " ".join(words)
    if rng.random() < 0.12:
        thing = rng.choice(_THINGS)
        text = text.replace(thing, f"<em>{thing}</em>", 1) if thing in text else text
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, words: int) -> tuple[str, int]:
    """A paragraph of about `words` words, and how many it has."""
    sentences, count = [], 0
    while count < words:
        text = sentence(rng)
        sentences.append(text)
        count += len(text.split())
    return "<p>" + " ".join(sentences) + "</p>", count


def chapter_body(rng: random.Random, words: int) -> str:
    """Prose of `words` words with a scene break in the middle."""
    paragraphs, count, broke = [], 0, False
    while count < words:
        html, made = paragraph(rng, min(rng.randint(20, 140), max(5, words - count)))
        paragraphs.append(html)
        count += made
        if not broke and count >= words / 2:
            paragraphs.append("<hr>")
            broke = True
    return "\n".join(paragraphs)


def make_long_work(words: int, chapters: int, seed: int = 12) -> Work:
    rng = random.Random(seed)
    writer = make_user("bench-writer")
    each = words // chapters
    work = make_work(
        writer,
        title="The Lamplighter’s Year",
        expected_chapters=chapters,
        summary="<p>A year of storms, letters and one lighthouse, told by the woman who "
        "keeps it lit.</p>",
        notes="<p>Written over a long winter. Thank you to everyone who read along.</p>",
        end_notes="<p>That is the end. Comments are always welcome.</p>",
        relationships=("Maren/Ilse",),
        characters=("Maren", "Ilse", "Tomas"),
        freeforms=("Slow Burn", "Lighthouses", "Epistolary"),
    )
    first = work.chapters.get()
    first.delete()  # make_work's short first chapter: every chapter here is full length
    for number in range(1, chapters + 1):
        chapter_create(
            work=work,
            fields={
                "title": f"Month {number}",
                "notes": "<p>A note before the chapter.</p>" if number % 5 == 0 else "",
                "body": chapter_body(rng, each),
            },
            post=True,
        )
    work.refresh_from_db()
    return work


def use_own_database() -> None:
    if not OWN_SQLITE:
        use_database(f"{connection.settings_dict['NAME']}_downloads")
    call_command("migrate", "--noinput", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(book: Book, extension: str, runs: int) -> tuple[list[float], list[float], bytes] | str:
    """The wall-clock and CPU times of `runs` builds and the last file, or
    why none was built."""
    fmt = FORMATS[extension]
    if importlib.util.find_spec(f"duster.downloads.{fmt.writer}") is None:
        return f"skipped: duster/downloads/{fmt.writer}.py is not there yet"
    times, cpu, data = [], [], b""
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            data = fmt.build(book, BookImages())
        except Exception as error:  # a writer being written: report it, go on
            return f"failed: {type(error).__name__}: {error}"
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return times, cpu, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--chapters", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="builds of EPUB, HTML and TXT")
    parser.add_argument("--pdf-runs", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=ORDER, help="these formats alone")
    args = parser.parse_args()

    use_own_database()
    started = time.perf_counter()
    work = make_long_work(args.words, args.chapters)
    print(
        f"Posted a work of {work.word_count:,} words in {work.chapter_count} chapters "
        f"({connection.vendor}) in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    found = work_for_download(work.pk, None)
    assert found is not None
    book = book_for(found)
    print(f"Read it as a Book in {(time.perf_counter() - started) * 1000:.0f} ms")

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    failed = False
    print(
        f"{'format':8} {'runs':>4} {'median s':>9} {'min s':>7} {'CPU s':>7} {'size':>10}"
        "  peak RSS  target"
    )
    for extension in args.only or ORDER:
        runs = args.pdf_runs if extension == "pdf" else args.runs
        result = measure(book, extension, runs)
        if isinstance(result, str):
            print(f"{extension:8} {result}", flush=True)
            continue
        times, cpu, data = result
        (OUT_DIR / f"{book.slug}.{extension}").write_bytes(data)
        median = statistics.median(times)
        target = TARGETS.get(extension)
        verdict = ""
        if target is not None:
            verdict = f"<= {target:.0f} s: {'PASS' if median <= target else 'FAIL'}"
            failed |= median > target
        print(
            f"{extension:8} {len(times):>4} {median:>9.2f} {min(times):>7.2f} "
            f"{statistics.median(cpu):>7.2f} "
            f"{len(data) / 1024 / 1024:>7.2f} MB  {peak_mb():>5.0f} MB  {verdict}",
            flush=True,
        )
    print(f"Files kept in {OUT_DIR.relative_to(ROOT)}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
