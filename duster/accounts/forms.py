from typing import TYPE_CHECKING

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower

from duster.accounts.models import RESERVED_USERNAMES, Pseud, User
from duster.accounts.mutes import SAVED_QUERY_MAX, tags_named, users_named
from duster.accounts.services import (
    expired_signups,
    password_reset_check,
    password_reset_recipients,
    password_reset_request,
    user_password_reset,
)
from duster.accounts.throttle import wait_text
from duster.accounts.timezones import time_zone_choices
from duster.lib import reader
from duster.tags.services import split_tag_names

UNCONFIRMED = (
    "You haven't confirmed this account's email address yet. Open the link we mailed you, "
    "or have us send it again."
)

if TYPE_CHECKING:  # what the mixin is mixed into, for the type checker only
    _AuthenticationForm = auth_forms.AuthenticationForm
else:
    _AuthenticationForm = object


class ExplainedLoginMixin(_AuthenticationForm):
    """Say why a login was refused when the backend noted a reason (see
    duster.accounts.backends.LoginNote): too many failed attempts, or an
    address not confirmed yet. Otherwise the usual "doesn't match"."""

    unconfirmed_user = None

    def get_invalid_login_error(self):
        note = getattr(self.request, "login_note", None)
        if note is not None and note.refused is not None:
            return ValidationError(
                f"Too many failed attempts; try again in {wait_text(note.refused.wait)} "
                "or reset your password.",
                code="throttled",
            )
        if note is not None and note.unconfirmed is not None:
            self.unconfirmed_user = note.unconfirmed
            return ValidationError(UNCONFIRMED, code="unconfirmed")
        return super().get_invalid_login_error()


class LoginForm(ExplainedLoginMixin, auth_forms.AuthenticationForm):
    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": (
            "That username and password don't match an account. Capital letters don't "
            "matter in the username; in the password they do."
        ),
    }


class AdminLoginForm(ExplainedLoginMixin, AdminAuthenticationForm):
    pass


