"""Old eFiction addresses, answered with a 301 to the page that took over.

An eFiction archive's stories, series, members and reviews were at
viewstory.php?sid=…, viewseries.php?seriesid=…, viewuser.php?uid=… and
reviews.php?…; their LegacyId rows say where each went. What a reader may
not see (a draft, a hidden work, a restricted one for a guest) is a 404 like
an unknown id, as is an id that is no number. Parameters these views don't
read are ignored.

The answers are sent uncached (never_cache): the guest page cache never keeps
them (only 200s of the pages it lists), and neither may a browser or a CDN,
which keep a 301 for as long as they like unless told not to, so a work that
is hidden later stops being reached at once. Every target is a path on this
site built by reverse() from ids found here; nothing from the query is copied
into it.
"""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from duster.accounts.models import User
from duster.imports.models import EFICTION, ImportKind, LegacyId
from duster.lib.urls import parse_id
from duster.works.models import Chapter, Creatorship, Series, SeriesEntry, Work
from duster.works.selectors import _in_series  # the series page's own rule


def _new_ids(kind: str, old_id: str | None):
    """The new ids (a subquery) of the `kind` record `old_id`; 404 for an id
    that is no number (eFiction's ids all are)."""
    number = parse_id(old_id or "")
    if number is None:
        raise Http404("No such page.")
    return LegacyId.objects.filter(source=EFICTION, kind=kind, old_id=str(number)).values("new_id")


def _work(request, sid: str | None) -> Work:
    """The work story `sid` became, if this reader may see it; else 404."""
    work = (
        Work.objects.visible_to(request.user)
        .filter(pk__in=_new_ids(ImportKind.STORY, sid))
        .only("pk", "chapter_count")
        .first()
    )
    if work is None:
        raise Http404("No such work.")
    return work


def _readable_chapters(request, work_ids):
    """Chapters the reader may see of the works in `work_ids` (visible ones):
    posted ones, and any of a work they are a creator of."""
    chapters = Chapter.objects.filter(work__in=work_ids)
    if not request.user.is_authenticated:
        return chapters.filter(posted=True)
    own = Creatorship.objects.filter(
        pseud__user=request.user, approved=True, work_id=OuterRef("work_id")
    )
    return chapters.filter(Q(posted=True) | Exists(own))


def _chapter_url(work: Work, chapter_id: int, fragment: str = "") -> str:
    # A one-chapter work has no chapter pages (they redirect to the work's).
    if work.chapter_count == 1:
        return reverse("work_detail", args=[work.pk]) + fragment
    return reverse("chapter_detail", args=[work.pk, chapter_id]) + fragment


def _moved(target: str) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(target)


@never_cache
@require_safe
def viewstory(request):
    """viewstory.php?sid=N: the work; &chapter=M: its chapter at position M
    (eFiction numbers chapters by their place); &action=printable: the
    entire work, or that chapter (with chapter=all, or none, the whole work);
    &index=1: the chapter index."""
    work = _work(request, request.GET.get("sid"))
    chapter = request.GET.get("chapter", "")
    printable = request.GET.get("action") == "printable"
    if chapter and chapter != "all":
        position = parse_id(chapter)
        if position is None:
            raise Http404("No such chapter.")
        found = (
            _readable_chapters(request, [work.pk])
            .filter(position=position)
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise Http404("No such chapter.")
        return _moved(_chapter_url(work, found))
    if printable or chapter == "all":
        return _moved(reverse("work_detail", args=[work.pk]) + "?view_full_work=true")
    if request.GET.get("index") == "1":
        return _moved(reverse("work_navigate", args=[work.pk]))
    return _moved(reverse("work_detail", args=[work.pk]))


def _series_url(request, seriesid: str | None) -> str:
    """The page of the series `seriesid` became, if it shows this reader a
    work (or they are its creator), as the series page itself decides."""
    user = request.user
    shown = Exists(SeriesEntry.objects.filter(_in_series(user), series_id=OuterRef("pk")))
    condition = Q(shown)
    if user.is_authenticated:
        own = Creatorship.objects.filter(pseud__user=user, approved=True, series_id=OuterRef("pk"))
        condition |= Q(Exists(own))
    pk = (
        Series.objects.filter(pk__in=_new_ids(ImportKind.SERIES, seriesid))
        .filter(condition)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise Http404("No such series.")
    return reverse("series_detail", args=[pk])


@never_cache
@require_safe
def viewseries(request):
    return _moved(_series_url(request, request.GET.get("seriesid")))


@never_cache
@require_safe
def viewuser(request):
    username = (
        User.objects.filter(pk__in=_new_ids(ImportKind.AUTHOR, request.GET.get("uid")))
        .filter(is_active=True)
        .values_list("username", flat=True)
        .first()
    )
    if username is None:
        raise Http404("No such member.")
    return _moved(reverse("user_detail", args=[username]))


@never_cache
@require_safe
def reviews(request):
    """A story's or a chapter's reviews: its page, at its comments.
    type=ST&item=SID[&chapid=CHAPID], the older sid=SID and chid=CHAPID, and
    type=SE&item=SERIESID (a series: its page; series have no comments)."""
    query = request.GET
    kind = query.get("type", "").upper()
    if kind == "SE":
        return _moved(_series_url(request, query.get("item")))
    if kind not in ("", "ST"):
        raise Http404("No such page.")
    sid = query.get("item") if kind == "ST" else query.get("sid")
    chapid = query.get("chapid") or query.get("chid")
    if chapid:
        chapters = _readable_chapters(request, Work.objects.visible_to(request.user))
        chapters = chapters.filter(pk__in=_new_ids(ImportKind.CHAPTER, chapid))
        if sid:
            chapters = chapters.filter(work__in=_new_ids(ImportKind.STORY, sid))
        found = chapters.select_related("work").only("pk", "work__id", "work__chapter_count")
        chapter = found.first()
        if chapter is None:
            raise Http404("No such chapter.")
        return _moved(_chapter_url(chapter.work, chapter.pk, "#comments"))
    if not sid:
        raise Http404("No such page.")
    work = _work(request, sid)
    return _moved(reverse("work_detail", args=[work.pk]) + "#comments")


# Pages with no one object: the nearest page here.
NEAREST = {
    "index.php": "home",
    "viewpage.php": "home",
    "authors.php": "works_latest",
    "browse.php": "fandom_index",
    "search.php": "work_search",
}


@never_cache
@require_safe
def nearest(request, page: str):
    return _moved(reverse(NEAREST[page]))
