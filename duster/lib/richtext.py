# ruff: noqa: DJ012 (the save hook sits beside the rendering it drives)
"""Rich-text fields stored twice: what the writer typed (the source, in its
format) and the sanitized HTML readers see, derived on every save.

A model lists its rich fields in `RICH_TEXT`; each name `x` has a model field
`x` (sanitized HTML, the only one templates print) and `x_source` (the typed
text), and the model has one `text_format` for all of them. Whoever writes —
a service, the admin, an importer, a plain `.save()` — the HTML is derived
here, so no caller can store unsanitized text. A caller that sets the HTML
field directly (legacy code, fixtures) gets it sanitized, and it then stands
as its own source.
"""

from collections.abc import Iterable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models

from duster.lib import text

TEXT_FORMAT_CHOICES = [
    ("html", "Rich text (HTML)"),
    ("markdown", "Markdown"),
    ("text", "Plain text"),
]

_UNSET = object()


class RichTextModel(models.Model):
    """Abstract base: `text_format` plus the machinery that renders sources."""

    RICH_TEXT: ClassVar[tuple[str, ...]] = ()
    # Longest HTML a field may become, when it must be bounded (chapter text).
    RICH_TEXT_HTML_MAX: ClassVar[dict[str, int]] = {}

    text_format = models.CharField(
        "text format", max_length=10, choices=TEXT_FORMAT_CHOICES, default="html"
    )

    class Meta:
        abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the database holds: nothing yet for a new object.
        self._rich_saved: dict[str, tuple[Any, Any]] = {}
        self._rich_saved_format: Any = _UNSET
        self._rich_dirty: set[str] = set()
        self._rich_rendered: dict[str, tuple[str, str, str]] = {}

    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        instance._rich_snapshot()
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._rich_snapshot()

    def _rich_snapshot(self) -> None:
        # __dict__, not getattr: a deferred field must not cost a query.
        for name in self.RICH_TEXT:
            self._rich_saved[name] = (
                self.__dict__.get(name, _UNSET),
                self.__dict__.get(f"{name}_source", _UNSET),
            )
        self._rich_saved_format = self.__dict__.get("text_format", _UNSET)
        self._rich_dirty.clear()

    def rich_text_set(self, name: str, source: str, text_format: str | None = None) -> None:
        """Give field `name` new typed text; its HTML follows on clean/save."""
        if name not in self.RICH_TEXT:
            raise ValueError(f"{name} is not a rich-text field of {type(self).__name__}")
        setattr(self, f"{name}_source", source or "")
        if text_format is not None:
            self.text_format = text_format
        self._rich_dirty.add(name)

    def rich_text_source(self, name: str) -> str:
        """The text to reopen in an editor: the source, else the HTML itself."""
        return getattr(self, f"{name}_source") or getattr(self, name) or ""

    def rich_text_render(self, names: Iterable[str] | None = None) -> None:
        """Derive the HTML of each changed rich field; ValidationError keyed by
        the source field's name when a text cannot be converted."""
        errors: dict[str, list[str]] = {}
        fmt = self.text_format
        format_changed = self._rich_saved_format is not _UNSET and fmt != self._rich_saved_format
        for name in self.RICH_TEXT if names is None else names:
            source_name = f"{name}_source"
            if name not in self.__dict__ or source_name not in self.__dict__:
                continue  # deferred and untouched
            html, source = self.__dict__[name] or "", self.__dict__[source_name] or ""
            saved_html, saved_source = self._rich_saved.get(name, (_UNSET, _UNSET))
            rendered = self._rich_rendered.get(name)
            if rendered == (source, fmt, html):
                continue  # already derived from this very source
            from_source = (
                name in self._rich_dirty
                or source != (saved_source if saved_source is not _UNSET else "")
                or (format_changed and source)
            )
            if from_source:
                try:
                    html = text.to_html(source, fmt) if source.strip() else ""
                except text.TextFormatError as error:
                    errors[source_name] = [str(error)]
                    continue
                limit = self.RICH_TEXT_HTML_MAX.get(name)
                if limit and len(html) > limit:
                    errors[source_name] = [
                        f"Once formatted this text is {len(html):,} characters long; the "
                        f"limit is {limit:,}. Split it, or remove some formatting."
                    ]
                    continue
            elif html != saved_html:
                html = text.sanitize_html(html)
                # Set as HTML, the HTML is its own source when the format says so.
                source = html if fmt == "html" else ""
            else:
                continue
            self.__dict__[name] = html
            self.__dict__[source_name] = source
            self._rich_rendered[name] = (source, fmt, html)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        super().clean()
        self.rich_text_render()

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self.rich_text_render()
        else:
            fields = set(update_fields)
            names = [n for n in self.RICH_TEXT if n in fields or f"{n}_source" in fields]
            if names or "text_format" in fields:
                names = names or list(self.RICH_TEXT)
                self.rich_text_render(names)
                for name in names:
                    fields.update((name, f"{name}_source"))
                kwargs["update_fields"] = fields
        super().save(*args, **kwargs)
        self._rich_snapshot()


def rich_text_apply(obj: RichTextModel, fields: dict, plain: Iterable[str] = ()) -> None:
    """Set `obj`'s fields from a service's `fields`: rich ones (in
    fields["text_format"] when given) through rich_text_set, `plain` ones as is."""
    fmt = fields.get("text_format")
    if fmt is not None:
        obj.text_format = fmt
    for name in obj.RICH_TEXT:
        if name in fields:
            obj.rich_text_set(name, fields[name])
    for name in plain:
        if name in fields:
            setattr(obj, name, fields[name])


def full_clean_public(obj: models.Model, **kwargs: Any) -> None:
    """full_clean(), with errors on `x_source` reported as errors on `x`, the
    name callers (forms, importers) know the field by."""
    nul = {
        field.name: ["This text contains a NUL character, which can't be stored."]
        for field in obj._meta.concrete_fields
        if "\x00" in str(obj.__dict__.get(field.attname) or "")
    }
    if nul:
        raise ValidationError({name.removesuffix("_source"): e for name, e in nul.items()})
    try:
        obj.full_clean(**kwargs)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {name.removesuffix("_source"): errors for name, errors in error.error_dict.items()}
        ) from None
