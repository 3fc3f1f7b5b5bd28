"""What readers give back: comments, kudos, bookmarks, subscriptions, the
inbox, reading history and reports.

Counters on Work (kudos_count, comment_count, bookmark_count) follow these
rows: the services change them with F() in the same transaction, and
`community_recount` repairs any drift."""

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from duster.accounts.models import Pseud, User
from duster.community.choices import CommentState, NotificationKind, ReportState
from duster.lib.richtext import RichTextModel
from duster.tags.models import Tag
from duster.works.models import Chapter, Series, Work

COMMENT_MAX = 10_000  # characters a commenter may type
BOOKMARK_NOTES_MAX = 5_000
REPORT_MAX = 5_000


def _too_long(limit: int) -> dict[str, str]:
    return {"max_length": f"This is too long: at most {limit:,} characters, please."}


class Comment(RichTextModel):
    """A comment on a chapter, or on the work as a whole (chapter empty: a
    one-shot's comments, and imported reviews that named no chapter).
    Replies point at their parent; `thread` is the top comment of the thread
    (itself for a top comment), so a page loads whole threads at once."""

    RICH_TEXT = ("body",)

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="comments")
    chapter = models.ForeignKey(
        Chapter, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    thread = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A member comments as one of their pseuds; a guest by name and address.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    pseud = models.ForeignKey(Pseud, null=True, blank=True, on_delete=models.SET_NULL)
    guest_name = models.CharField(max_length=100, blank=True)
    guest_email = models.EmailField(blank=True)
    # Sanitized HTML derived from body_source on save (RichTextModel).
    body = models.TextField(editable=False)
    body_source = models.TextField(
        "comment",
        max_length=COMMENT_MAX,
        validators=[MaxLengthValidator(COMMENT_MAX)],
        error_messages=_too_long(COMMENT_MAX),
    )
    state = models.CharField(
        max_length=10, choices=CommentState.choices, default=CommentState.PUBLISHED
    )
    # Written by one of the work's creators (marked as theirs on the page).
    by_creator = models.BooleanField(default=False)
    # No more replies under this comment (a creator froze the thread).
    frozen = models.BooleanField(default=False)
    # eFiction review ratings are kept (1–10); Duster's own form sets none.
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # A digest of the poster's address, for rate limits and spam review.
    address_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["work", "chapter", "thread", "created_at"], name="comment_page"),
            models.Index(fields=["user", "-created_at"], name="comment_by_user"),
            models.Index(fields=["address_key", "-created_at"], name="comment_by_address"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(guest_name=""),
                name="comment_member_or_named_guest",
                violation_error_message="A guest comment needs a name.",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.work_id}"

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def is_deleted(self) -> bool:
        return self.state == CommentState.DELETED


