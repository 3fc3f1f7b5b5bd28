"""Posting forms. Each keeps what was typed when it comes back with errors;
text fields are converted to sanitized HTML in clean()."""

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html

from duster.accounts.models import Pseud
from duster.lib import text
from duster.lib.urls import parse_id
from duster.tags.services import MAX_TAG_LENGTH, split_tag_names, tag_names_parse
from duster.works.models import (
    LANGUAGES,
    ArchiveWarning,
    Category,
    CommentPolicy,
    Creatorship,
    Rating,
    Series,
    Work,
)
from duster.works.rules import (  # noqa: E402 - one definition of each limit
    BODY_MAX,
    EXPECTED_CHAPTERS_MAX,
    NOTES_MAX,
    SUMMARY_MAX,
    TAGS_PER_TYPE_MAX,
    UPLOAD_MAX_BYTES,
    tag_limit,
)

EARLIEST_PUBLICATION = dt.date(1900, 1, 1)

WORK_FORM_FIELDS = (
    "title",
    "summary",
    "notes",
    "end_notes",
    "language",
    "rating",
    "warnings",
    "categories",
    "expected_chapters",
    "restricted",
    "comment_policy",
    "moderated_comments",
)

TEXT_FORMAT_CHOICES = [
    ("html", "Rich text (HTML)"),
    ("markdown", "Markdown"),
    ("text", "Plain text"),
]


