"""The search sidebar: a form drawn from a `WorkSearch`, its inputs named as
the URL contract names them (duster.search.params), so submitting it (a GET)
gives the same address a link or a script would write. It only draws: the
parsing and its messages stay in params.py; each message is shown as the
error of the field it concerns (and, by the page, above the results)."""

from functools import lru_cache
from typing import cast

from django import forms
from django.http import QueryDict
from django.template.loader import render_to_string

from duster.search.params import CROSSOVERS, DATES, MINIMUMS, SORTS, WorkSearch
from duster.works.choices import LANGUAGES, ArchiveWarning, Category, Rating

COMPLETE_CHOICES = [
    ("", "All works"),
    ("1", "Complete works only"),
    ("0", "Works in progress only"),
]
# "" leaves the order to the search: best match with a text query, else updated.
SORT_CHOICES = [
    ("", "Best match, or date updated"),
    *((k, v) for k, v in SORTS.items() if k != "best"),
]


def _number(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, widget=forms.NumberInput(attrs={"min": 0})
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _tags(label: str, help_text: str) -> forms.CharField:
    # data-tag-suggest: static/duster/tag-suggest.js offers canonical tags as the reader types.
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-tag-suggest": "any"}),
    )


def _checkboxes(label: str, choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
    )


class WorkSearchForm(forms.Form):
    q = forms.CharField(
        label="Search text",
        required=False,
        help_text="“A phrase” in quotes; -word leaves a word out; "
        "title:, creator:, tag: and summary: look in one place.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    include = _tags("Include tags", "All of these, separated by commas.")
    exclude = _tags("Exclude tags", "None of these, separated by commas.")
    rating = _checkboxes("Rating", Rating.choices)
    warning = _checkboxes("Archive warnings", ArchiveWarning.choices)
    category = _checkboxes("Categories", Category.choices)
    complete = forms.ChoiceField(
        label="Status", required=False, choices=COMPLETE_CHOICES, widget=forms.RadioSelect
    )
    oneshot = forms.BooleanField(
        label="One-shots only",
        required=False,
        # The contract's value: a bare checkbox would send "on".
        widget=forms.CheckboxInput(attrs={"value": "1"}),
    )
    crossover = forms.ChoiceField(label="Crossovers", required=False, choices=CROSSOVERS)
    language = forms.ChoiceField(
        label="Language", required=False, choices=[("", "Any language"), *LANGUAGES]
    )
    words_from = _number("Words from")
    words_to = _number("Words to")
    updated_from = _date("Updated from")
    updated_to = _date("Updated to")
    posted_from = _date("Posted from")
    posted_to = _date("Posted to")
    hits_min = _number("Hits at least")
    kudos_min = _number("Kudos at least")
    comments_min = _number("Comments at least")
    bookmarks_min = _number("Bookmarks at least")
    creator = forms.CharField(label="Creator", required=False, help_text="A username.")
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)

    def __init__(
        self, search: WorkSearch, messages: list[tuple[str, str]], *, scoped_by_creator: bool
    ) -> None:
        """Bound to `search` as parsed, with each message as its field's
        error. On a creator's works page the creator is the page itself."""
        super().__init__(_form_data(search))
        self.drawn_as = (search.to_query(), tuple(messages), scoped_by_creator)
        if scoped_by_creator:
            del self.fields["creator"]
        if search.q.strip():
            # With a text query, "" already means best match; offer it by name.
            sort = cast(forms.ChoiceField, self.fields["sort"])
            sort.choices = [("", SORTS["best"]), *SORT_CHOICES[1:]]
        self.full_clean()
        for name, message in messages:
            if name in self.fields:
                self.add_error(name, message)

    def fields_html(self) -> str:
        """The fieldsets, drawn once per search in this process: two dozen
        fields cost more to draw than the search costs to run, and they
        depend on nothing but the search (a GET form: no CSRF token)."""
        return _fields_html(*self.drawn_as)

    def field_groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """The fieldsets the sidebar draws, by what they narrow: (legend, CSS
        class, fields); "pairs" sets number fields side by side."""
        numbers = ["words_from", "words_to", *(f"{name}_min" for name in MINIMUMS)]
        groups = [
            ("Text and tags", "", ["q", "include", "exclude"]),
            ("Rating, warnings, categories", "", ["rating", "warning", "category"]),
            ("Status, crossovers, language", "", ["complete", "oneshot", "crossover", "language"]),
            ("Length and popularity", "pairs", numbers),
            ("Dates", "", list(DATES)),
            ("Creator and order", "", ["creator", "sort"]),
        ]
        return [
            (legend, css, [self[name] for name in names if name in self.fields])
            for legend, css, names in groups
        ]


def _form_data(search: WorkSearch) -> dict[str, object]:
    """The search as the form's submitted data: tag names back in one
    comma-separated box each, everything else as the URL holds it."""
    data: dict[str, object] = {
        "q": search.q,
        "include": ", ".join(search.include),
        "exclude": ", ".join(search.exclude),
        "rating": list(search.rating),
        "warning": list(search.warning),
        "category": list(search.category),
        "complete": "" if search.complete is None else str(int(search.complete)),
        "oneshot": search.oneshot,
        "crossover": search.crossover,
        "language": search.language,
        "creator": search.creator,
        "sort": "" if search.sort == "best" else search.sort,
    }
    for name in ("words_from", "words_to", *DATES, *(f"{n}_min" for n in MINIMUMS)):
        value = getattr(search, name)
        data[name] = "" if value is None else str(value)
    return data


@lru_cache(maxsize=512)
def _fields_html(query: str, messages: tuple[tuple[str, str], ...], scoped_by_creator: bool):
    search = WorkSearch.from_query(QueryDict(query))
    form = WorkSearchForm(search, list(messages), scoped_by_creator=scoped_by_creator)
    return render_to_string("search/form_fields.html", {"form": form})
