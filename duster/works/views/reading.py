"""Reading pages: a work, one chapter, the whole work, the chapter index."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from duster.accounts.client import client_address
from duster.lib.urls import parse_id
from duster.works.models import Work
from duster.works.selectors import chapters_for_reader, series_places, work_for_reader
from duster.works.services.hits import hit_visitor, work_record_hit


def _adult_notice_needed(request, work: Work) -> bool:
    """Mature, Explicit and Not Rated works ask first, once per session, unless
    the reader's preferences say not to. Only the notice's POST form (below)
    records a yes: a GET, even with the old ?view_adult=true, changes nothing,
    so a link or image in someone's work cannot change a reader's settings."""
    if not work.is_adult or work.is_creator(request.user):
        return False
    if request.session.get("view_adult"):
        return False
    return not (request.user.is_authenticated and request.user.view_adult)


@require_POST
def work_view_adult(request, pk: int):
    """'Yes, continue' on the adult-content notice: remembered for this session
    only (the saved preference is changed on the Preferences page alone), then
    back to the chapter or the entire work the reader asked for."""
    work = work_for_reader(pk, request.user)
    request.session["view_adult"] = True
    chapter = parse_id(request.POST.get("chapter", ""))
    if chapter is not None:
        target = reverse("chapter_detail", args=[work.pk, chapter])
    else:
        target = work.get_absolute_url()
    if request.POST.get("view_full_work") == "true":
        target += "?view_full_work=true"
    return redirect(target)


def _visitor(request) -> str:
    # The address (behind trusted proxies, the one they saw), not the
    # User-Agent: a script can change that on every request.
    return hit_visitor(user=request.user, address=client_address(request) or "")


def _render_work(request, work: Work, chapters, shown, *, preview=False, chapter_page=False):
    if _adult_notice_needed(request, work) and not preview:
        context = {
            "work": work,
            "chapter": shown[0] if chapter_page else None,
            "full_work": request.GET.get("view_full_work") == "true",
        }
        return render(request, "works/adult_notice.html", context)
    if not work.is_creator(request.user) and not preview:
        work_record_hit(work=work, visitor=_visitor(request))
    index = chapters.index(shown[0]) if len(shown) == 1 else None
    context = {
        "work": work,
        "chapters": chapters,
        "shown": shown,
        "full_work": len(shown) > 1 or len(chapters) == 1,
        "previous_chapter": chapters[index - 1] if index else None,
        "next_chapter": chapters[index + 1]
        if index is not None and index + 1 < len(chapters)
        else None,
        "series_places": series_places(work, request.user),
        "is_creator": work.is_creator(request.user),
        "preview": preview,
    }
    return render(request, "works/work_detail.html", context)


@require_safe
def work_detail(request, pk: int):
    work = work_for_reader(pk, request.user)
    chapters = chapters_for_reader(work, request.user)
    if not chapters:
        return render(request, "works/work_detail.html", {"work": work, "chapters": []})
    full = request.GET.get("view_full_work") == "true"
    return _render_work(request, work, chapters, chapters if full else chapters[:1])


@require_safe
def chapter_detail(request, pk: int, chapter_id: int):
    work = work_for_reader(pk, request.user)
    chapters = chapters_for_reader(work, request.user)
    chapter = next((c for c in chapters if c.pk == chapter_id), None)
    if chapter is None:
        raise Http404("No such chapter.")
    if len(chapters) == 1:
        return redirect(reverse("work_detail", args=[work.pk]) + _query(request))
    return _render_work(request, work, chapters, [chapter], chapter_page=True)


def _query(request) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


@require_safe
def work_navigate(request, pk: int):
    work = work_for_reader(pk, request.user)
    chapters = chapters_for_reader(work, request.user)
    return render(request, "works/work_navigate.html", {"work": work, "chapters": chapters})
