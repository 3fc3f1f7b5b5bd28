from typing import ClassVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.urls import reverse

from duster.accounts.timezones import validate_time_zone
from duster.lib import reader
from duster.lib.urls import fast_reverse

username_validator = RegexValidator(
    r"^[A-Za-z0-9_]{3,40}$",
    "Use 3 to 40 letters, digits or underscores.",
)
pseud_name_validator = RegexValidator(
    r"^[\w .-]{1,40}$",
    "Use 1 to 40 letters, digits, spaces, dots, dashes or underscores.",
)


# Names no one can sign up with: the shared account orphaned works are credited
# to (duster.imports.claims) is made by the archive itself.
RESERVED_USERNAMES = frozenset({"orphan_account"})


# An account is confirmed once its owner proved the address: they opened the
# link (which logs them in) or completed a password reset (which activates it).
# A signup not confirmed yet is inactive and has never logged in.
CONFIRMED = models.Q(is_active=True) | models.Q(last_login__isnull=False)


class DusterUserManager(UserManager):
    """User.save() gives every new account its pseud, however it is made."""

    def get_by_natural_key(self, username):
        # Usernames are unique whatever their case (see User.Meta), so logging
        # in (and createsuperuser's check) ignores it too. Lower() on both
        # sides matches the expression index.
        return self.get(Exact(Lower("username"), username.lower()))

    def confirmed(self):
        return self.filter(CONFIRMED)

    def pending(self):
        """Signups whose address is not confirmed yet."""
        return self.exclude(CONFIRMED)


