import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property

from duster.accounts.models import Pseud, User
from duster.lib.richtext import RichTextModel
from duster.lib.text import word_count
from duster.lib.urls import fast_reverse
from duster.tags.models import Tag, TagType
from duster.works.choices import (  # noqa: F401  also read from here
    ADULT_RATINGS,
    FIXED_CHOICES,
    FIXED_VALUES,
    LANGUAGE_NAMES,
    LANGUAGES,
    ArchiveWarning,
    Category,
    CommentPolicy,
    Rating,
    WorkState,
)
from duster.works.rules import (
    BODY_MAX,
    EXPECTED_CHAPTERS_MAX,
    NOTES_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    too_long,
    validate_categories,
    validate_warnings,
)


class WorkQuerySet(models.QuerySet):
    def posted(self):
        return self.filter(state=WorkState.POSTED)

    def visible_to(self, user):
        """The one visibility rule: posted works (restricted ones only for
        logged-in readers), plus every work the user is an accepted creator of."""
        if user is None or not user.is_authenticated:
            return self.filter(state=WorkState.POSTED, restricted=False)
        own = Creatorship.objects.filter(
            pseud__user=user, approved=True, work__isnull=False
        ).values("work_id")
        return self.filter(Q(state=WorkState.POSTED) | Q(pk__in=own))

    def credited_to(self, user, *, viewer):
        """Works credited to `user`; anonymous ones only when `viewer` is that user."""
        credits = Creatorship.objects.filter(pseud__user=user, approved=True, work__isnull=False)
        qs = self.filter(pk__in=credits.values("work_id"))
        if viewer != user:
            qs = qs.exclude(anonymous=True)
        return qs

    def for_listing(self):
        """What a blurb shows, in a fixed number of queries: not the notes or
        what the writer typed, the widest columns, which no blurb shows."""
        return self._with_credits_and_tags().defer("notes", "end_notes", *source_fields(Work))

    def for_reading(self):
        """What a work's reading pages show: all but what the writer typed
        (which only the edit form reopens), and whether it is in any series
        (most works are not: then there is no series to look up)."""
        in_series = models.Exists(SeriesEntry.objects.filter(work=models.OuterRef("pk")))
        return (
            self._with_credits_and_tags()
            .defer(*source_fields(Work))
            .annotate(in_any_series=in_series)
        )

    def _with_credits_and_tags(self):
        return self.prefetch_related(
            models.Prefetch("creatorships", queryset=byline_credits(), to_attr="credits"),
            models.Prefetch(
                "tags",
                queryset=Tag.objects.only("id", "name", "key", "type", "slug").order_by(
                    "worktag__position"
                ),
            ),
        )


def source_fields(model: type[RichTextModel]) -> tuple[str, ...]:
    """The columns holding what the writer typed, which pages never show."""
    return tuple(f"{name}_source" for name in model.RICH_TEXT)


def _source(limit: int | None = None, label: str = "") -> models.TextField:
    """The writer's own text for a rich field, in the object's text_format."""
    if limit is None:
        return models.TextField(label or None, blank=True)
    # TextField does not check max_length itself: the validator does.
    return models.TextField(
        label or None,
        blank=True,
        max_length=limit,
        validators=[MaxLengthValidator(limit)],
        error_messages=too_long(limit),
    )


# What Work works out once from its tags, forgotten when they change.
_TAG_CACHES = (
    "_tags_by_type",
    "warning_labels",
    "category_labels",
    "symbols",
    "blurb_key",
    "blurb_tags",
    "metadata_key",
)


