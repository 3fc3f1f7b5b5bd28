"""Tags and the graph wranglers build over them.

A tag is canonical (it stands for itself in filters), a synonym of one
canonical tag of its type (`merger`), or unwrangled (neither: it stands for
itself until a wrangler acts). Canonical tags may have meta tags of their type
(`meta_tags`, several levels deep, never a cycle); characters, relationships
and additional tags belong to parent fandoms; a relationship knows its
characters; a fandom has a media type. Ratings, warnings and categories are
fixed sets of canonical tags nobody can extend.

A work's *filter tags* (`FilterTagging`) are the canonical forms of its tags
plus all their meta tags, and its fixed tags: search and tag pages read those
rows. `duster.tags.filtering` keeps them right.
"""

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from duster.lib.urls import fast_reverse

MAX_TAG_LENGTH = 150

_NON_WORD = re.compile(r"[\W_]+")


def tag_name_normalize(name: str) -> str:
    """White space trimmed and folded to single spaces."""
    return " ".join(name.split())


def tag_key(name: str) -> str:
    """What makes two names one tag: case, accents and spacing aside.
    "Pokémon", "pokemon" and " POKEMON " are one; "Spike/Buffy" and
    "Spike & Buffy" are not. Folded in Python: SQLite's LOWER() folds only ASCII."""
    decomposed = unicodedata.normalize("NFKD", tag_name_normalize(name))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.casefold())


def tag_match_key(name: str) -> str:
    """`tag_key` with punctuation also set aside, words separated by one
    space: "Spike/Buffy" and "spike - buffy" -> "spike buffy". Not unique; for
    suggestions and as-you-type look-ups (indexed with the type)."""
    return " ".join(_NON_WORD.sub(" ", tag_key(name)).split())


def tag_name_validate(name: str) -> None:
    """A usable tag name: not empty, no comma, no NUL, not too long."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("A tag name can't be empty.", code="required")
    if "," in name:
        raise ValidationError(
            f"Commas separate tags and can't be part of a tag name (“{name[:60]}”).",
            code="comma",
        )
    if "\x00" in name:
        raise ValidationError("A tag name can't contain a NUL character.", code="nul")
    if len(tag_name_normalize(name)) > MAX_TAG_LENGTH:
        raise ValidationError(
            f"Tags can be at most {MAX_TAG_LENGTH} characters: “{name[:40]}…” is longer.",
            code="max_length",
        )


class TagType(models.TextChoices):
    FANDOM = "fandom", "Fandom"
    RELATIONSHIP = "relationship", "Relationship"
    CHARACTER = "character", "Character"
    FREEFORM = "freeform", "Additional Tag"
    RATING = "rating", "Rating"
    WARNING = "warning", "Archive Warning"
    CATEGORY = "category", "Category"


# Fixed sets: created by the archive (see duster.tags.fixed), never by writers.
FIXED_TYPES = frozenset({TagType.RATING, TagType.WARNING, TagType.CATEGORY})
# Types whose tags belong to parent fandoms.
FANDOM_CHILD_TYPES = frozenset({TagType.RELATIONSHIP, TagType.CHARACTER, TagType.FREEFORM})


class Media(models.TextChoices):
    TV = "tv", "TV Shows"
    FILM = "film", "Movies"
    BOOKS = "books", "Books & Literature"
    ANIME_MANGA = "anime_manga", "Anime & Manga"
    GAMES = "games", "Video Games"
    COMICS = "comics", "Cartoons & Comics & Graphic Novels"
    MUSIC = "music", "Music & Bands"
    THEATRE = "theatre", "Theater"
    RPF = "rpf", "Celebrities & Real People"
    OTHER = "other", "Other Media"


class TagQuerySet(models.QuerySet):
    """Bulk writes keep `key` and `match_key` in step with `name`."""

    def update(self, **kwargs):
        if "name" in kwargs and not {"key", "match_key"} <= kwargs.keys():
            raise ValueError(
                "Renaming tags with update() must set key and match_key too "
                "(tag_key(name), tag_match_key(name)); or save each tag."
            )
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        if "name" in fields:
            for tag in objs:
                tag.keys_refresh()
            fields = list(dict.fromkeys([*fields, "key", "match_key"]))
        return super().bulk_update(objs, fields, *args, **kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for tag in objs:
            tag.keys_refresh()
        return super().bulk_create(objs, *args, **kwargs)

    def canonical(self):
        return self.filter(canonical=True)

    def unwrangled(self):
        return self.filter(canonical=False, merger__isnull=True, fixed=False)


class Tag(models.Model):
    name = models.CharField(max_length=MAX_TAG_LENGTH)
    # tag_key(name): unique per type. Set by save(), bulk_create and
    # bulk_update; update(name=…) is refused unless it sets the keys too.
    key = models.CharField(max_length=MAX_TAG_LENGTH, editable=False)
    # tag_match_key(name): punctuation aside, for suggestions and look-ups.
    match_key = models.CharField(max_length=MAX_TAG_LENGTH, editable=False, default="")
    type = models.CharField(max_length=20, choices=TagType.choices)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    canonical = models.BooleanField(default=False)
    fixed = models.BooleanField(
        default=False, editable=False, help_text="One of the archive's ratings, warnings, …"
    )
    media = models.CharField(
        max_length=20, choices=Media.choices, blank=True, help_text="For fandoms."
    )
    merger = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="synonyms",
        help_text="The canonical tag this one is a synonym of.",
    )
    meta_tags = models.ManyToManyField(
        "self",
        symmetrical=False,
        through="MetaTagging",
        through_fields=("sub", "meta"),
        related_name="sub_tags",
        blank=True,
    )
    fandoms = models.ManyToManyField(
        "self",
        symmetrical=False,
        through="TagFandom",
        through_fields=("tag", "fandom"),
        related_name="children",
        blank=True,
    )
    characters = models.ManyToManyField(
        "self", symmetrical=False, related_name="relationships", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("key", "type", name="tag_key_type_unique"),
            models.CheckConstraint(
                condition=Q(canonical=False) | Q(merger__isnull=True),
                name="tag_canonical_has_no_merger",
            ),
            models.CheckConstraint(
                condition=Q(merger__isnull=True) | ~Q(merger=F("id")),
                name="tag_not_own_merger",
            ),
            models.CheckConstraint(
                condition=Q(fixed=False) | Q(canonical=True, merger__isnull=True),
                name="tag_fixed_is_canonical",
            ),
            models.CheckConstraint(
                condition=Q(media="") | Q(type="fandom"), name="tag_media_only_for_fandoms"
            ),
        ]
        indexes = [models.Index(fields=["type", "match_key"], name="tag_type_match_key")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.keys_refresh()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = list(dict.fromkeys([*update_fields, "key", "match_key"]))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("tag_detail", args=[self.slug])

    def keys_refresh(self) -> None:
        """Normalise the name's spacing and derive key and match_key from it."""
        self.name = tag_name_normalize(self.name)
        self.key = tag_key(self.name)
        self.match_key = tag_match_key(self.name)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        try:
            tag_name_validate(self.name)
        except ValidationError as error:
            errors["name"] = error.messages
        merger = self.merger if self.merger_id is not None else None
        if merger is not None:
            if merger.pk == self.pk:
                errors["merger"] = ["A tag can't be a synonym of itself."]
            elif merger.type != self.type:
                errors["merger"] = [
                    f"“{self.name}” is a {self.get_type_display().lower()} tag and can only be a "
                    f"synonym of another one; “{merger.name}” is a "
                    f"{merger.get_type_display().lower()} tag."
                ]
            elif not merger.canonical:
                errors["merger"] = [
                    f"“{merger.name}” is not canonical: a synonym must point at a canonical tag."
                ]
            if self.canonical:
                errors.setdefault("canonical", []).append(
                    "A canonical tag can't be a synonym of another tag."
                )
        if self.media and self.type != TagType.FANDOM:
            errors["media"] = ["Only fandoms have a media type."]
        if errors:
            raise ValidationError(errors)

    @property
    def is_synonym(self) -> bool:
        return self.merger_id is not None

    @property
    def works_url(self) -> str:
        return fast_reverse("tag_works", self.slug)


