"""Taking everything with you: a writer's works zip and an account's data.

Only the account holder ever sees either: every view needs a login and
reads nothing but the logged-in account's rows and files (the storage path
of a works zip starts with the user's own id). GETs only read; starting a
works zip is a POST (with its CSRF token). Why the zip is built in the
background: see duster.downloads.tasks_export."""

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST, require_safe

from duster.downloads import export
from duster.downloads.tasks_export import export_status, exports_of, works_export_start

REFRESH_SECONDS = 5


@login_required
@require_safe
def export_index(request):
    """What can be taken away, and the latest works zip if there is one."""
    latest = next(iter(exports_of(request.user.pk)), None)
    response = render(request, "downloads/export/index.html", {"latest": latest})
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_safe
def account_data(request):
    """The account's own data as one JSON file."""
    document = export.account_document(request.user)
    response = HttpResponse(export.dumps(document), content_type="application/json")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="duster-{request.user.username}-{day}.json"'
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_POST
def works_export(request):
    """Start a works zip (or follow the one being built) and show where it stands."""
    token = works_export_start(request.user)
    return redirect("works_export_status", token=token)


@login_required
@require_safe
def works_export_status(request, token: str):
    """Being prepared (the page reloads itself), failed, or ready to download."""
    status = export_status(request.user.pk, token)
    if status is None:
        raise Http404("No such export.")
    response = render(
        request,
        "downloads/export/status.html",
        {"status": status, "refresh": REFRESH_SECONDS},
        status=202 if status.state == "building" else 200,
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_safe
def works_export_file(request, token: str):
    status = export_status(request.user.pk, token)
    if status is None or status.state != "ready":
        raise Http404("No such export.")
    try:
        opened = default_storage.open(status.file_name, "rb")
    except OSError:
        raise Http404("This export is gone; make a new one.") from None
    day = (status.started or timezone.now()).date().isoformat()
    response = FileResponse(
        opened,
        as_attachment=True,
        filename=f"{request.user.username}-works-{day}.zip",
        content_type="application/zip",
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
