from django import forms
from django.core.exceptions import ValidationError

from duster.community.models import BOOKMARK_NOTES_MAX
from duster.tags.models import MAX_TAG_LENGTH
from duster.tags.services import tag_names_parse
from duster.works.forms import LimitedTextField
from duster.works.rules import TAGS_PER_TYPE_MAX


class BookmarkForm(forms.Form):
    notes = LimitedTextField(
        label="Notes",
        required=False,
        strip=False,
        max_length=BOOKMARK_NOTES_MAX,
        help_text="Plain text: what you thought of it, or why you bookmarked it.",
        error_messages={
            "max_length": f"Keep your notes to {BOOKMARK_NOTES_MAX:,} characters or fewer "
            "(they have %(show_value)s)."
        },
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    tags = forms.CharField(
        label="Your tags",
        required=False,
        max_length=20_000,
        help_text="Your own tags for it, to find it again. Separate tags with commas.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    rec = forms.BooleanField(label="Recommend it (a rec)", required=False)
    private = forms.BooleanField(label="Private: only you can see this bookmark", required=False)

    def clean_tags(self) -> list[str]:
        names = tag_names_parse(self.cleaned_data.get("tags", ""))
        if len(names) > TAGS_PER_TYPE_MAX:
            raise ValidationError(f"Use at most {TAGS_PER_TYPE_MAX} tags (you have {len(names)}).")
        long = [n for n in names if len(n) > MAX_TAG_LENGTH]
        if long:
            raise ValidationError(
                f"Tags can be at most {MAX_TAG_LENGTH} characters: “{long[0][:40]}…” is longer."
            )
        return names

    def bookmark_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "notes": data["notes"],
            "tags": data["tags"],
            "rec": data["rec"],
            "private": data["private"],
        }

    @staticmethod
    def initial_for(bookmark) -> dict:
        if bookmark is None:
            return {}
        return {
            "notes": bookmark.rich_text_source("notes"),
            "tags": ", ".join(tag.name for tag in bookmark.tags.all()),
            "rec": bookmark.rec,
            "private": bookmark.private,
        }
