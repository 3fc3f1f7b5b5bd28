from django import forms
from django.contrib.auth import forms as auth_forms

from duster.imports.claims import ORPHAN_USERNAME

KEEP, ORPHAN = "keep", "orphan"


class ClaimForm(auth_forms.SetPasswordForm):
    """A password for an imported account (Django's validators, typed twice),
    and what becomes of its works."""

    works = forms.ChoiceField(
        label="Your works",
        choices=[(KEEP, "Keep my works under my name"), (ORPHAN, "Orphan my works")],
        initial=KEEP,
        widget=forms.RadioSelect,
        help_text=(
            f"Orphaned works stay on the archive with their comments, kudos and bookmarks, "
            f"credited to the shared {ORPHAN_USERNAME} under the same pen name. They can't be "
            "given back to you afterwards."
        ),
        error_messages={"required": "Choose whether to keep your works or orphan them."},
    )

    @property
    def orphan(self) -> bool:
        return self.cleaned_data["works"] == ORPHAN
