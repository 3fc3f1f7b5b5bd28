"""Lists of work blurbs: latest works, a creator's pages. (A tag's works: duster.tags.views.)"""

from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from duster.accounts.models import User
from duster.lib.pagination import paginate
from duster.lib.urls import parse_id
from duster.tags.models import TagType
from duster.tags.selectors import tag_on_works, works_tagged
from duster.works.models import Work
from duster.works.selectors import (
    drafts_of,
    pending_invitations,
    series_credited_to,
    tag_facets_kept,
    works_credited_to,
)

LATEST = ("-updated_at", "-pk")


def _latest(user):
    return Work.objects.visible_to(user).posted().order_by(*LATEST)


@require_safe
def home(request):
    works = _latest(request.user).for_listing()[:10]
    return render(request, "home.html", {"works": works, "fandoms": _home_fandoms(request.user)})


def _home_fandoms(user):
    """The most used fandoms. Counting them reads the tags of every posted
    work in the archive, so the counts are kept until a list changes."""
    posted = Work.objects.visible_to(user).posted()
    return tag_facets_kept(posted, [TagType.FANDOM], 20)[TagType.FANDOM]


@require_safe
def works_latest(request):
    page = paginate(request, _latest(request.user).for_listing())
    return render(request, "works/work_list.html", {"page": page, "heading": "Latest works"})


def _creator(username: str) -> User:
    # Lower() = lower() matches the case-insensitive unique index on usernames.
    users = User.objects.annotate(name=Lower("username"))
    return get_object_or_404(users, name=username.lower(), is_active=True)


@require_safe
def user_detail(request, username: str):
    creator = _creator(username)
    works = works_credited_to(creator, viewer=request.user)
    context = {
        "creator": creator,
        "pseuds": creator.pseuds.all(),
        "works": works.for_listing().order_by(*LATEST)[:5],
        "work_total": works.count(),
        "series_list": series_credited_to(creator, viewer=request.user)[:5],
        "invitations": pending_invitations(creator) if request.user == creator else [],
        "drafts": drafts_of(creator) if request.user == creator else [],
    }
    return render(request, "works/user_detail.html", context)


@require_safe
def user_works(request, username: str):
    """A creator's works, filterable by pseud, fandom and relationship so a
    reader can follow "my other stories in this pairing"."""
    creator = _creator(username)
    works = works_credited_to(creator, viewer=request.user)
    filters: dict[str, object] = {}
    pseud_id = parse_id(request.GET.get("pseud", ""))
    if pseud_id is not None:
        pseud = creator.pseuds.filter(pk=pseud_id).first()
        if pseud:
            works = works.filter(creatorships__pseud=pseud)
            filters["pseud"] = pseud
    for tag_type in (TagType.FANDOM, TagType.RELATIONSHIP):
        slug = request.GET.get(tag_type.value)
        if slug:
            # Only a tag on one of the creator's works this reader may see is
            # named back; any other slug (a draft's tag, a typo) finds nothing.
            shown = works_credited_to(creator, viewer=request.user)
            tag = tag_on_works(slug, tag_type, shown)
            works = works_tagged(tag, request.user, works) if tag else works.none()
            filters[tag_type.value] = tag
            filters["unknown"] = filters.get("unknown") or tag is None
    facets = tag_facets_kept(works, [TagType.FANDOM, TagType.RELATIONSHIP])
    context = {
        "creator": creator,
        "page": paginate(request, works.for_listing().order_by(*LATEST)),
        "filters": filters,
        "fandom_facets": facets[TagType.FANDOM],
        "relationship_facets": facets[TagType.RELATIONSHIP],
    }
    return render(request, "works/user_works.html", context)


@require_safe
def user_series(request, username: str):
    creator = _creator(username)
    page = paginate(request, series_credited_to(creator, viewer=request.user))
    return render(request, "works/user_series.html", {"creator": creator, "page": page})
