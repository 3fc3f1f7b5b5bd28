from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


class TagType(models.TextChoices):
    FANDOM = "fandom", "Fandom"
    RELATIONSHIP = "relationship", "Relationship"
    CHARACTER = "character", "Character"
    FREEFORM = "freeform", "Additional Tag"


class Tag(models.Model):
    """A name writers type. Wrangling (synonyms, meta tags) builds on `canonical`
    and `merger`; until a wrangler acts, every new tag stands for itself."""

    name = models.CharField(max_length=150)
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
            models.UniqueConstraint(Lower("name"), "type", name="tag_name_type_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tag_detail", args=[self.slug])
