"""`/downloads/<id>/<slug>.<ext>`: the file, once built.

A file not built yet is enqueued; the request waits up to
DOWNLOAD_WAIT_SECONDS for it, then answers with a short page that reloads
itself until the file is ready."""

import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from duster.downloads.book import book_slug, work_for_download
from duster.downloads.formats import FORMATS
from duster.downloads.models import DownloadState
from duster.downloads.services import download_find, download_refresh

POLL_SECONDS = 0.2
REFRESH_SECONDS = 3


@require_safe
def download(request, pk: int, slug: str, extension: str):
    fmt = FORMATS.get(extension)
    if fmt is None or not fmt.available():
        raise Http404("No such download format.")
    work = work_for_download(pk, request.user)
    if work is None:
        raise Http404("No such work.")
    if slug != book_slug(work):
        return redirect(download_url(work, extension), permanent=True)
    row = download_find(work, fmt)
    deadline = time.monotonic() + settings.DOWNLOAD_WAIT_SECONDS
    while row.state == DownloadState.BUILDING and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        download_refresh(row)
    etag = f'"{row.key}-{row.extension}"'
    if row.state == DownloadState.READY:
        response: HttpResponseBase
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            try:
                opened = default_storage.open(row.file.name or "", "rb")
            except OSError:  # the file went missing: build it again
                row.delete()
                return _preparing(request, work, fmt, failed=False)
            response = FileResponse(
                opened,
                as_attachment=True,
                filename=f"{book_slug(work)}.{extension}",
                content_type=fmt.media_type,
            )
        response["ETag"] = etag
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        return response
    return _preparing(request, work, fmt, failed=row.state == DownloadState.FAILED)


def _preparing(request, work, fmt, *, failed: bool):
    response = render(
        request,
        "downloads/preparing.html",
        {"work": work, "format": fmt, "failed": failed, "refresh": REFRESH_SECONDS},
        status=503 if failed else 202,
    )
    response["Retry-After"] = str(settings.DOWNLOAD_RETRY_SECONDS if failed else REFRESH_SECONDS)
    patch_cache_control(response, no_store=True)
    return response


def download_url(work, extension: str) -> str:
    return reverse(
        "download", kwargs={"pk": work.pk, "slug": book_slug(work), "extension": extension}
    )
