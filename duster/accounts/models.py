import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse

from duster.lib.urls import fast_reverse

TIME_ZONES = sorted(zoneinfo.available_timezones())

username_validator = RegexValidator(
    r"^[A-Za-z0-9_]{3,40}$",
    "Use 3 to 40 letters, digits or underscores.",
)
pseud_name_validator = RegexValidator(
    r"^[\w .-]{1,40}$",
    "Use 1 to 40 letters, digits, spaces, dots, dashes or underscores.",
)


class DusterUserManager(UserManager):
    """Kept for the migrations; User.save() gives every new account its pseud."""


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=40,
        unique=True,
        validators=[username_validator],
        help_text="3 to 40 letters, digits or underscores. It is part of your page address.",
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField("email address", unique=True, blank=False)
    view_adult = models.BooleanField(
        "Show adult content without asking",
        default=False,
        help_text="Skip the notice before Mature, Explicit and Not Rated works.",
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", choices=[(tz, tz) for tz in TIME_ZONES]
    )

    objects = DusterUserManager()

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
        ]

    def get_absolute_url(self) -> str:
        return reverse("user_detail", args=[self.username])

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