class Work(RichTextModel):
    RICH_TEXT = ("summary", "notes", "end_notes")

    title = models.CharField(max_length=TITLE_MAX, error_messages=too_long(TITLE_MAX))
    # Sanitized HTML, derived from the *_source fields on save (RichTextModel).
    summary = models.TextField(blank=True, editable=False)
    notes = models.TextField(blank=True, editable=False)
    end_notes = models.TextField(blank=True, editable=False)
    summary_source = _source(SUMMARY_MAX, "summary")
    notes_source = _source(NOTES_MAX, "notes")
    end_notes_source = _source(NOTES_MAX, "end notes")
    language = models.CharField(max_length=20, choices=LANGUAGES, default="en")
    rating = models.CharField(max_length=20, choices=Rating.choices)
    # Warnings and categories are WorkTag rows pointing at fixed tags (see
    # `warnings` and `categories` below); the rating's fixed tag is only in
    # the filter tags.
    tags = models.ManyToManyField(Tag, through="WorkTag", related_name="works")
    filter_tags = models.ManyToManyField(
        Tag, through="tags.FilterTagging", related_name="filtered_works"
    )
    expected_chapters = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(EXPECTED_CHAPTERS_MAX)],
    )
    chapter_count = models.PositiveIntegerField(default=0)
    complete = models.BooleanField(default=False)
    restricted = models.BooleanField(default=False)
    comment_policy = models.CharField(
        max_length=20, choices=CommentPolicy.choices, default=CommentPolicy.REGISTERED
    )
    moderated_comments = models.BooleanField(default=False)
    anonymous = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=WorkState.choices, default=WorkState.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    word_count = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)
    kudos_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    bookmark_count = models.PositiveIntegerField(default=0)

    objects = WorkQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["state", "restricted", "-updated_at", "-id"], name="work_latest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_chapters__isnull=True) | Q(expected_chapters__gte=1),
                name="work_expected_chapters_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return fast_reverse("work_detail", self.pk)

    @property
    def is_draft(self) -> bool:
        return self.state == WorkState.DRAFT

    @property
    def is_adult(self) -> bool:
        return self.rating in ADULT_RATINGS

    @property
    def chapters_label(self) -> str:
        """'3/?' or '3/5': the status is never a guess."""
        expected = self.expected_chapters if self.expected_chapters else "?"
        return f"{self.chapter_count}/{expected}"

    @property
    def is_oneshot(self) -> bool:
        return self.complete and self.chapter_count == 1

    # Blurbs ask for these several times each: work them out once per work.
    @cached_property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)

    # Archive warnings and categories as lists of values, read from the
    # work's fixed tags; set here (Work(warnings=[…]), a service's `fields`),
    # they are written as tags by work_set_tags.
    @property
    def warnings(self) -> list[str]:
        return self._fixed_values(TagType.WARNING)

    @warnings.setter
    def warnings(self, values: list[str]) -> None:
        self._fixed_set(TagType.WARNING, values)

    @property
    def categories(self) -> list[str]:
        return self._fixed_values(TagType.CATEGORY)

    @categories.setter
    def categories(self, values: list[str]) -> None:
        self._fixed_set(TagType.CATEGORY, values)

    def _fixed_set(self, tag_type: TagType, values: list[str]) -> None:
        self.__dict__.setdefault("fixed_pending", {})[tag_type] = list(values or [])
        self._forget_tags()

    def _forget_tags(self) -> None:
        for name in _TAG_CACHES:
            self.__dict__.pop(name, None)

    def tags_changed(self) -> None:
        """After its tags were written: read them afresh next time."""
        self.__dict__.pop("fixed_pending", None)
        self._forget_tags()
        getattr(self, "_prefetched_objects_cache", {}).pop("tags", None)

    def _fixed_values(self, tag_type: TagType) -> list[str]:
        pending = self.__dict__.get("fixed_pending", {})
        if tag_type in pending:
            return pending[tag_type]
        if self.pk is None:
            return []
        values = FIXED_VALUES[tag_type]
        return [values[t.key] for t in self.tags_of(tag_type) if t.key in values]

    def clean(self) -> None:
        super().clean()
        errors = {}
        for name, check in (("warnings", validate_warnings), ("categories", validate_categories)):
            try:
                check(getattr(self, name))
            except ValidationError as error:
                errors[name] = error.messages
        if errors:
            raise ValidationError(errors)

    @cached_property
    def warning_labels(self) -> list[str]:
        return [ArchiveWarning(w).label for w in self.warnings if w in ArchiveWarning.values]

    @cached_property
    def category_labels(self) -> list[str]:
        return [Category(c).label for c in self.categories if c in Category.values]

    @cached_property
    def symbols(self) -> list[tuple[str, str, str]]:
        """The blurb's four squares: (css classes, mark, text alternative)."""
        rating = Rating(self.rating) if self.rating in Rating.values else Rating.NOT_RATED
        marks = {"general": "G", "teen": "T", "mature": "M", "explicit": "E"}
        warnings = ", ".join(self.warning_labels)
        if ArchiveWarning.NONE_APPLY in self.warnings:
            warning = ("warning-none", "–")
        elif ArchiveWarning.CHOSE_NOT_TO_WARN in self.warnings:
            warning = ("warning-choosenot", "?")
        else:
            warning = ("warning-yes", "!")
        categories = ", ".join(self.category_labels) or "none"
        # A square holds three letters: "Multi" and "Other" are shortened.
        short: dict[str, str] = {Category.MULTI: "Mx", Category.OTHER: "Oth"}
        if len(self.categories) > 1:
            category = "Mx"
        elif self.categories:
            category = short.get(self.categories[0], self.category_labels[0])
        else:
            category = "–"
        if self.is_oneshot:
            status = "Complete (one-shot)"
        else:
            status = "Complete work" if self.complete else "Work in progress"
        done = "complete" if self.complete else "in-progress"
        return [
            (
                f"rating rating-{rating.value}",
                marks.get(rating.value, "NR"),
                f"Rating: {rating.label}",
            ),
            (f"warnings {warning[0]}", warning[1], f"Warnings: {warnings}"),
            ("category", category, f"Category: {categories}"),
            (f"status {done}", "✓" if self.complete else "…", status),
        ]

    @cached_property
    def _tags_by_type(self) -> dict[str, list[Tag]]:
        by_type: dict[str, list[Tag]] = {}
        for tag in self.tags.all():
            by_type.setdefault(tag.type, []).append(tag)
        return by_type

    def tags_of(self, tag_type: str) -> list[Tag]:
        return self._tags_by_type.get(tag_type, [])

    @cached_property
    def blurb_key(self) -> str:
        """A digest of everything a blurb shows. Rendered blurbs are cached
        under it, so a cached one is reused only while all of that is unchanged."""
        shown = (
            self.pk,
            self.title,
            self.summary,
            self.rating,
            self.warnings,
            self.categories,
            self.language,
            self.word_count,
            self.chapter_count,
            self.expected_chapters,
            self.complete,
            self.updated_at,
            self.hits,
            self.kudos_count,
            self.comment_count,
            self.bookmark_count,
            self.state,
            self.anonymous,
            [(p.pk, p.name, p.user.username) for p in self.credited_pseuds()],
            [(t.pk, t.name, t.slug, t.type) for t in self.tags.all()],
        )
        return hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()

    @cached_property
    def metadata_key(self) -> str:
        """A digest of everything the tag part of a work page's metadata block
        shows (rating, warnings, categories, tags, language), from the rows
        this request loaded: a block cached under it is never stale."""
        shown = (
            self.pk,
            self.modified_at,
            self.rating,
            self.language,
            [(t.pk, t.name, t.slug, t.key, t.type) for t in self.tags.all()],
        )
        return hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()

    @cached_property
    def blurb_tags(self) -> list[tuple[str, str, str]]:
        """Warnings, relationships, characters and additional tags in the order a
        blurb lists them: (css class, text, link or "")."""
        rows = [("warnings", label, "") for label in self.warning_labels]
        for css, tag_type in (
            ("relationships", TagType.RELATIONSHIP),
            ("characters", TagType.CHARACTER),
            ("freeforms", TagType.FREEFORM),
        ):
            rows += [(css, tag.name, tag.works_url) for tag in self.tags_of(tag_type)]
        return rows

    def fandoms(self) -> list[Tag]:
        return self.tags_of(TagType.FANDOM)

    def relationships(self) -> list[Tag]:
        return self.tags_of(TagType.RELATIONSHIP)

    def characters(self) -> list[Tag]:
        return self.tags_of(TagType.CHARACTER)

    def freeforms(self) -> list[Tag]:
        return self.tags_of(TagType.FREEFORM)

    def credited_pseuds(self) -> list[Pseud]:
        """Accepted creators' pseuds in credit order (prefetched by for_listing)."""
        credits = getattr(self, "credits", None)
        if credits is None:
            credits = self.creatorships.filter(approved=True).select_related("pseud__user")
        return [c.pseud for c in sorted(credits, key=lambda c: c.position)]

    def is_creator(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return any(p.user_id == user.pk for p in self.credited_pseuds())


class WorkTag(models.Model):
    work = models.ForeignKey(Work, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint("work", "tag", name="worktag_unique")]
        indexes = [models.Index(fields=["tag", "work"], name="worktag_tag_work")]

    def __str__(self) -> str:
        return f"{self.tag_id} on work {self.work_id}"


class Chapter(RichTextModel):
    RICH_TEXT = ("summary", "notes", "end_notes", "body")
    RICH_TEXT_HTML_MAX = {"body": BODY_MAX}
    _counted: str | None = None  # the body word_count was last counted from

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="chapters")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX, blank=True, error_messages=too_long(TITLE_MAX))
    summary = models.TextField(blank=True, editable=False)
    notes = models.TextField(blank=True, editable=False)
    end_notes = models.TextField(blank=True, editable=False)
    body = models.TextField(blank=True, editable=False)
    summary_source = _source(SUMMARY_MAX, "summary")
    notes_source = _source(NOTES_MAX, "notes")
    end_notes_source = _source(NOTES_MAX, "end notes")
    body_source = _source(BODY_MAX, "chapter text")
    word_count = models.PositiveIntegerField(default=0)
    posted = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["work", "position"], name="chapter_work_position")]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse("chapter_detail", args=[self.work_id, self.pk])

    def clean(self) -> None:
        super().clean()
        if "body" in self.__dict__ and not (self.body or "").strip():
            if (self.body_source or "").strip():
                message = "The chapter text is empty once unsafe HTML is removed."
            else:
                message = "Type or paste the chapter text, or upload a file."
            raise ValidationError({"body_source": message})

    def rich_text_render(self, names=None) -> None:
        before = self.__dict__.get("body")
        super().rich_text_render(names)
        body = self.__dict__.get("body", before)
        if "body" in self.__dict__ and (body != before or not self.pk) and body != self._counted:
            self.word_count = word_count(body or "")
            self._counted = body

    @cached_property
    def text_key(self) -> str:
        """A digest of the chapter text as the reading page shows it: the
        stored HTML itself, and the allowed image hosts when it has images
        (outside ones show as links). A text cached under it is never stale."""
        from duster.images.policy import allowed_image_hosts

        body = self.body or ""
        hosts = allowed_image_hosts() if "<img" in body.lower() else ()
        digest = hashlib.blake2b(body.encode(), digest_size=16)
        digest.update(repr((self.pk, hosts)).encode())
        return digest.hexdigest()

    @property
    def display_title(self) -> str:
        if self.title:
            return f"Chapter {self.position}: {self.title}"
        return f"Chapter {self.position}"


