"""Files for download: found, claimed, built once and kept until the work
changes.

`download_find` answers a request: the row for the work's current key in
that format, created (and its build enqueued) by the first request that
asks. Whatever process builds it, the unique key makes sure one build runs
for any number of simultaneous requests. A build that died (its worker
killed) or failed is claimed again after DOWNLOAD_RETRY_SECONDS.

Once a file is ready, the work's older files in that format are deleted:
a changed work is never served an old file, because its key changed.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from duster.downloads.book import book_for, book_key
from duster.downloads.formats import FORMATS, Format
from duster.downloads.images import BookImages
from duster.downloads.models import DownloadFile, DownloadState
from duster.works.models import Work, WorkState

logger = logging.getLogger(__name__)


def download_key(work: Work) -> str:
    """The key files of `work` as it is now are stored under."""
    return book_key(book_for(work, with_chapters=False), work)


def download_find(work: Work, fmt: Format) -> DownloadFile:
    """The file of `work` in `fmt` as it is now: ready, or being built."""
    key = download_key(work)
    row = DownloadFile.objects.filter(work=work, extension=fmt.extension, key=key).first()
    if row is None:
        try:
            with transaction.atomic():
                row = DownloadFile.objects.create(work=work, extension=fmt.extension, key=key)
        except IntegrityError:  # another request claimed it first
            return DownloadFile.objects.get(work=work, extension=fmt.extension, key=key)
        _enqueue(row)
        return download_refresh(row)
    if row.state != DownloadState.READY and _claim_again(row):
        _enqueue(row)
        return download_refresh(row)
    return row


def _claim_again(row: DownloadFile) -> bool:
    """Whether this request takes over a build that died or failed a while ago."""
    now = timezone.now()
    if row.claimed_at > now - timedelta(seconds=settings.DOWNLOAD_RETRY_SECONDS):
        return False
    taken = DownloadFile.objects.filter(
        pk=row.pk, state=row.state, claimed_at=row.claimed_at
    ).update(state=DownloadState.BUILDING, claimed_at=now, error="")
    if taken:
        row.state, row.claimed_at, row.error = DownloadState.BUILDING, now, ""
    return bool(taken)


def _enqueue(row: DownloadFile) -> None:
    # The claim is committed by now (outside a transaction, as a request
    # runs); inside one, a database task is seen only once it commits too.
    from duster.downloads.tasks import download_build

    download_build.enqueue(row.pk)


def download_refresh(row: DownloadFile) -> DownloadFile:
    row.refresh_from_db(fields=["state", "file", "size", "error", "built_at"])
    return row


def download_build(download_id: int) -> str:
    """Build the file a row claims, store it, and drop the work's older files
    in that format. Returns the row's final state."""
    row = DownloadFile.objects.filter(pk=download_id).select_related("work").first()
    if row is None or row.state != DownloadState.BUILDING:
        return row.state if row else "gone"
    work = Work.objects.filter(pk=row.work_id, state=WorkState.POSTED).for_reading().first()
    fmt = FORMATS.get(row.extension)
    if work is None or fmt is None or not fmt.available():
        row.delete()
        return "gone"
    try:
        data = fmt.build(book_for(work), BookImages())
    except Exception as error:
        logger.exception("Download: building %s of work %s failed", row.extension, row.work_id)
        DownloadFile.objects.filter(pk=row.pk).update(
            state=DownloadState.FAILED, error=f"{type(error).__name__}: {error}"[:200]
        )
        return DownloadState.FAILED
    name = default_storage.save(
        f"downloads/{row.work_id}/{row.key}.{row.extension}", ContentFile(data)
    )
    DownloadFile.objects.filter(pk=row.pk).update(
        state=DownloadState.READY, file=name, size=len(data), built_at=timezone.now()
    )
    older = DownloadFile.objects.filter(work_id=row.work_id, extension=row.extension).exclude(
        pk=row.pk
    )
    for old in older:
        old.delete()  # its file goes with it (duster.downloads.signals)
    return DownloadState.READY
