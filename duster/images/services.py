import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat

from duster.accounts.models import User
from duster.images.models import Image, ImageHostPolicy
from duster.images.processing import clean_image


def images_used_bytes(user: User) -> int:
    return Image.objects.filter(uploader=user).aggregate(total=Sum("size"))["total"] or 0


def image_upload(*, uploader: User, upload: UploadedFile) -> Image:
    """Store an uploaded picture for `uploader`'s works, without its metadata.

    The picture is checked and written again before the transaction: that is
    the slow part, and on SQLite a transaction holds the one write lock.
    """
    max_bytes = settings.IMAGE_MAX_BYTES
    if upload.size is None or upload.size > max_bytes:
        raise ValidationError(
            {
                "file": f"This file is {filesizeformat(upload.size or 0)}; an image can be at "
                f"most {filesizeformat(max_bytes)}. Make it smaller and try again."
            }
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    try:
        clean = clean_image(data, max_pixels=settings.IMAGE_MAX_PIXELS)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None

    name = secrets.token_urlsafe(16)
    image = Image(
        name=name,
        extension=clean.kind.extension,
        uploader=uploader,
        original_name=(upload.name or "")[:200],
        content_type=clean.kind.content_type,
        size=len(clean.data),
        width=clean.width,
        height=clean.height,
    )
    # images/<two letters>/<name>.<ext>: no folder grows past a few thousand files.
    image.file.save(f"images/{name[:2]}/{image.filename}", ContentFile(clean.data), save=False)
    stored_name = image.file.name
    assert stored_name is not None  # save() just named it
    try:
        with transaction.atomic():
            # One upload at a time per writer, so two at once can't both fit the quota.
            User.objects.select_for_update().filter(pk=uploader.pk).first()
            _check_quota(uploader, adding=image.size)
            image.full_clean()
            image.save()
    except BaseException:
        image.file.storage.delete(stored_name)
        raise
    return image


def _check_quota(user: User, *, adding: int) -> None:
    quota = settings.IMAGE_QUOTA_BYTES
    used = images_used_bytes(user)
    if used + adding > quota:
        raise ValidationError(
            {
                "file": f"Your images use {filesizeformat(used)} of your "
                f"{filesizeformat(quota)}, and this one needs {filesizeformat(adding)} more. "
                "Delete images you no longer use, then try again."
            }
        )


@transaction.atomic
def image_delete(*, image: Image) -> None:
    """Delete an image; its file goes once the deletion is committed (see signals)."""
    image.delete()


@transaction.atomic
def image_hosts_set(*, hosts: str) -> ImageHostPolicy:
    """Allow images from these outside hosts (one per line); "" allows none."""
    policy = ImageHostPolicy.objects.select_for_update().filter(pk=1).first()
    policy = policy or ImageHostPolicy(pk=1)
    policy.allowed_hosts = hosts
    policy.full_clean()
    policy.save()
    return policy