class MetaTagging(models.Model):
    """`meta` is a meta tag of `sub`: works with `sub` are found under `meta`."""

    sub = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="meta_taggings")
    meta = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="sub_taggings")

    class Meta:
        constraints = [
            models.UniqueConstraint("sub", "meta", name="metatagging_unique"),
            models.CheckConstraint(condition=~Q(sub=F("meta")), name="metatagging_not_self"),
        ]
        indexes = [models.Index(fields=["meta", "sub"], name="metatagging_meta_sub")]

    def __str__(self) -> str:
        return f"{self.sub_id} under {self.meta_id}"


class TagFandom(models.Model):
    """`fandom` is a parent fandom of `tag` (a character, relationship or additional tag)."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="fandom_links")
    fandom = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="child_links")

    class Meta:
        constraints = [
            models.UniqueConstraint("tag", "fandom", name="tagfandom_unique"),
            models.CheckConstraint(condition=~Q(tag=F("fandom")), name="tagfandom_not_self"),
        ]
        indexes = [models.Index(fields=["fandom", "tag"], name="tagfandom_fandom_tag")]

    def __str__(self) -> str:
        return f"{self.tag_id} in fandom {self.fandom_id}"


class FilterTagging(models.Model):
    """One of a work's filter tags (precomputed; see duster.tags.filtering)."""

    work = models.ForeignKey("works.Work", on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="filter_taggings")
    # The tag's type, copied (a tag never changes type): facets count a set
    # of works' filter tags by type without looking up every tag.
    tag_type = models.CharField(max_length=20, choices=TagType.choices)

    class Meta:
        constraints = [models.UniqueConstraint("work", "tag", name="filtertagging_unique")]
        indexes = [
            models.Index(fields=["tag", "work"], name="filtertagging_tag_work"),
            models.Index(fields=["work", "tag_type", "tag"], name="filtertagging_work_type"),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} filters work {self.work_id}"


class WranglingLog(models.Model):
    """One wrangling change: who, when, what, the tag's state before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="wrangling_log")
    action = models.CharField(max_length=40)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["tag", "-at", "-id"], name="wranglinglog_tag_at"),
            models.Index(fields=["-at", "-id"], name="wranglinglog_at"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.tag_id} at {self.at:%Y-%m-%d %H:%M}"


class Wrangler(models.Model):
    """The wrangler role: for one fandom, or every fandom when `fandom` is empty."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wrangler_roles"
    )
    fandom = models.ForeignKey(
        Tag,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="wranglers",
        limit_choices_to={"type": TagType.FANDOM},
        help_text="Leave empty for every fandom.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("user", "fandom", name="wrangler_user_fandom_unique"),
            models.UniqueConstraint(
                "user", condition=Q(fandom__isnull=True), name="wrangler_user_all_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} wrangles {self.fandom_id or 'every fandom'}"


class RefilterJob(models.Model):
    """Recomputing the filter tags of the works a graph change touched, in
    batches of works in id order; `done` and `last_work_id` are committed with
    each batch, so a job cut short resumes where it stopped."""

    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200)
    tag_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    last_work_id = models.BigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(finished_at__isnull=True), name="refilterjob_unfinished"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.done}/{self.total})"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.finished_at else 0
        return min(100, self.done * 100 // self.total)
