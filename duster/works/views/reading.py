"""Reading pages: a work, one chapter, the whole work, the chapter index."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from duster.accounts.client import client_address
from duster.community.page import work_page_context
from duster.lib.memberpages import MemberShell, member_shell
from duster.lib.reader import settings_for
from duster.lib.urls import parse_id
from duster.works.models import Work
from duster.works.selectors import (
    Reading,
    chapter_menu_key,
    reading_dependencies,
    reading_for,
    work_for_reader,
)
from duster.works.services.hits import hit_visitor, work_record_hit

# ?view_full_work=true shows every chapter, =false one at a time; without it
# the reader's own setting decides.
VIEW_FULL_WORK_VALUES = ("true", "false")


def _full_work_choice(request) -> str:
    """The view asked for in the address, if any: "true", "false" or ""."""
    choice = request.GET.get("view_full_work", "")
    return choice if choice in VIEW_FULL_WORK_VALUES else ""


def _wants_full_work(request) -> bool:
    choice = _full_work_choice(request)
    if choice:
        return choice == "true"
    return settings_for(request).full_work


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
    choice = request.POST.get("view_full_work")
    if choice in VIEW_FULL_WORK_VALUES:
        target += f"?view_full_work={choice}"
    return redirect(target)


def _visitor(request) -> str:
    # The address (behind trusted proxies, the one they saw), not the
    # User-Agent: a script can change that on every request.
    return hit_visitor(user=request.user, address=client_address(request) or "")


def _render_work(
    request,
    reading: Reading,
    shown,
    *,
    preview=False,
    chapter_page=False,
    shell: MemberShell | None = None,
):
    work, chapters = reading.work, reading.chapters
    if _adult_notice_needed(request, work) and not preview:
        context = {
            "work": work,
            "chapter": shown[0] if chapter_page else None,
            "full_work_choice": "" if chapter_page else _full_work_choice(request),
        }
        return render(request, "works/adult_notice.html", context)
    is_creator = work.is_creator(request.user)
    if not is_creator and not preview:
        work_record_hit(work_pk=work.pk, visitor=_visitor(request))
    full_work = len(shown) > 1 or len(chapters) == 1
    index = None if full_work else chapters.index(shown[0])
    context = {
        "work": work,
        "chapters": chapters,
        "shown": shown,
        "full_work": full_work,
        # The work's preface in full on its first page; later chapters get a
        # compact header so their text starts on a phone's first screen.
        "full_preface": full_work or index == 0,
        "previous_chapter": chapters[index - 1] if index else None,
        "next_chapter": chapters[index + 1]
        if index is not None and index + 1 < len(chapters)
        else None,
        "last_page": full_work or index == len(chapters) - 1,
        "chapter_menu_key": "" if full_work else chapter_menu_key(chapters, shown[0]),
        "series_places": reading.series_places,
        "is_creator": is_creator,
        "preview": preview,
    }
    if preview:
        return render(request, "works/work_detail.html", context)

    def community():
        return work_page_context(
            request, work=work, chapters=chapters, shown=shown, full_work=full_work
        )

    if shell is not None and reading.shared:
        return shell.render(request, "works/work_detail.html", context, community)
    return render(request, "works/work_detail.html", {**context, **community()})


@require_safe
def work_detail(request, pk: int):
    shell = member_shell(request, reading_dependencies(pk))  # before anything is read
    reading = reading_for(pk, request.user)
    chapters = reading.chapters
    if not chapters:
        context = {"work": reading.work, "chapters": [], "full_preface": True, "last_page": True}
        return render(request, "works/work_detail.html", context)
    shown = chapters if _wants_full_work(request) else chapters[:1]
    return _render_work(request, reading, shown, shell=shell)


@require_safe
def chapter_detail(request, pk: int, chapter_id: int):
    shell = member_shell(request, reading_dependencies(pk))  # before anything is read
    reading = reading_for(pk, request.user)
    chapters = reading.chapters
    chapter = next((c for c in chapters if c.pk == chapter_id), None)
    if chapter is None:
        raise Http404("No such chapter.")
    if len(chapters) == 1:
        return redirect(reverse("work_detail", args=[pk]) + _query(request))
    return _render_work(request, reading, [chapter], chapter_page=True, shell=shell)


def _query(request) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


@require_safe
def work_navigate(request, pk: int):
    """The chapter index, and where the chapter menu's "Go" lands: with
    ?chapter=<id> of a chapter the reader may see, that chapter; any other
    value shows the index to choose from."""
    reading = reading_for(pk, request.user)
    work, chapters = reading.work, reading.chapters
    wanted = parse_id(request.GET.get("chapter", ""))
    chapter = next((c for c in chapters if c.pk == wanted), None)
    if chapter is not None:
        return redirect(chapter.get_absolute_url())
    return render(request, "works/work_navigate.html", {"work": work, "chapters": chapters})
