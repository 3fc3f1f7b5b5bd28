"""Lists of work blurbs: latest works, a creator's pages. (A tag's works: duster.tags.views.)"""

from dataclasses import replace

from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from duster.accounts.models import User
from duster.accounts.mutes import mutes_of
from duster.lib.pagination import paginate
from duster.lib.urls import parse_id
from duster.search.params import WorkSearch
from duster.search.service import search_works
from duster.search.views import results_context, without_blanks
from duster.tags.models import TagType
from duster.tags.selectors import canonical_of, tag_on_works
from duster.works.models import Work
from duster.works.selectors import (
    drafts_of,
    pending_invitations,
    series_credited_to,
    tag_facets_kept,
    works_credited_to,
)


def first_works(request, count: int, mutes=None, **scope) -> tuple[list[Work], int]:
    """The `count` latest works this reader sees (within a tag's or a
    creator's, by search_works' scope), and how many there are: muted tags
    and creators left out here as on every list."""
    results = search_works(WorkSearch(), request.user, facet_types=(), mutes=mutes, **scope)
    return results.works[:count], results.total


@require_safe
def home(request):
    works, _ = first_works(request, 10)
    return render(request, "home.html", {"works": works, "fandoms": _home_fandoms(request.user)})


def _home_fandoms(user):
    """The most used fandoms. Counting them reads the tags of every posted
    work in the archive, so the counts are kept until a list changes."""
    posted = Work.objects.visible_to(user).posted()
    return tag_facets_kept(posted, [TagType.FANDOM], 20)[TagType.FANDOM]


@require_safe
def works_latest(request):
    """The archive's works, newest first, with the search sidebar."""
    if blanks_dropped := without_blanks(request):
        return blanks_dropped
    context = results_context(request, WorkSearch.from_query(request.GET))
    return render(request, "works/work_list.html", {**context, "heading": "Latest works"})


def _creator(username: str) -> User:
    # Lower() = lower() matches the case-insensitive unique index on usernames.
    users = User.objects.annotate(name=Lower("username"))
    return get_object_or_404(users, name=username.lower(), is_active=True)


@require_safe
def user_detail(request, username: str):
    creator = _creator(username)
    mutes = mutes_of(request.user)  # read once: the list and the mute button
    works, total = first_works(request, 5, mutes=mutes, creator=creator)
    context = {
        "creator": creator,
        "pseuds": creator.pseuds.all(),
        "works": works,
        "work_total": total,
        "muted": creator.pk in mutes.user_ids,
        "series_list": series_credited_to(creator, viewer=request.user)[:5],
        "invitations": pending_invitations(creator) if request.user == creator else [],
        "drafts": drafts_of(creator) if request.user == creator else [],
    }
    return render(request, "works/user_detail.html", context)


@require_safe
def user_works(request, username: str):
    """A creator's works with the search sidebar, so a reader can follow
    "my other stories in this pairing"; ?pseud=<id> (a byline's link) keeps
    to one pseud. ?fandom=<slug> and ?relationship=<slug> (links from before
    the sidebar) include that tag."""
    creator = _creator(username)
    if blanks_dropped := without_blanks(request):
        return blanks_dropped
    search = WorkSearch.from_query(request.GET)
    pseud_id = parse_id(request.GET.get("pseud", ""))
    pseud = creator.pseuds.filter(pk=pseud_id).first() if pseud_id is not None else None
    messages = []
    for tag_type in (TagType.FANDOM, TagType.RELATIONSHIP):
        slug = request.GET.get(tag_type.value)
        if not slug:
            continue
        # Only a tag on one of the creator's works this reader may see is
        # named back; any other slug (a draft's tag, a typo) is left out.
        shown = works_credited_to(creator, viewer=request.user)
        tag = tag_on_works(slug, tag_type, shown)
        if tag is None:
            label = tag_type.label.lower()
            messages.append((tag_type.value, f"None of these works has that {label}; left out."))
        else:
            search = replace(search, include=(*search.include, canonical_of(tag).name))
    context = results_context(
        request, search, creator=creator, pseud=pseud, messages=tuple(messages)
    )
    return render(request, "works/user_works.html", {**context, "creator": creator, "pseud": pseud})


@require_safe
def user_series(request, username: str):
    creator = _creator(username)
    page = paginate(request, series_credited_to(creator, viewer=request.user))
    return render(request, "works/user_series.html", {"creator": creator, "page": page})