class Series(RichTextModel):
    RICH_TEXT = ("summary", "notes")

    title = models.CharField(max_length=TITLE_MAX, error_messages=too_long(TITLE_MAX))
    summary = models.TextField(blank=True, editable=False)
    notes = models.TextField(blank=True, editable=False)
    summary_source = _source(SUMMARY_MAX, "summary")
    notes_source = _source(NOTES_MAX, "notes")
    complete = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("series_detail", args=[self.pk])

    def credited_pseuds(self) -> list[Pseud]:
        credits = getattr(self, "credits", None)
        if credits is None:
            credits = self.creatorships.filter(approved=True).select_related("pseud__user")
        return [c.pseud for c in sorted(credits, key=lambda c: c.position)]

    def is_creator(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return any(p.user_id == user.pk for p in self.credited_pseuds())


class SeriesEntry(models.Model):
    """A work's place in a series. The order is the author's, never dates."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="entries")
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="series_entries")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "series entries"
        constraints = [
            models.UniqueConstraint("series", "work", name="series_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"work {self.work_id} at {self.position} in series {self.series_id}"


class Creatorship(models.Model):
    """A pseud's credit on a work or a series. Invited co-creators are credited
    (and can see drafts) only once they accept."""

    pseud = models.ForeignKey(Pseud, on_delete=models.CASCADE, related_name="creatorships")
    work = models.ForeignKey(
        Work, null=True, blank=True, on_delete=models.CASCADE, related_name="creatorships"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="creatorships"
    )
    position = models.PositiveIntegerField(default=0)
    approved = models.BooleanField(default=False)
    # Who sent the invitation (None for a work's first creators). Only they,
    # or the invited creator themselves, may take the credit away.
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work__isnull=False, series__isnull=True)
                | Q(work__isnull=True, series__isnull=False),
                name="creatorship_work_xor_series",
            ),
            models.UniqueConstraint("pseud", "work", name="creatorship_work_unique"),
            models.UniqueConstraint("pseud", "series", name="creatorship_series_unique"),
        ]

    def __str__(self) -> str:
        return f"pseud {self.pseud_id} on {self.target}"

    @property
    def target(self):
        return self.work or self.series


def byline_credits():
    """Accepted credits with just what a byline shows: building fewer, smaller
    model instances is most of a list page's database time."""
    return (
        Creatorship.objects.filter(approved=True)
        .select_related("pseud__user")
        .only(
            "id",
            "position",
            "work_id",
            "series_id",
            "pseud__id",
            "pseud__name",
            "pseud__user_id",
            "pseud__user__id",
            "pseud__user__username",
        )
    )
