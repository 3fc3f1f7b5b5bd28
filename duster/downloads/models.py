from django.db import models
from django.utils import timezone

from duster.works.models import Work


class DownloadState(models.TextChoices):
    BUILDING = "building", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class DownloadFile(models.Model):
    """One built file of a work in one format, stored under the digest of
    everything it was built from (`duster.downloads.book.book_key`). The
    unique key is the claim: of any number of simultaneous requests for a
    new file, one creates the row and enqueues the build; the rest wait."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="download_files")
    extension = models.CharField(max_length=10)
    key = models.CharField(max_length=32)
    state = models.CharField(
        max_length=10, choices=DownloadState.choices, default=DownloadState.BUILDING
    )
    file = models.FileField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work", "extension", "key"], name="download_one_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_id}.{self.extension} ({self.get_state_display()})"
