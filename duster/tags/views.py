"""Tag pages: a tag and the tags around it, its works, the fandom index."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from duster.accounts.mutes import mutes_of
from duster.search.params import WorkSearch
from duster.search.views import results_context, without_blanks
from duster.tags import selectors
from duster.tags.selectors import canonical_of, tag_for_reader, tag_with_neighbours
from duster.tags.wrangling.permissions import is_wrangler
from duster.works.views.lists import first_works


@require_safe
def tag_detail(request, slug: str):
    tag = tag_with_neighbours(tag_for_reader(slug, request.user))
    mutes = mutes_of(request.user)  # read once: the list and the mute button
    works, total = first_works(request, 10, mutes=mutes, tag=tag)
    context = {
        "tag": tag,
        "works": works,
        "work_total": total,
        "can_wrangle": is_wrangler(request.user),
        "muted": canonical_of(tag).pk in mutes.tag_ids,
    }
    return render(request, "tags/tag_detail.html", context)


@require_safe
def tag_works(request, slug: str):
    """A tag's works (a fandom's too) with the search sidebar, searched
    within the tag."""
    tag = tag_for_reader(slug, request.user)
    if tag.merger_id is not None:
        # A synonym's works are its canonical tag's.
        return redirect(canonical_of(tag).works_url)
    if blanks_dropped := without_blanks(request):
        return blanks_dropped
    context = results_context(request, WorkSearch.from_query(request.GET), tag=tag)
    context.update(tag=tag, heading=f"Works tagged {tag.name}")
    return render(request, "tags/tag_works.html", context)


@require_safe
def fandom_index(request):
    return render(
        request, "tags/fandom_index.html", {"groups": selectors.fandom_index(request.user)}
    )
