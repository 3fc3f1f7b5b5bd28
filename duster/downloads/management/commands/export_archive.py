"""`manage.py export_archive PATH`: the whole archive in Duster's open
format (duster.downloads.export) as one zip file, so no archive is ever
locked in. Each table is read in batches of rows (prefetches per batch)
and written out line by line: memory stays flat at any size.

The zip holds `export.json` (the format header, each kind's file and
count) and one JSON Lines file per kind, one record a line. It is written
beside PATH and moved there once complete, so PATH is never half a zip.
Rows changed while it runs may or may not be in it: for an exact copy,
export while nobody writes (maintenance mode, or a copy of the database)."""

import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from duster.accounts.models import Block, Mute, SavedSearch, User
from duster.community.models import Bookmark, Comment, Kudos, Reading, Subscription
from duster.downloads import export
from duster.images.models import Image
from duster.lib.progress import ProgressBar
from duster.tags.models import Tag
from duster.works.models import Series, Work

BATCH = 500  # rows read from the database at a time
FLUSH_BYTES = 1 << 20  # lines gathered before each write into the zip


def archive_kinds() -> dict[str, tuple[QuerySet, Callable[[Any], export.Record]]]:
    """Each kind of record in the archive export: its rows (with what its
    record reads prefetched) and the function making the record. Users and
    tags come first, then what refers to them."""
    return {
        "users": (export.users_for_export(User.objects.all()), export.user_record),
        "tags": (export.tags_for_export(Tag.objects.all()), export.tag_record),
        "works": (export.works_for_export(Work.objects.all()), export.work_record),
        "series": (export.series_for_export(Series.objects.all()), export.series_record),
        "comments": (Comment.objects.all(), export.comment_record),
        "kudos": (Kudos.objects.all(), export.kudos_record),
        "bookmarks": (export.bookmarks_for_export(Bookmark.objects.all()), export.bookmark_record),
        "subscriptions": (Subscription.objects.all(), export.subscription_record),
        "history": (Reading.objects.all(), export.history_record),
        "blocks": (Block.objects.all(), export.block_record),
        "mutes": (Mute.objects.all(), export.mute_record),
        "saved_searches": (SavedSearch.objects.all(), export.saved_search_record),
        "images": (Image.objects.all(), export.image_record),
    }


def _lines(rows: QuerySet, record: Callable[[Any], export.Record], batch: int) -> Iterator[dict]:
    for row in rows.order_by("pk").iterator(chunk_size=batch):
        yield record(row)


def archive_write(
    path: Path, *, batch: int = BATCH, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Write the whole archive as a zip at `path`. Returns the records
    written by kind, plus "chapters" (inside the works). `progress(done,
    total)` follows the records."""
    kinds = archive_kinds()
    total = sum(rows.count() for rows, _ in kinds.values())
    done = 0
    counts: dict[str, int] = {"chapters": 0}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as bundle:
        for kind, (rows, record) in kinds.items():
            counts[kind] = 0
            with bundle.open(f"{kind}.jsonl", "w", force_zip64=True) as out:
                lines: list[bytes] = []
                size = 0
                for item in _lines(rows, record, batch):
                    line = json.dumps(item, ensure_ascii=False).encode() + b"\n"
                    lines.append(line)
                    size += len(line)
                    if size >= FLUSH_BYTES:
                        out.write(b"".join(lines))
                        lines, size = [], 0
                    counts[kind] += 1
                    if kind == "works":
                        counts["chapters"] += len(item["chapters"])
                    done += 1
                    if progress is not None:
                        progress(done, max(total, done))
                out.write(b"".join(lines))
        _image_files(bundle, batch)
        document = {
            **export.header("archive"),
            "files": {kind: f"{kind}.jsonl" for kind in kinds},
            "counts": counts,
        }
        bundle.writestr("export.json", export.dumps(document))
    return counts


def _image_files(bundle: zipfile.ZipFile, batch: int) -> None:
    """Each uploaded picture's file, beside images.jsonl: chapter text
    points at them by their /images/ address."""
    for image in Image.objects.order_by("pk").iterator(chunk_size=batch):
        try:
            with (
                image.file.open("rb") as stored,
                bundle.open(f"images/{image.filename}", "w") as out,
            ):
                shutil.copyfileobj(stored, out)
        except OSError:
            continue  # missing from storage: its record is still there


class Command(BaseCommand):
    help = (
        "Export the whole archive to PATH, a new zip file: export.json (format, version, "
        "counts) and one JSON Lines file per kind of record: works.jsonl (every chapter "
        "inside), series.jsonl, users.jsonl (no password hashes or email addresses), "
        "tags.jsonl, comments.jsonl, kudos.jsonl, bookmarks.jsonl, subscriptions.jsonl, "
        "history.jsonl, blocks.jsonl, mutes.jsonl, saved_searches.jsonl, images.jsonl "
        "with each uploaded picture under images/. Drafts, "
        "restricted, hidden and anonymous works are included and flagged."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The zip file to write, e.g. duster-export.zip.")
        parser.add_argument("--batch-size", type=int, default=BATCH, help="Rows read at a time.")
        parser.add_argument("--force", action="store_true", help="Replace PATH if it exists.")

    def handle(self, *args, path: str, batch_size: int, force: bool, **options):
        target = Path(path)
        if target.is_dir():
            raise CommandError(f"{target} is a directory: give the zip file to write.")
        if target.exists() and not force:
            raise CommandError(f"{target} exists already: choose another name or use --force.")
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        partial = target.with_name(target.name + ".part")
        bar = ProgressBar("Exporting")  # on the terminal's stderr
        try:
            counts = archive_write(partial, batch=max(1, batch_size), progress=bar)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        bar.finish()
        os.replace(partial, target)
        self.stdout.write(
            f"Exported {counts['works']:,} works ({counts['chapters']:,} chapters), "
            f"{counts['series']:,} series, {counts['users']:,} users, {counts['tags']:,} tags, "
            f"{counts['comments']:,} comments, {counts['kudos']:,} kudos, "
            f"{counts['bookmarks']:,} bookmarks, {counts['subscriptions']:,} subscriptions, "
            f"{counts['history']:,} history entries to {target}."
        )
