"""History and Marked for Later: a member's own lists, and the buttons on a
work's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from duster.community.selectors.reading import history_of, marked_for_later_of
from duster.community.services.history import (
    history_clear,
    history_delete,
    reading_mark_for_later,
    reading_unmark_for_later,
)
from duster.lib.pagination import paginate
from duster.lib.urls import local_or
from duster.works.selectors import work_for_reader


def back_to(request, default: str) -> str:
    """The `next` the form sent when it is a path on this site, else `default`."""
    return local_or(request, request.POST.get("next", ""), default)


@require_safe
@login_required
def history(request):
    page = paginate(request, history_of(request.user))
    return render(request, "community/history.html", {"page": page, "marked_page": False})


@require_safe
@login_required
def marked_for_later(request):
    page = paginate(request, marked_for_later_of(request.user))
    return render(request, "community/history.html", {"page": page, "marked_page": True})


@require_POST
@login_required
def history_clear_view(request):
    count = history_clear(user=request.user)
    if count:
        messages.success(
            request,
            f"Your history is cleared ({count} work{'s' if count != 1 else ''}). "
            "Works you marked for later stay marked.",
        )
    else:
        messages.info(request, "Your history was empty already.")
    return redirect("history")


@require_POST
@login_required
def history_delete_view(request, work_id: int):
    if history_delete(user=request.user, work_id=work_id):
        messages.success(request, "That work is no longer in your history.")
    return redirect(back_to(request, reverse("history")))


@require_POST
def mark_for_later(request, pk: int):
    work = work_for_reader(pk, request.user)
    if not request.user.is_authenticated:
        return redirect_to_login(work.get_absolute_url())
    reading_mark_for_later(user=request.user, work=work)
    messages.success(request, f"“{work.title}” is marked for later.")
    return redirect(back_to(request, work.get_absolute_url()))


@require_POST
def unmark_for_later(request, pk: int):
    # No visibility check: a member may always take a mark off, even from a
    # work they can no longer see.
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("work_detail", args=[pk]))
    reading_unmark_for_later(user=request.user, work_id=pk)
    messages.success(request, "That work is no longer marked for later.")
    return redirect(back_to(request, reverse("work_detail", args=[pk])))