def _too_long(limit: int) -> dict:
    return {"max_length": f"Keep this to {limit:,} characters or fewer (it has %(show_value)s)."}


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class LimitedTextField(forms.CharField):
    """A text box with a length limit but no maxlength attribute, which would
    make a browser cut a paste silently: the count shows as the writer types
    (static/duster/counter.js), and an over-long text is refused with a
    message that keeps all of it in the form."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if attrs.pop("maxlength", None) is not None:
            attrs["data-maxlength"] = str(self.max_length)
        return attrs


if TYPE_CHECKING:  # what the mixin is mixed into, for the type checker only
    _Form = forms.Form
else:
    _Form = object


class TextFormatMixin(_Form):
    """Hands the typed text of `rich_fields` on as it was typed, in the chosen
    format: the services convert and sanitize it (and keep the source). An
    uploaded file replaces the body only when no body was typed."""

    rich_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        cleaned["text_format"] = cleaned.get("text_format") or "html"
        if "body" in self.fields and "body" not in self.errors:
            self._clean_body(cleaned)
        return cleaned

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "body" in self.fields:
            # A file's text waiting for the writer to say whether it or the
            # typed text is the chapter: carried in the form, so both are kept.
            hidden = forms.HiddenInput
            self.fields["kept_file"] = forms.CharField(
                required=False, strip=False, widget=hidden, max_length=2 * BODY_MAX
            )
            self.fields["kept_file_format"] = forms.ChoiceField(
                choices=TEXT_FORMAT_CHOICES, required=False, widget=hidden
            )
            self.fields["kept_file_name"] = forms.CharField(
                required=False, max_length=255, widget=hidden
            )
            self.fields["keep"] = forms.ChoiceField(
                label="Which chapter text should be kept?",
                choices=[("typed", "The text in the box"), ("file", "The file's text")],
                required=False,
                widget=forms.RadioSelect,
            )
            self.order_fields(self.field_order)  # "keep" beside the upload it is about

    def _clean_body(self, cleaned: dict) -> None:
        upload = cleaned.get("upload")
        typed = self.data.get(self.add_prefix("body"), "").strip()
        file = None
        if upload:
            if upload.size > UPLOAD_MAX_BYTES:
                self.add_error("upload", "Upload a file of 10 MB or less.")
                return
            try:
                source, fmt = text.file_to_source(upload.name, upload.read())
            except text.TextFormatError as error:
                self.add_error("upload", str(error))
                return
            file = (source, fmt, upload.name)
        elif cleaned.get("kept_file"):
            file = (
                cleaned["kept_file"],
                cleaned.get("kept_file_format") or "html",
                cleaned.get("kept_file_name") or "the file",
            )
        if file and typed:
            keep = cleaned.get("keep")
            if keep == "typed":
                return
            if keep != "file":
                data = cast("QueryDict | dict[str, Any]", self.data).copy()
                data[self.add_prefix("kept_file")] = file[0]
                data[self.add_prefix("kept_file_format")] = file[1]
                data[self.add_prefix("kept_file_name")] = file[2]
                self.data = data
                self.add_error(
                    "keep",
                    f"You typed chapter text and attached “{file[2][:80]}”: choose which one "
                    "is the chapter. Both are kept until you do.",
                )
                return
        if file:
            source, fmt, name = file
            if fmt != cleaned["text_format"]:
                # One format per chapter: other typed text becomes the HTML it stands for.
                for field in self.rich_fields:
                    if field != "body" and cleaned.get(field):
                        try:
                            cleaned[field] = text.to_html(cleaned[field], cleaned["text_format"])
                        except text.TextFormatError as error:
                            self.add_error(field, str(error))
                if fmt != "html" and any(cleaned.get(n) for n in self.rich_fields if n != "body"):
                    source, fmt = text.to_html(source, fmt), "html"
                cleaned["text_format"] = fmt
            cleaned["body"] = source
            self._keep_upload(name, source, cleaned["text_format"])
        elif not typed:
            self.add_error("body", "Type or paste the chapter text, or upload a file.")

    def _keep_upload(self, name: str, source: str, fmt: str) -> None:
        """Should the form come back with an error, a file input comes back
        empty: put the file's text in the text box instead, so nothing is lost
        and nothing needs attaching again."""
        data = cast("QueryDict | dict[str, Any]", self.data).copy()
        data[self.add_prefix("body")] = source
        data[self.add_prefix("text_format")] = fmt
        for name_ in ("kept_file", "kept_file_format", "kept_file_name", "keep"):
            data.pop(self.add_prefix(name_), None)
        for field in self.rich_fields:
            if field != "body" and field in self.cleaned_data:
                data[self.add_prefix(field)] = self.cleaned_data[field]
        self.data = data
        # Help text is HTML (Django's convention); the file name is not.
        note = format_html(
            "The text of “{}” is in the chapter text box above: "
            "there is no need to attach the file again.",
            name[:80],
        )
        # The bound field copied the help text when it was made.
        self.fields["upload"].help_text = self["upload"].help_text = note


def _text_format_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Text format",
        choices=TEXT_FORMAT_CHOICES,
        initial="html",
        help_text="How the text you type on this form is written. Uploaded files are read by type.",
    )


def _body_field() -> forms.CharField:
    return LimitedTextField(
        label="Chapter text",
        required=False,
        max_length=BODY_MAX,
        strip=False,
        # Large and in a reading font; static/duster/editor.js adds its
        # formatting toolbar to boxes marked data-editor.
        widget=forms.Textarea(attrs={"rows": 24, "class": "chapter-text", "data-editor": ""}),
        error_messages=_too_long(BODY_MAX),
    )


def _upload_field() -> forms.FileField:
    return forms.FileField(
        label="Or upload the chapter text",
        required=False,
        help_text=".txt, .md, .html or .docx, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.markdown,.html,.htm,.docx"}),
    )


def _summary_field(label: str = "Summary") -> forms.CharField:
    return LimitedTextField(
        label=label,
        required=False,
        max_length=SUMMARY_MAX,
        widget=_textarea(4),
        error_messages=_too_long(SUMMARY_MAX),
    )


def _notes_field(label: str) -> forms.CharField:
    return LimitedTextField(
        label=label,
        required=False,
        max_length=NOTES_MAX,
        widget=_textarea(4),
        error_messages=_too_long(NOTES_MAX),
    )


def _tags_field(
    label: str, required: bool = False, help_text: str = "", suggest: str = ""
) -> forms.CharField:
    # data-tag-suggest: static/duster/tag-suggest.js offers canonical tags of that type.
    return forms.CharField(
        label=label,
        required=required,
        max_length=20_000,
        help_text=help_text or "Separate tags with commas.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-tag-suggest": suggest}),
    )


class PseudsField(forms.ModelMultipleChoiceField):
    """Refuses digits that are no id ("²", beyond 64 bits) as invalid choices:
    SQLite raises OverflowError on an `IN (…)` that holds a huge one, and
    int() refuses "²" and 5,000 digits; either would be a 500."""

    def _check_values(self, value):
        for pk in value:
            if str(pk).isdigit() and parse_id(pk) is None:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        # A private method django-stubs doesn't declare.
        return super()._check_values(value)  # type: ignore[misc]


class WorkForm(TextFormatMixin, forms.Form):
    rich_fields = ("summary", "notes", "end_notes", "body")
    # The order of works/work_form.html, which the error summary follows.
    field_order = [
        "rating", "warnings", "categories", "fandoms", "relationships", "characters",
        "freeforms", "title", "pseuds", "co_creators", "text_format", "summary", "notes",
        "end_notes", "language", "expected_chapters", "published_on", "series",
        "series_position", "restricted", "comment_policy", "moderated_comments",
        "chapter_title", "body", "upload", "keep",
    ]  # fmt: skip

    title = forms.CharField(max_length=255)
    pseuds = PseudsField(
        label="Creator/Pseud(s)",
        queryset=Pseud.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one of your pseuds."},
    )
    co_creators = forms.CharField(
        label="Invite co-creators",
        required=False,
        max_length=2000,
        help_text=(
            "Pseud names, separated by commas; write “pseud (username)” when a name is "
            "shared. They are credited once they accept. Leaving out a name you invited takes "
            "their credit away; creators you did not invite stay, and can remove themselves."
        ),
    )
    rating = forms.ChoiceField(
        choices=[("", "Choose a rating")] + Rating.choices,
        error_messages={"required": "Choose a rating."},
    )
    warnings = forms.MultipleChoiceField(
        label="Archive warnings",
        choices=ArchiveWarning.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one archive warning."},
    )
    categories = forms.MultipleChoiceField(
        choices=Category.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    fandoms = _tags_field(
        "Fandoms",
        required=True,
        help_text="At least one. Separate fandoms with commas.",
        suggest="fandom",
    )
    relationships = _tags_field("Relationships", suggest="relationship")
    characters = _tags_field("Characters", suggest="character")
    freeforms = _tags_field(
        "Additional tags", help_text="Up to 75, separated by commas.", suggest="freeform"
    )
    language = forms.ChoiceField(choices=LANGUAGES, initial="en")
    summary = _summary_field()
    notes = _notes_field("Beginning notes")
    end_notes = _notes_field("End notes")
    expected_chapters = forms.IntegerField(
        label="Expected number of chapters",
        required=False,
        min_value=1,
        max_value=EXPECTED_CHAPTERS_MAX,
        help_text="Leave empty if you don't know yet (shown as “?”).",
    )
    published_on = forms.DateField(
        label="Publication date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for today; an earlier date backdates the work.",
    )
    restricted = forms.BooleanField(label="Only logged-in users may read this work", required=False)
    comment_policy = forms.ChoiceField(
        label="Who may comment",
        choices=CommentPolicy.choices,
        # The archive's default (settings.COMMENT_POLICY_DEFAULT), read per form.
        initial=lambda: settings.COMMENT_POLICY_DEFAULT,
        widget=forms.RadioSelect,
    )
    moderated_comments = forms.BooleanField(
        label="Approve comments before they appear", required=False
    )
    series = forms.ModelChoiceField(
        label="Add to one of your series",
        queryset=Series.objects.none(),
        required=False,
        empty_label="No series",
    )
    series_position = forms.IntegerField(
        label="Place in the series",
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="1 puts it first. Leave empty to put it last.",
    )
    text_format = _text_format_field()
    chapter_title = forms.CharField(label="Chapter title", max_length=255, required=False)
    body = _body_field()
    upload = _upload_field()

    def __init__(self, *args, user, work: Work | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.work = work
        cast(PseudsField, self.fields["pseuds"]).queryset = Pseud.objects.filter(user=user)
        own_series = Creatorship.objects.filter(
            pseud__user=user, approved=True, series__isnull=False
        ).values("series_id")
        series_field = cast(forms.ModelChoiceField, self.fields["series"])
        series_field.queryset = Series.objects.filter(pk__in=own_series).order_by("title")
        if work is None:
            self.fields["pseuds"].initial = [p.pk for p in user.pseuds.all() if p.is_default]
        else:
            # Chapter text is edited on the chapter's own form.
            for name in ("chapter_title", "body", "upload"):
                del self.fields[name]
            # work_update refuses an expected count below the posted chapters,
            # and its message lands on this field.

    def clean_published_on(self):
        value = self.cleaned_data.get("published_on")
        if value and value > timezone.localdate() + dt.timedelta(days=1):
            raise ValidationError("The publication date can't be in the future.")
        # Dates near year 1 overflow when shown in a time zone west of UTC.
        if value and value < EARLIEST_PUBLICATION:
            raise ValidationError(
                f"The publication date can't be before {EARLIEST_PUBLICATION.year}."
            )
        return value

    def _clean_tags(self, name: str, limit: int) -> list[str]:
        names = tag_names_parse(self.cleaned_data.get(name, ""))
        if len(names) > limit:
            raise ValidationError(f"Use at most {limit} tags here (you have {len(names)}).")
        long = [n for n in names if len(n) > MAX_TAG_LENGTH]
        if long:
            raise ValidationError(
                f"Tags can be at most {MAX_TAG_LENGTH} characters: “{long[0][:40]}…” is longer."
            )
        return names

    def clean_fandoms(self):
        names = self._clean_tags("fandoms", TAGS_PER_TYPE_MAX)
        if not names:
            raise ValidationError("Add at least one fandom.")
        return names

    def clean_relationships(self):
        return self._clean_tags("relationships", TAGS_PER_TYPE_MAX)

    def clean_characters(self):
        return self._clean_tags("characters", TAGS_PER_TYPE_MAX)

    def clean_freeforms(self):
        return self._clean_tags("freeforms", tag_limit("freeforms"))

    def clean_co_creators(self) -> list[Pseud]:
        return resolve_pseuds(self.cleaned_data.get("co_creators", ""), exclude_user=self.user)

    def clean_warnings(self):
        warnings = self.cleaned_data["warnings"]
        exclusive = {ArchiveWarning.CHOSE_NOT_TO_WARN, ArchiveWarning.NONE_APPLY}
        if len(warnings) > 1 and exclusive & set(warnings):
            raise ValidationError(
                "“Creator Chose Not To Use Archive Warnings” and “No Archive Warnings Apply” "
                "can't be combined with other warnings."
            )
        return warnings

    def work_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in (*WORK_FORM_FIELDS, "text_format")}

    def tag_names(self) -> dict[str, list[str]]:
        return {
            name: self.cleaned_data[name]
            for name in ("fandoms", "relationships", "characters", "freeforms")
        }

    def chapter_fields(self) -> dict:
        return {
            "title": self.cleaned_data.get("chapter_title", ""),
            "body": self.cleaned_data["body"],
            "text_format": self.cleaned_data["text_format"],
        }

    @classmethod
    def initial_for(cls, work: Work, user) -> dict:
        tags = {
            "fandoms": work.fandoms(),
            "relationships": work.relationships(),
            "characters": work.characters(),
            "freeforms": work.freeforms(),
        }
        credits = list(work.creatorships.select_related("pseud__user"))
        return {
            **{name: getattr(work, name) for name in WORK_FORM_FIELDS},
            **{name: work.rich_text_source(name) for name in Work.RICH_TEXT},
            **{name: ", ".join(t.name for t in tag_list) for name, tag_list in tags.items()},
            "pseuds": [c.pseud_id for c in credits if c.pseud.user_id == user.pk],
            "co_creators": ", ".join(
                f"{c.pseud.name} ({c.pseud.user.username})"
                for c in credits
                if c.pseud.user_id != user.pk
            ),
            "published_on": work.published_at.date() if work.published_at else None,
            "text_format": work.text_format,
        }


def resolve_pseuds(value: str, *, exclude_user=None) -> list[Pseud]:
    """'Ann, bo (bob)' -> the pseuds those names stand for, or a ValidationError
    naming the ones that don't match exactly one pseud."""
    found: list[Pseud] = []
    problems = []
    for name in split_tag_names(value):
        pseud_name, _, username = name.partition(" (")
        username = username.rstrip(")").strip()
        query = Q(name__iexact=pseud_name.strip())
        if username:
            query &= Q(user__username__iexact=username)
        matches = list(Pseud.objects.filter(query, user__is_active=True).select_related("user")[:2])
        if not matches:
            problems.append(f"there is no pseud “{name}”")
        elif len(matches) > 1:
            problems.append(
                f"“{name}” is the name of several pseuds: write it as “pseud (username)”"
            )
        elif exclude_user is not None and matches[0].user_id == exclude_user.pk:
            problems.append(f"“{name}” is your own pseud: tick it under Creator/Pseud(s)")
        else:
            found.append(matches[0])
    if problems:
        raise ValidationError("Check the co-creators: " + "; ".join(problems) + ".")
    return found


