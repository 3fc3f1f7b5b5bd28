"""What an archive import brought in: one row per source record, so running the import
again updates and skips instead of duplicating, and old links find their new pages."""

from django.db import models

# The source an eFiction archive's records are filed under (import_efiction --source).
EFICTION = "efiction"


class ImportKind(models.TextChoices):
    AUTHOR = "author", "Author"
    STORY = "story", "Story"
    CHAPTER = "chapter", "Chapter"
    SERIES = "series", "Series"
    REVIEW = "review", "Review"
    REPLY = "reply", "Review reply"
    BOOKMARK = "bookmark", "Favourite story or series"
    SUBSCRIPTION = "subscription", "Favourite author"


class LegacyId(models.Model):
    """Source record `old_id` of `kind` in the archive `source` became the Duster object
    `new_id` (a User, Work, Chapter, Series, Comment, Bookmark or Subscription, by kind).
    `digest` is the digest of the source row it was last written from: the same digest
    again means nothing to update."""

    source = models.CharField(max_length=100, default=EFICTION)
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    old_id = models.CharField(max_length=100)
    new_id = models.PositiveBigIntegerField()
    digest = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "source", "kind", "old_id", name="legacyid_unique_source_kind_old"
            ),
        ]
        indexes = [models.Index(fields=["kind", "new_id"], name="legacyid_kind_new")]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.old_id} → {self.new_id}"
