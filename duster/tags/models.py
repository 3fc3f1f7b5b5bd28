from django.db import models
from django.urls import reverse

from duster.lib.urls import fast_reverse


def tag_key(name: str) -> str:
    return name.casefold()


class TagType(models.TextChoices):
    FANDOM = "fandom", "Fandom"
    RELATIONSHIP = "relationship", "Relationship"
    CHARACTER = "character", "Character"
    FREEFORM = "freeform", "Additional Tag"


class Tag(models.Model):
    """A name writers type. Wrangling (synonyms, meta tags) builds on `canonical`
    and `merger`; until a wrangler acts, every new tag stands for itself."""

    name = models.CharField(max_length=150)
    # The name case-folded in Python: SQLite's LOWER() folds only ASCII, and
    # "Pokémon" and "pokémon" must be one tag on every database.
    key = models.CharField(max_length=150, editable=False)
    type = models.CharField(max_length=20, choices=TagType.choices)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    canonical = models.BooleanField(default=False)
    merger = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="synonyms",
        help_text="The canonical tag this one is a synonym of.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("key", "type", name="tag_key_type_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.key = tag_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("tag_detail", args=[self.slug])

    @property
    def works_url(self) -> str:
        return fast_reverse("tag_works", self.slug)