class Kudos(models.Model):
    """One per account per work; one per guest (by address digest) per work
    per day."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="kudos")
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="kudos"
    )
    guest_key = models.CharField(max_length=64, blank=True)
    day = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "kudos"
        constraints = [
            models.UniqueConstraint(
                fields=["work", "user"],
                condition=Q(user__isnull=False),
                name="kudos_one_per_member",
                violation_error_message="You have already left kudos here.",
            ),
            models.UniqueConstraint(
                fields=["work", "guest_key", "day"],
                condition=Q(user__isnull=True),
                name="kudos_one_per_guest_day",
                violation_error_message="You have already left kudos here today.",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(guest_key=""),
                name="kudos_member_or_guest",
            ),
        ]
        indexes = [models.Index(fields=["work", "-created_at"], name="kudos_work_recent")]

    def __str__(self) -> str:
        return f"Kudos on {self.work_id}"


class Bookmark(RichTextModel):
    """A reader's bookmark of a work or of a series."""

    RICH_TEXT = ("notes",)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="bookmarks")
    pseud = models.ForeignKey(Pseud, null=True, blank=True, on_delete=models.SET_NULL)
    work = models.ForeignKey(
        Work, null=True, blank=True, on_delete=models.CASCADE, related_name="bookmarks"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="bookmarks"
    )
    notes = models.TextField(blank=True, editable=False)
    notes_source = models.TextField(
        "notes",
        blank=True,
        max_length=BOOKMARK_NOTES_MAX,
        validators=[MaxLengthValidator(BOOKMARK_NOTES_MAX)],
        error_messages=_too_long(BOOKMARK_NOTES_MAX),
    )
    # The bookmarker's own tags (freeform tags, wrangled like any other).
    tags = models.ManyToManyField(Tag, blank=True, related_name="bookmarks")
    private = models.BooleanField(default=False)
    rec = models.BooleanField("recommendation", default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(work__isnull=False) & Q(series__isnull=True))
                | (Q(work__isnull=True) & Q(series__isnull=False)),
                name="bookmark_work_or_series",
            ),
            models.UniqueConstraint(
                fields=["user", "work"],
                condition=Q(work__isnull=False),
                name="bookmark_work_once",
                violation_error_message="You have bookmarked this work already.",
            ),
            models.UniqueConstraint(
                fields=["user", "series"],
                condition=Q(series__isnull=False),
                name="bookmark_series_once",
                violation_error_message="You have bookmarked this series already.",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="bookmark_by_user")]

    def __str__(self) -> str:
        return f"{self.user} bookmarks {self.work_id or self.series_id}"


class Subscription(models.Model):
    """New chapters of a work, new parts of a series, new works of a creator."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="subscriptions")
    work = models.ForeignKey(
        Work, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    creator = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="subscribers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(work__isnull=False) & Q(series__isnull=True) & Q(creator__isnull=True))
                | (Q(work__isnull=True) & Q(series__isnull=False) & Q(creator__isnull=True))
                | (Q(work__isnull=True) & Q(series__isnull=True) & Q(creator__isnull=False)),
                name="subscription_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "work"], condition=Q(work__isnull=False), name="subscription_work"
            ),
            models.UniqueConstraint(
                fields=["user", "series"],
                condition=Q(series__isnull=False),
                name="subscription_series",
            ),
            models.UniqueConstraint(
                fields=["user", "creator"],
                condition=Q(creator__isnull=False),
                name="subscription_creator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.work_id or self.series_id or self.creator_id}"


class Notification(models.Model):
    """One entry in a user's inbox. `emailed_at` is set once it went out by
    mail (at once or in a digest), so a retried task never sends it twice."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    work = models.ForeignKey(Work, null=True, blank=True, on_delete=models.CASCADE)
    chapter = models.ForeignKey(Chapter, null=True, blank=True, on_delete=models.CASCADE)
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.CASCADE)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["user", "created_at"],
                condition=Q(emailed_at__isnull=True),
                name="notification_unmailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}"


class Reading(models.Model):
    """A member's history entry for a work, and their Marked for Later flag."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="readings")
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="readings")
    chapter = models.ForeignKey(Chapter, null=True, blank=True, on_delete=models.SET_NULL)
    visits = models.PositiveIntegerField(default=1)
    last_read_at = models.DateTimeField()
    marked_for_later = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "work"], name="reading_once"),
        ]
        indexes = [models.Index(fields=["user", "-last_read_at"], name="reading_history")]

    def __str__(self) -> str:
        return f"{self.user} read {self.work_id}"


class Report(models.Model):
    """A reader's report of a work, a comment or a user, for admins to review."""

    reporter = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_filed"
    )
    reporter_email = models.EmailField(blank=True)
    work = models.ForeignKey(Work, null=True, blank=True, on_delete=models.SET_NULL)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL)
    reported_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports_against"
    )
    # What was reported, in words, kept when the object is deleted.
    subject = models.CharField(max_length=300)
    reason = models.TextField(
        max_length=REPORT_MAX,
        validators=[MaxLengthValidator(REPORT_MAX)],
        error_messages=_too_long(REPORT_MAX),
    )
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["state", "-created_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"Report on {self.subject}"
