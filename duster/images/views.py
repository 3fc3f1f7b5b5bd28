from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import etag, require_POST, require_safe

from duster.images.forms import ImageUploadForm
from duster.images.models import Image
from duster.images.policy import allowed_image_hosts
from duster.images.services import image_delete, image_upload, images_used_bytes
from duster.lib.forms import apply_service
from duster.lib.pagination import paginate

# An image's bytes never change under its name (a new upload gets a new one).
CACHE_FOREVER = "public, max-age=31536000, immutable"


@login_required
def image_list(request):
    """The writer's images: upload one, copy an address, delete."""
    posted = request.method == "POST"
    form = ImageUploadForm(request.POST, request.FILES) if posted else ImageUploadForm()
    if posted and form.is_valid():
        done, image = apply_service(
            form, lambda: image_upload(uploader=request.user, upload=form.cleaned_data["file"])
        )
        if done:
            messages.success(
                request,
                f'Uploaded. Put it in a work with <img src="{image.get_absolute_url()}" alt="…">.',
            )
            return redirect("image_list")
    page = paginate(request, Image.objects.filter(uploader=request.user))
    context = {
        "form": form,
        "page": page,
        "used": images_used_bytes(request.user),
        "quota": settings.IMAGE_QUOTA_BYTES,
        "max_bytes": settings.IMAGE_MAX_BYTES,
        "outside_hosts": allowed_image_hosts(),
    }
    return render(request, "images/image_list.html", context)


@login_required
@require_POST
def image_delete_view(request, name: str):
    image = get_object_or_404(Image, name=name, uploader=request.user)
    image_delete(image=image)
    messages.success(request, f"Deleted {image.original_name or image.filename}.")
    return redirect("image_list")


def _image_etag(request, name: str, extension: str) -> str:
    return f"{name}.{extension}"


# Opened on its own, an image is a document that may do nothing at all. (Django takes
# True for a directive without values; django-stubs' type for the config leaves it out.)
@csp_override({"default-src": [CSP.NONE], "img-src": [CSP.SELF], "sandbox": True})  # type: ignore[dict-item]
@require_safe
@etag(_image_etag)
def image_file(request, name: str, extension: str):
    """The image's bytes, for anyone who has its address. ImagesMiddleware calls
    this before sessions exist, so it sets no cookie and varies on none, and
    any cache in front (a proxy, a CDN, the browser) may keep it for good."""
    found = Image.objects.filter(name=name, extension=extension)
    image = found.only("file", "content_type").first()
    if image is None:
        raise Http404("No such image.")
    try:
        handle = image.file.open("rb")
    except OSError:
        raise Http404("No such image.") from None
    response = FileResponse(handle, content_type=image.content_type)
    response["Cache-Control"] = CACHE_FOREVER
    response["X-Content-Type-Options"] = "nosniff"
    return response