class SignupForm(auth_forms.BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": auth_forms.UsernameField}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    # clean_username checks uniqueness itself, ignoring case and letting an
    # expired signup go; the model's checks would refuse a name such a signup
    # still holds, and would say when an address has an account, which the
    # signup page must not.
    def validate_unique(self):
        pass

    def validate_constraints(self):
        pass

    def clean_username(self):
        username = self.cleaned_data["username"]
        taken = User.objects.filter(username__iexact=username).exclude(pk__in=expired_signups())
        if username.lower() in RESERVED_USERNAMES or taken.exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean_email(self):
        # Whether an account has this address already is not said here: the
        # signup goes ahead either way (see user_register). Usernames are
        # public; addresses are not.
        return User.objects.normalize_email(self.cleaned_data["email"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form and answer; who gets mail (signups not confirmed yet do
    too) and how it is sent (later, by a task: the page takes as long whether
    or not the address is known) are duster.accounts.services's."""

    def get_users(self, email):
        return password_reset_recipients(email)

    # Deliberately not Django's signature: the mail goes out from a task (see above).
    def save(self, *, site_url: str):  # type: ignore[override]
        password_reset_request(email=self.cleaned_data["email"], site_url=site_url)


class ResetPasswordForm(auth_forms.SetPasswordForm):
    """The new password from a reset link; it confirms a waiting signup too."""

    def clean(self):
        password_reset_check(user=self.user)
        return super().clean()

    def save(self, commit=True):
        return user_password_reset(user=self.user, password=self.cleaned_data["new_password1"])


READER_FIELDS = [f"reader_{name}" for name in reader.SETTING_NAMES]


KEPT_WHEN_LEFT_OUT = (*READER_FIELDS, "notification_email")


class PreferencesForm(forms.ModelForm):
    """Every preference on one page. A reader setting left out of the request
    (an older form, a script) keeps its value; the checkboxes are what a
    browser sends: absent means off."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        help_text="Dates and times are shown in this zone.",
    )

    class Meta:
        model = User
        fields = (
            "view_adult",
            "time_zone",
            *READER_FIELDS,
            "notification_email",
            "history_enabled",
        )
        widgets = {"notification_email": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in KEPT_WHEN_LEFT_OUT:
            # Left out means "as it was" (see clean()). The model fields have
            # defaults, so their choices carry no blank one.
            self.fields[name].required = False

    def clean(self):
        super().clean()
        for name in KEPT_WHEN_LEFT_OUT:
            if self.cleaned_data.get(name) in (None, ""):
                self.cleaned_data[name] = getattr(self.instance, name)
        return self.cleaned_data

    def _post_clean(self):
        # The model is checked by the service that saves it (user_preferences_save).
        pass


class ReaderSettingsForm(forms.Form):
    """/reader: any of the reader settings (the theme switch at the foot of
    every page sends only the theme), and the page to go back to (not "next": that is the login
    page's, and a page may carry both forms)."""

    back = forms.CharField(required=False, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One field per setting, as duster.lib.reader lists them.
        for name, _, label, choices in reader.SETTINGS:
            self.fields[name] = forms.ChoiceField(label=label, choices=choices, required=False)

    def changes(self) -> dict[str, str]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in reader.SETTING_NAMES and value
        }


class PseudForm(forms.ModelForm):
    class Meta:
        model = Pseud
        fields = ("name", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"description": "Plain text, up to 500 characters."}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk and self.instance.is_default:
            self.fields["name"].disabled = True
            self.fields["name"].help_text = "Your default pseud is always your username."

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        taken = (
            Pseud.objects.filter(user=self.user)
            .annotate(lname=Lower("name"))
            .filter(lname=name.lower())
            .exclude(pk=self.instance.pk)
        )
        if taken.exists():
            raise forms.ValidationError("You have a pseud with this name already.")
        return name


def _quoted(names: list[str]) -> str:
    """“a”, “b” or “c”: the names a reader typed, for an error message."""
    shown = [f"“{name[:80]}”" for name in names[:5]]
    if len(names) > 5:
        shown.append(f"{len(names) - 5} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


class MutedTagsForm(forms.Form):
    """The preferences page's box for tags to mute: names, comma-separated."""

    muted_tags = forms.CharField(
        label="Mute tags",
        max_length=5000,
        help_text=(
            "Separate tags with commas. Works with these tags (or their synonyms "
            "and sub tags) are left out of lists, searches and counts."
        ),
        error_messages={"required": "Type the names of the tags to mute."},
        # static/duster/tag-suggest.js offers canonical tags of this type as you type.
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-tag-suggest": "any"}),
    )

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean_muted_tags(self) -> list:
        names = split_tag_names(self.cleaned_data["muted_tags"])
        if not names:
            raise ValidationError("Type the names of the tags to mute.", code="required")
        tags, unknown = tags_named(names, viewer=self.viewer)
        if unknown:
            raise ValidationError(
                f"There is no tag called {_quoted(unknown)}. Check the spelling, or pick the "
                "tag from the suggestions.",
                code="unknown",
            )
        return tags


class MutedUsersForm(forms.Form):
    """The preferences page's box for creators to mute: usernames."""

    muted_users = forms.CharField(
        label="Mute creators",
        max_length=5000,
        help_text=(
            "Usernames, separated by commas or spaces. Their works and comments are left "
            "out of what you see."
        ),
        error_messages={"required": "Type the usernames of the creators to mute."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_muted_users(self) -> list[User]:
        names = list(dict.fromkeys(self.cleaned_data["muted_users"].replace(",", " ").split()))
        if not names:
            raise ValidationError("Type the usernames of the creators to mute.", code="required")
        users, unknown = users_named(names)
        if unknown:
            raise ValidationError(
                f"Nobody here has the username {_quoted(unknown)}.", code="unknown"
            )
        return users


class MuteToggleForm(forms.Form):
    """/preferences/mutes/: mute or unmute one tag (its slug) or one user
    (their username), from the tag's or the creator's page."""

    tag = forms.CharField(required=False, max_length=200)
    user = forms.CharField(required=False, max_length=40)
    action = forms.ChoiceField(choices=[("mute", "Mute"), ("unmute", "Unmute")])
    next = forms.CharField(required=False, strip=False)

    def clean(self):
        super().clean()
        if bool(self.cleaned_data.get("tag")) == bool(self.cleaned_data.get("user")):
            raise ValidationError("Say which tag or which user to mute.", code="target")
        return self.cleaned_data


class SavedSearchForm(forms.Form):
    name = forms.CharField(max_length=100, error_messages={"required": "Give the search a name."})
    query = forms.CharField(required=False, max_length=SAVED_QUERY_MAX, strip=False)
