"""Wrangling forms: tags are named as writers typed them; an unknown name, a
tag of the wrong type or a bad choice comes back at its field."""

from django import forms
from django.core.exceptions import ValidationError

from duster.tags.models import FIXED_TYPES, MAX_TAG_LENGTH, Media, Tag, TagType
from duster.tags.wrangling.selectors import tag_by_name

WRANGLED_TYPES = [(value, label) for value, label in TagType.choices if value not in FIXED_TYPES]


class TagNameField(forms.CharField):
    """A tag typed by name; cleaned to the Tag. `tag_type` may be set by the form."""

    def __init__(self, *args, tag_type: str | None = None, **kwargs):
        kwargs.setdefault("max_length", MAX_TAG_LENGTH * 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(*args, **kwargs)
        self.tag_type = tag_type
        if tag_type:
            self.widget.attrs["data-tag-suggest"] = tag_type

    def clean(self, value):
        name = super().clean(value)
        if not name:
            return None
        return tag_by_name(name, self.tag_type)


class TagFormMixin:
    """A form about one tag: its name fields look for tags of that tag's type."""

    same_type_fields: tuple[str, ...] = ()

    def __init__(self, *args, tag: Tag, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag
        for name in self.same_type_fields:
            field = self.fields[name]  # type: ignore[attr-defined]
            field.tag_type = tag.type
            field.widget.attrs["data-tag-suggest"] = tag.type


class MergeForm(TagFormMixin, forms.Form):
    same_type_fields = ("into",)
    into = TagNameField(label="Synonym of (canonical tag)")


class MetaForm(TagFormMixin, forms.Form):
    same_type_fields = ("meta",)
    meta = TagNameField(label="Meta tag")


class FandomForm(TagFormMixin, forms.Form):
    fandom = TagNameField(label="Parent fandom", tag_type=TagType.FANDOM)


class RenameForm(TagFormMixin, forms.Form):
    name = forms.CharField(label="New name", max_length=MAX_TAG_LENGTH * 2, strip=True)


class MediaForm(TagFormMixin, forms.Form):
    # Not "media": that name is the form's CSS/JS assets.
    media_type = forms.ChoiceField(label="Media type", choices=[("", "None"), *Media.choices])


class PlainForm(TagFormMixin, forms.Form):
    """An action with nothing to fill in (make canonical, un-merge, …)."""


class SuggestionForm(forms.Form):
    """Accept or reject one suggestion."""

    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), widget=forms.HiddenInput)
    canonical = forms.ModelChoiceField(
        queryset=Tag.objects.filter(canonical=True), widget=forms.HiddenInput
    )
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])


class QueueForm(forms.Form):
    """What the unwrangled queue shows: one type, optionally one fandom."""

    type = forms.ChoiceField(label="Type", choices=WRANGLED_TYPES, required=False)
    fandom = TagNameField(label="Fandom", tag_type=TagType.FANDOM, required=False)


BULK_ACTIONS = [
    ("accept", "Accept the suggestions"),
    ("reject", "Reject the suggestions"),
    ("canonical", "Make canonical"),
    ("merge", "Make synonyms of the tag below"),
    ("meta", "Add the meta tag below"),
    ("fandom", "Add the parent fandom below"),
]
NEEDS_TARGET = {"merge", "meta", "fandom"}


class BulkForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label="Tags",
        queryset=Tag.objects.filter(fixed=False),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one tag."},
    )
    # The queue page draws these below its table, outside the <form id="bulk">.
    action = forms.ChoiceField(
        label="Action", choices=BULK_ACTIONS, widget=forms.Select(attrs={"form": "bulk"})
    )
    target = forms.CharField(
        label="Tag (for synonyms, meta tags and fandoms)",
        required=False,
        max_length=MAX_TAG_LENGTH * 2,
        widget=forms.TextInput(attrs={"autocomplete": "off", "form": "bulk"}),
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        action, tags, name = cleaned.get("action"), cleaned.get("tags"), cleaned.get("target")
        if action in NEEDS_TARGET and tags:
            if not name:
                self.add_error("target", "Name the tag this action needs.")
                return cleaned
            tag_type = TagType.FANDOM if action == "fandom" else tags[0].type
            try:
                cleaned["target_tag"] = tag_by_name(name, tag_type)
            except ValidationError as error:
                self.add_error("target", error)
        return cleaned
