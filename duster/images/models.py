from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from duster.images.hosts import parse_hosts
from duster.images.processing import KINDS


class Image(models.Model):
    """A picture a writer uploaded for their works, served by the archive at
    /images/<name>.<extension>. The name is random, so nobody finds an image
    by counting, and never reused, so its address can be cached for good."""

    name = models.CharField(max_length=40, unique=True, editable=False)
    extension = models.CharField(
        max_length=4, choices=[(kind.extension, kind.label) for kind in KINDS], editable=False
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    file = models.FileField(max_length=200, editable=False)
    original_name = models.CharField(
        max_length=200, blank=True, help_text="The uploaded file's name, for its owner's list."
    )
    content_type = models.CharField(max_length=20, editable=False)
    size = models.PositiveIntegerField("size in bytes", editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["uploader", "-created_at"], name="image_uploader_created")]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("image_file", kwargs={"name": self.name, "extension": self.extension})

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.extension}"

    def thumbnail_size(self, box: int = 160) -> tuple[int, int]:
        """Width and height to show it at within a box×box square, never enlarged."""
        scale = min(1.0, box / max(self.width, self.height, 1))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


class ImageHostPolicy(models.Model):
    """The one row saying which outside hosts may serve images in works.

    Empty (the default), every image comes from the archive itself: an image
    on another server would tell that server who reads the work, and when.
    """

    allowed_hosts = models.TextField(
        "allowed outside image hosts",
        blank=True,
        help_text=(
            "One host per line, such as i.imgur.com; *.example.org allows every host under "
            "example.org. Images load from these hosts over https only; each host learns "
            "who reads a work that shows its images. Leave empty to allow none."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "outside image hosts"
        verbose_name_plural = "outside image hosts"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="imagehostpolicy_single_row")
        ]

    def __str__(self) -> str:
        hosts = self.hosts()
        return ", ".join(hosts) if hosts else "No outside image hosts"

    def save(self, *args, **kwargs) -> None:
        # However it is saved (the admin, a shell, a migration), the row is the
        # one row, and holds only host names fit for the CSP header.
        self.pk = 1
        self.allowed_hosts = "\n".join(parse_hosts(self.allowed_hosts))
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            self.allowed_hosts = "\n".join(parse_hosts(self.allowed_hosts))
        except ValidationError as error:
            raise ValidationError({"allowed_hosts": error.messages}) from None

    def hosts(self) -> list[str]:
        return self.allowed_hosts.split()
