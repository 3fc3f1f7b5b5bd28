"""Finding tags: /tags/search (a page, no JavaScript needed) and the JSON
the posting form's tag fields ask while a writer types."""

from django import forms
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from duster.lib.pagination import paginate
from duster.tags.models import MAX_TAG_LENGTH, TagType
from duster.tags.wrangling.selectors import tags_autocomplete, tags_search


class TagSearchForm(forms.Form):
    q = forms.CharField(label="Tag name", max_length=MAX_TAG_LENGTH, required=False)
    type = forms.ChoiceField(
        label="Type", choices=[("", "Any type"), *TagType.choices], required=False
    )


@require_safe
def tag_search(request):
    form = TagSearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["type"]):
        page = paginate(
            request, tags_search(query=form.cleaned_data["q"], tag_type=form.cleaned_data["type"])
        )
    return render(request, "tags/wrangling/search.html", {"form": form, "page": page})


@require_safe
def tag_autocomplete(request):
    """GET ?q=…&type=…: up to 10 canonical tags as JSON,
    {"tags": [{"name", "slug", "fandoms": [names]}]}."""
    query = request.GET.get("q", "")[:MAX_TAG_LENGTH]
    tags = tags_autocomplete(query=query, tag_type=request.GET.get("type", ""))
    response = JsonResponse({"tags": tags})
    # Canonical names change rarely; a minute of staleness is harmless.
    response["Cache-Control"] = "max-age=60"
    return response