class EmailChoice(models.TextChoices):
    IMMEDIATELY = "immediately", "Immediately"
    DAILY = "daily", "In a daily digest"
    NEVER = "never", "Never (the inbox only)"


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=40,
        unique=True,
        validators=[username_validator],
        help_text="3 to 40 letters, digits or underscores. It is part of your page address.",
        error_messages={"unique": "That username is taken."},
    )
    # Unique among confirmed accounts only (see Meta): a signup with an address
    # that has an account already is made like any other, so signing up tells
    # nobody whether an address is known; it just can never be confirmed.
    email = models.EmailField("email address", blank=False)
    view_adult = models.BooleanField(
        "Show adult content without asking",
        default=False,
        help_text="Skip the notice before Mature, Explicit and Not Rated works.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Reader settings (see duster.lib.reader): how story text and pages look.
    reader_theme = models.CharField(
        "theme", max_length=8, choices=reader.THEMES, default=reader.DEFAULT.theme
    )
    reader_story_font = models.CharField(
        "font", max_length=8, choices=reader.STORY_FONTS, default=reader.DEFAULT.story_font
    )
    reader_story_size = models.CharField(
        "text size", max_length=8, choices=reader.STORY_SIZES, default=reader.DEFAULT.story_size
    )
    reader_story_leading = models.CharField(
        "line spacing",
        max_length=8,
        choices=reader.STORY_LEADINGS,
        default=reader.DEFAULT.story_leading,
    )
    reader_story_width = models.CharField(
        "text width", max_length=8, choices=reader.STORY_WIDTHS, default=reader.DEFAULT.story_width
    )
    reader_full_work = models.BooleanField(
        "show the entire work by default",
        default=reader.DEFAULT.full_work,
        help_text="Open works with all their chapters on one page.",
    )
    notification_email = models.CharField(
        "email me about comments, replies and subscriptions",
        max_length=12,
        choices=EmailChoice.choices,
        default=EmailChoice.IMMEDIATELY,
        help_text="Everything also arrives in your inbox on the site.",
    )
    history_enabled = models.BooleanField(
        "keep my reading history",
        default=True,
        help_text="Remember which works and chapters you read, for “continue reading”.",
    )

    objects: ClassVar[DusterUserManager] = DusterUserManager()

    def save(self, *args, **kwargs):
        # Every account gets its default pseud, however it is created: the
        # manager (sync or async), the admin's "add user" form, a plain save.
        adding = self._state.adding
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if adding:
                Pseud.objects.create(user=self, name=self.username, is_default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            # Accounts without a usable password (imported from another archive
            # and not claimed yet, or the shared orphan_account) hold no address:
            # two members of an old archive may have shared one.
            models.UniqueConstraint(
                Lower("email"),
                condition=CONFIRMED & ~models.Q(password__startswith=UNUSABLE_PASSWORD_PREFIX),
                name="user_email_ci_unique_confirmed",
                violation_error_message="An account with this email address exists already.",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("user_detail", args=[self.username])

    @property
    def is_pending(self) -> bool:
        """Signed up, address not confirmed yet."""
        return not self.is_active and self.last_login is None

    @property
    def default_pseud(self) -> "Pseud":
        return next(p for p in self.pseuds.all() if p.is_default)


class Pseud(models.Model):
    """A pen name. Works and series are credited to pseuds, never to users."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="pseuds")
    name = models.CharField(max_length=40, validators=[pseud_name_validator])
    description = models.TextField(blank=True, max_length=500)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint("user", Lower("name"), name="pseud_name_unique_per_user"),
            models.UniqueConstraint(
                "user", condition=models.Q(is_default=True), name="one_default_pseud"
            ),
        ]

    def __str__(self) -> str:
        if self.name == self.user.username:
            return self.name
        return f"{self.name} ({self.user.username})"

    def get_absolute_url(self) -> str:
        return fast_reverse("user_works", self.user.username) + f"?pseud={self.pk}"


class Throttle(models.Model):
    """Recent attempts at something limited, counted against what they spend:
    failed logins per account and per client address, confirmation mails per
    account and per address. Kept in the database, not the cache: rows are
    updated under a row lock (atomic on SQLite and PostgreSQL alike), an
    attacker cannot push them out by filling the cache, and an administrator
    can see and lift a lockout in the admin. Rows older than a day are
    deleted as new ones are made."""

    class Scope(models.TextChoices):
        LOGIN_ACCOUNT = "login-account", "Failed logins to an account"
        LOGIN_ADDRESS = "login-address", "Failed logins from an address"
        ACTIVATION_ACCOUNT = "activation-account", "Confirmation mails for an account"
        ACTIVATION_ADDRESS = "activation-address", "Confirmation mails asked from an address"
        NOTICE_ACCOUNT = "notice-account", "Sign-up notices to an account"
        RESET_ACCOUNT = "reset-account", "Password reset mails for an account"

    scope = models.CharField(max_length=20, choices=Scope)
    key = models.CharField(max_length=64, help_text="A lowercased username, an address or an id.")
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(help_text="When the current count began.")
    last_at = models.DateTimeField(help_text="The latest attempt counted.")
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the account's owner was told of a lockout."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="throttle_scope_key_unique"),
        ]
        indexes = [models.Index(fields=["last_at"], name="throttle_last_at")]

    def __str__(self) -> str:
        return f"{self.get_scope_display()}: {self.key}"


class Mute(models.Model):
    """Something a reader does not want to see: a tag (stored in its canonical
    form: its works, its synonyms' and its sub tags' go) or a user (their works
    and comments). Search and lists remove what is muted from results, counts
    and facets; see duster.accounts.mutes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes")
    tag = models.ForeignKey("tags.Tag", null=True, blank=True, on_delete=models.CASCADE)
    muted_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="muted_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(tag__isnull=False) & models.Q(muted_user__isnull=True))
                | (models.Q(tag__isnull=True) & models.Q(muted_user__isnull=False)),
                name="mute_tag_or_user",
                violation_error_message="A mute is of a tag or of a user, not both.",
            ),
            models.UniqueConstraint(fields=["user", "tag"], name="mute_tag_unique"),
            models.UniqueConstraint(fields=["user", "muted_user"], name="mute_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} mutes {self.tag or self.muted_user}"


class Block(models.Model):
    """`blocker` does not want `blocked` commenting on their works, replying
    to their comments or leaving kudos on their works."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")),
                name="block_not_self",
                violation_error_message="You cannot block yourself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


def search_url(query: str) -> str:
    """The work search page showing `query`."""
    return fast_reverse("work_search") + (f"?{query}" if query else "")


class SavedSearch(models.Model):
    """A reader's named work search, kept as the URL query string of
    /works/search (duster.search.params.WorkSearch.to_query()), the public
    contract, so it still opens after the search code changes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=100)
    query = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="saved_search_name_unique",
                violation_error_message="You have a saved search with this name already.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return search_url(self.query)
