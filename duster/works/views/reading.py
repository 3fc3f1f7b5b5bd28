"""Reading pages: a work, one chapter, the whole work, the chapter index."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from duster.works.models import Work
from duster.works.selectors import chapters_for_reader, series_places, work_for_reader
from duster.works.services.works import work_record_hit


def _adult_notice_needed(request, work: Work) -> bool:
    """Mature, Explicit and Not Rated works ask first, once per session (and
    for good, for a logged-in reader who says yes)."""
    if not work.is_adult or work.is_creator(request.user):
        return False
    user = request.user
    if request.GET.get("view_adult") == "true":
        request.session["view_adult"] = True
        if user.is_authenticated and not user.view_adult:
            user.view_adult = True
            user.save(update_fields=["view_adult"])
        return False
    if request.session.get("view_adult"):
        return False
    return not (user.is_authenticated and user.view_adult)


def _visitor(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    address = request.META.get("REMOTE_ADDR", "")
    agent = request.META.get("HTTP_USER_AGENT", "")[:200]
    return f"guest:{address}:{agent}"


def _render_work(request, work: Work, chapters, shown, *, preview=False):
    if _adult_notice_needed(request, work) and not preview:
        return render(request, "works/adult_notice.html", {"work": work})
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
    return _render_work(request, work, chapters, [chapter])


def _query(request) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


@require_safe
def work_navigate(request, pk: int):
    work = work_for_reader(pk, request.user)
    chapters = chapters_for_reader(work, request.user)
    return render(request, "works/work_navigate.html", {"work": work, "chapters": chapters})