class ChapterForm(TextFormatMixin, forms.Form):
    rich_fields = ("summary", "notes", "end_notes", "body")
    # The order of works/chapter_form.html, which the error summary follows.
    field_order = [
        "title", "text_format", "summary", "notes", "body", "upload", "keep", "end_notes"
    ]  # fmt: skip

    title = forms.CharField(label="Chapter title", max_length=255, required=False)
    summary = _summary_field()
    notes = _notes_field("Beginning notes")
    end_notes = _notes_field("End notes")
    text_format = _text_format_field()
    body = _body_field()
    upload = _upload_field()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def chapter_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("title", "summary", "notes", "end_notes", "body", "text_format")
        }

    @staticmethod
    def initial_for(chapter) -> dict:
        return {
            "title": chapter.title,
            **{name: chapter.rich_text_source(name) for name in chapter.RICH_TEXT},
            "text_format": chapter.text_format,
            "version": chapter.version,
        }


class PositionsForm(forms.Form):
    """One number per item (chapters of a work, works of a series): the
    no-JavaScript way to reorder."""

    def __init__(self, *args, items, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for number, item in enumerate(self.items, start=1):
            self.fields[f"position_{item.pk}"] = forms.IntegerField(
                label=label(item),
                min_value=1,
                max_value=len(self.items),
                initial=number,
                widget=forms.NumberInput(attrs={"class": "position"}),
            )

    def positions(self) -> dict[int, int]:
        return {item.pk: self.cleaned_data[f"position_{item.pk}"] for item in self.items}


class SeriesForm(forms.Form):
    title = forms.CharField(max_length=255)
    pseud = forms.ModelChoiceField(label="Creator", queryset=Pseud.objects.none(), empty_label=None)
    summary = _summary_field()
    notes = _notes_field("Notes")
    text_format = _text_format_field()
    complete = forms.BooleanField(label="This series is complete", required=False)

    def __init__(self, *args, user, series=None, **kwargs):
        super().__init__(*args, **kwargs)
        if series is None:
            cast(forms.ModelChoiceField, self.fields["pseud"]).queryset = Pseud.objects.filter(
                user=user
            )
            self.fields["pseud"].initial = next(
                (p.pk for p in user.pseuds.all() if p.is_default), None
            )
        else:
            del self.fields["pseud"]

    def series_fields(self) -> dict:
        names = ("title", "summary", "notes", "complete", "text_format")
        return {name: self.cleaned_data[name] for name in names}


class SeriesAddWorkForm(forms.Form):
    work = forms.ModelChoiceField(
        label="Work", queryset=Work.objects.none(), empty_label="Choose a work"
    )
    position = forms.IntegerField(
        label="Position",
        required=False,
        min_value=1,
        help_text="1 puts it first. Leave empty to put it last.",
    )

    def __init__(self, *args, works, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["work"]).queryset = works
