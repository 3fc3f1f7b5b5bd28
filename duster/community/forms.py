"""Forms readers fill in under a work: comments.

They only carry what was typed: whether it may be posted is the service's
to say (duster.community.services.comments), and its refusals are shown at
the field they concern, with the text kept."""

from django import forms

from duster.community.models import COMMENT_MAX
from duster.lib.urls import parse_id
from duster.works.forms import LimitedTextField

TOO_LONG = f"This is too long: at most {COMMENT_MAX:,} characters, please."

# The service's argument names, as the form calls its fields.
SERVICE_FIELDS = {"guest_name": "name", "guest_email": "email"}


def _body_field() -> forms.CharField:
    return LimitedTextField(
        label="Comment",
        max_length=COMMENT_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Plain text: a blank line starts a new paragraph.",
        error_messages={
            "required": "Write your comment before posting it.",
            "max_length": TOO_LONG,
        },
    )


class CommentForm(forms.Form):
    """A new comment or reply. Members may choose a pseud (when they have
    several); guests give a name and an email address. `website` is the
    honeypot: hidden from people, filled in by spam programs."""

    body = _body_field()
    pseud = forms.TypedChoiceField(label="Comment as", required=False, coerce=int, empty_value=None)
    name = forms.CharField(
        label="Name",
        max_length=100,
        required=False,
        error_messages={"max_length": "At most 100 characters, please."},
    )
    email = forms.CharField(
        label="Email",
        max_length=254,
        required=False,
        help_text="Not shown to anyone.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    website = forms.CharField(
        required=False,
        widget=forms.HiddenInput,  # drawn by hand in the template, see there
    )
    chapter = forms.CharField(required=False, widget=forms.HiddenInput)
    parent = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, pseuds=(), guest: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.pseuds = list(pseuds)
        if guest:
            del self.fields["pseud"]
            self.fields["name"].required = True
            self.fields["name"].error_messages["required"] = (
                "Give a name to sign your comment with."
            )
            self.fields["email"].required = True
            self.fields["email"].error_messages["required"] = (
                "Give your email address (it is not shown to anyone)."
            )
        else:
            del self.fields["name"], self.fields["email"]
            pseud = self.fields["pseud"]
            assert isinstance(pseud, forms.TypedChoiceField)
            pseud.choices = [(p.pk, p.name) for p in self.pseuds]
            if len(self.pseuds) < 2:
                self.fields["pseud"].widget = forms.HiddenInput()

    def clean_chapter(self):
        return parse_id(self.cleaned_data.get("chapter") or "")

    def clean_parent(self):
        return parse_id(self.cleaned_data.get("parent") or "")

    def chosen_pseud(self):
        pk = self.cleaned_data.get("pseud")
        return next((p for p in self.pseuds if p.pk == pk), None)


class CommentEditForm(forms.Form):
    body = _body_field()
