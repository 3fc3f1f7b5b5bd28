"""A writer's works zip, built in the background and kept for its owner.

Why a task and not a streamed response: the zip holds an EPUB of every
posted work, and a build can take a second or more per work (outside images
are fetched). A writer of a few hundred works would hold a request open for
minutes, and a closed tab would lose it all. Built by the task worker into
the default storage, the file waits for its owner, who may come back to it.

Storage layout, all under `exports/<user id>/` so that only a request by
that user can ever name one of its files (the id comes from the session,
the token from the URL):

- `<token>.building`: the export was asked for (its JSON says when);
- `<token>.zip`: the zip itself (`works.json` and one EPUB per posted work);
- `<token>.ready`: written after the zip, so a half-written zip is never
  offered (its JSON says how many works and EPUBs);
- `<token>.failed`: the build failed (its JSON says why, in short).

A finished export removes its owner's older ones: one zip per writer.
"""

import json
import logging
import re
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone
from django.utils.text import slugify

from duster.accounts.models import User
from duster.downloads import export
from duster.downloads.book import book_for
from duster.downloads.formats import FORMATS
from duster.downloads.images import BookImages
from duster.works.models import Work, WorkState

logger = logging.getLogger(__name__)

# A build not finished after this long is taken for dead (its worker gone).
EXPORT_STALE = timedelta(hours=2)
TOKEN_BYTES = 16


@dataclass(frozen=True)
class WorksExport:
    """Where one of a writer's works exports stands."""

    user_id: int
    token: str
    state: str  # "building", "ready" or "failed"
    started: datetime | None
    facts: dict

    @property
    def file_name(self) -> str:
        return export_path(self.user_id, self.token, "zip")


def export_path(user_id: int, token: str, suffix: str) -> str:
    return f"exports/{user_id}/{token}.{suffix}"


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def token_valid(token: str) -> bool:
    return _TOKEN.fullmatch(token) is not None


def _read_json(name: str) -> dict | None:
    try:
        with default_storage.open(name, "rb") as opened:
            return json.loads(opened.read() or b"{}")
    except (OSError, ValueError):
        return None


def _write_json(name: str, facts: dict) -> None:
    default_storage.delete(name)  # save() never overwrites: it would pick another name
    default_storage.save(name, ContentFile(json.dumps(facts).encode()))


def export_status(user_id: int, token: str) -> WorksExport | None:
    """The state of one export of this user's, or None if there is none."""
    if not token_valid(token):
        return None
    for state in ("ready", "failed", "building"):
        facts = _read_json(export_path(user_id, token, state))
        if facts is None:
            continue
        started = _parse_time(facts.get("started"))
        if state == "building" and started and timezone.now() - started > EXPORT_STALE:
            state, facts = "failed", {**facts, "error": "The build stopped before it finished."}
        return WorksExport(user_id, token, state, started, facts)
    return None


def _parse_time(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def exports_of(user_id: int) -> list[WorksExport]:
    """This user's exports, newest first."""
    try:
        _, files = default_storage.listdir(f"exports/{user_id}")
    except (FileNotFoundError, NotADirectoryError):
        return []
    tokens = {name.rsplit(".", 1)[0] for name in files if "." in name}
    found = [status for token in tokens if (status := export_status(user_id, token))]
    epoch = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    return sorted(found, key=lambda status: status.started or epoch, reverse=True)


def works_export_start(user: User) -> str:
    """Ask for a new works zip of `user`'s; its token. One being built
    already is reused rather than started twice."""
    for status in exports_of(user.pk):
        if status.state == "building":
            return status.token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    _write_json(export_path(user.pk, token, "building"), {"started": timezone.now().isoformat()})
    # Enqueued at once, not on commit: the task reads files, not rows this request wrote.
    writer_export_build.enqueue(user.pk, token)
    return token


@task
def writer_export_build(user_id: int, token: str) -> str:
    """Build the works zip the token names; "ready", "failed" or "gone"."""
    return works_export_build(user_id, token)


def works_export_build(user_id: int, token: str) -> str:
    building = export_path(user_id, token, "building")
    started = (_read_json(building) or {}).get("started")
    user = User.objects.filter(pk=user_id).first()
    if user is None or started is None:
        return "gone"
    try:
        with tempfile.TemporaryFile() as spool:
            facts = writer_zip_write(user, spool)
            spool.seek(0)
            default_storage.delete(export_path(user_id, token, "zip"))
            default_storage.save(export_path(user_id, token, "zip"), File(spool))
    except Exception as error:
        logger.exception("Export: the works zip of user %s failed", user_id)
        _write_json(
            export_path(user_id, token, "failed"),
            {"started": started, "error": f"{type(error).__name__}"[:100]},
        )
        default_storage.delete(building)
        return "failed"
    _write_json(export_path(user_id, token, "ready"), {"started": started, **facts})
    default_storage.delete(building)
    for older in exports_of(user_id):
        if older.token != token and older.state != "building":
            works_export_delete(user_id, older.token)
    return "ready"


def works_export_delete(user_id: int, token: str) -> None:
    for suffix in ("zip", "ready", "failed", "building"):
        default_storage.delete(export_path(user_id, token, suffix))


def epub_name(work: Work) -> str:
    return f"{work.pk}-{slugify(work.title)[:60].strip('-') or 'work'}.epub"


def writer_zip_write(user: User, out) -> dict:
    """Write `user`'s works zip into the binary file `out`: `works.json`
    (every work, drafts too, with an `epubs` map of work id to file) and one
    EPUB per posted work. A work whose EPUB fails is left out of the map
    (and logged); the rest go on. Returns counts for the status page."""
    document = export.writer_document(user)
    posted = (
        Work.objects.filter(pk__in=export.works_of(user).values("pk"), state=WorkState.POSTED)
        .for_reading()
        .order_by("pk")
    )
    epubs: dict[str, str] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for work in posted:
            try:
                data = FORMATS["epub"].build(book_for(work), BookImages())
            except Exception:
                logger.exception("Export: the EPUB of work %s failed", work.pk)
                continue
            name = epub_name(work)
            # An EPUB is a zip already: stored as it is, not compressed again.
            archive.writestr(zipfile.ZipInfo(name, _zip_time()), data, zipfile.ZIP_STORED)
            epubs[str(work.pk)] = name
        document["epubs"] = epubs
        archive.writestr("works.json", export.dumps(document))
    return {"works": len(document["works"]), "epubs": len(epubs)}


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = timezone.localtime()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)
