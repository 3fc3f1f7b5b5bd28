"""Posting and editing works: thin views over duster.works.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from duster.lib.forms import apply_service
from duster.works.forms import WorkForm
from duster.works.models import Creatorship
from duster.works.selectors import reading_of, work_for_creator
from duster.works.services.works import (
    creatorship_respond,
    work_create,
    work_delete,
    work_leave,
    work_post,
    work_update,
)
from duster.works.views.reading import _render_work


@login_required
def work_new(request):
    form = WorkForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        # Enter in a text box submits without an action: the safe one, a draft.
        action = request.POST.get("action", "draft")
        saved, work = apply_service(
            form,
            lambda: work_create(
                pseuds=list(form.cleaned_data["pseuds"]),
                co_creators=form.cleaned_data["co_creators"],
                fields=form.work_fields(),
                tags=form.tag_names(),
                chapter=form.chapter_fields(),
                published_on=form.cleaned_data["published_on"],
                post=action == "post",
                series=form.cleaned_data["series"],
                series_position=form.cleaned_data["series_position"],
            ),
        )
        if saved:
            if action == "post":
                messages.success(request, "Your work was posted.")
                return redirect(work)
            if action == "preview":
                return redirect("work_preview", pk=work.pk)
            messages.success(request, "Your draft was saved. Only you can see it.")
            return redirect(work)
    return render(request, "works/work_form.html", {"form": form, "work": None})


@login_required
def work_edit(request, pk: int):
    work = work_for_creator(pk, request.user)
    initial = WorkForm.initial_for(work, request.user)
    form = WorkForm(request.POST or None, user=request.user, work=work, initial=initial)
    if request.method == "POST" and form.is_valid():

        def update():
            work_update(
                work=work,
                pseuds=list(form.cleaned_data["pseuds"]),
                co_creators=form.cleaned_data["co_creators"],
                fields=form.work_fields(),
                tags=form.tag_names(),
                published_on=form.cleaned_data["published_on"],
                series=form.cleaned_data["series"],
                series_position=form.cleaned_data["series_position"],
            )

        if apply_service(form, update)[0]:
            action = request.POST.get("action", "save")
            if action == "preview":
                return redirect("work_preview", pk=work.pk)
            if action == "post" and work.is_draft:
                work_post(work=work)
                messages.success(request, "Your work was posted.")
            else:
                messages.success(request, "Your changes were saved.")
            return redirect(work)
    return render(request, "works/work_form.html", {"form": form, "work": work})


@login_required
def work_preview(request, pk: int):
    """The draft exactly as readers will see it, with the creator's buttons."""
    work = work_for_creator(pk, request.user)
    reading = reading_of(work, request.user)
    return _render_work(request, reading, reading.chapters, preview=True)


@login_required
@require_POST
def work_post_view(request, pk: int):
    work = work_for_creator(pk, request.user)
    if work.is_draft:
        work_post(work=work)
        messages.success(request, "Your work was posted.")
    return redirect(work)


@login_required
def work_delete_view(request, pk: int):
    work = work_for_creator(pk, request.user)
    if request.method == "POST":
        title = work.title
        work_delete(work=work)
        messages.success(request, f"“{title}” was deleted.")
        return redirect("user_works", username=request.user.username)
    return render(request, "works/work_confirm_delete.html", {"work": work})


@login_required
@require_POST
def work_leave_view(request, pk: int):
    """Take one's own credit off a work that has another accepted creator."""
    work = work_for_creator(pk, request.user)
    try:
        work_leave(work=work, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("work_edit", pk=work.pk)
    messages.success(request, f"You are no longer credited on “{work.title}”.")
    return redirect("user_detail", username=request.user.username)


@login_required
@require_POST
def invitation_respond(request, pk: int):
    """Accept or decline an invitation to be credited as a co-creator."""
    creatorship = Creatorship.objects.filter(
        pk=pk, pseud__user=request.user, approved=False
    ).first()
    if creatorship is None:
        raise Http404("No such invitation.")
    accept = request.POST.get("answer") == "accept"
    target = creatorship.target
    creatorship_respond(creatorship=creatorship, accept=accept)
    if accept:
        messages.success(request, f"You are now credited on “{target}”.")
        return redirect(target)
    messages.success(request, f"You declined the invitation to “{target}”.")
    return redirect("user_detail", username=request.user.username)
