"""Adding, editing, deleting, posting and ordering chapters."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from duster.lib.forms import apply_service
from duster.works.forms import ChapterForm, PositionsForm
from duster.works.models import Chapter
from duster.works.selectors import work_for_creator
from duster.works.services.chapters import (
    EditConflict,
    chapter_create,
    chapter_delete,
    chapter_post,
    chapter_prepare,
    chapter_reorder,
    chapter_update,
)


def _own_chapter(request, pk: int, chapter_id: int):
    work = work_for_creator(pk, request.user)
    chapter = work.chapters.filter(pk=chapter_id).first()
    if chapter is None:
        raise Http404("No such chapter.")
    return work, chapter


@login_required
def chapter_new(request, pk: int):
    work = work_for_creator(pk, request.user)
    form = ChapterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and request.POST.get("action") == "preview":
        return _preview(request, form, work, None)
    if request.method == "POST" and form.is_valid():
        # Enter in a text box submits without an action: never publish then.
        post = request.POST.get("action", "draft") == "post"
        saved, chapter = apply_service(
            form, lambda: chapter_create(work=work, fields=form.chapter_fields(), post=post)
        )
        if saved:
            if chapter.posted:
                messages.success(request, "Your chapter was posted.")
            else:
                messages.success(request, "Your chapter was saved as a draft.")
            return redirect(chapter)
    return render(request, "works/chapter_form.html", {"form": form, "work": work, "chapter": None})


def _preview(request, form: ChapterForm, work, chapter: Chapter | None):
    """The chapter as readers will see it, above the form it came from; nothing
    is saved (an uploaded file's text moves into the text box)."""
    shown = None
    if form.is_valid():
        shown = draft = Chapter(
            work=work,
            position=chapter.position if chapter else work.chapters.count() + 1,
            text_format=form.cleaned_data["text_format"],
        )
        if not apply_service(form, lambda: chapter_prepare(draft, form.chapter_fields()))[0]:
            shown = None
    context = {"form": form, "work": work, "chapter": chapter, "preview": shown}
    return render(request, "works/chapter_form.html", context)


@login_required
def chapter_edit(request, pk: int, chapter_id: int):
    work, chapter = _own_chapter(request, pk, chapter_id)
    form = ChapterForm(
        request.POST or None, request.FILES or None, initial=ChapterForm.initial_for(chapter)
    )
    conflict = None
    if request.method == "POST" and request.POST.get("action") == "preview":
        return _preview(request, form, work, chapter)
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"] or 0

        def update():
            chapter_update(chapter=chapter, fields=form.chapter_fields(), version=version)

        try:
            saved = apply_service(form, update)[0]
        except EditConflict as error:
            saved = False
            conflict = error.current
            # The next save knowingly replaces the newer version.
            data = request.POST.copy()
            data["version"] = conflict.version
            if form.cleaned_data.get("upload"):
                # A file field can't come back filled in: keep the file's text
                # in the text box, in the format it was read in.
                for name in ChapterForm.rich_fields:
                    data[name] = form.cleaned_data[name]
                data["text_format"] = form.cleaned_data["text_format"]
            form = ChapterForm(data, initial=ChapterForm.initial_for(chapter))
            form.is_valid()
        if saved:
            messages.success(request, "Your chapter was saved.")
            return redirect(chapter)
    context = {"form": form, "work": work, "chapter": chapter, "conflict": conflict}
    return render(request, "works/chapter_form.html", context)


@login_required
def chapter_delete_view(request, pk: int, chapter_id: int):
    work, chapter = _own_chapter(request, pk, chapter_id)
    error = None
    if request.method == "POST":
        try:
            chapter_delete(chapter=chapter)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, f"{chapter.display_title} was deleted.")
            return redirect(work)
    context = {"work": work, "chapter": chapter, "error": error}
    return render(request, "works/chapter_confirm_delete.html", context)


@login_required
@require_POST
def chapter_post_view(request, pk: int, chapter_id: int):
    work, chapter = _own_chapter(request, pk, chapter_id)
    if not chapter.posted and not work.is_draft:
        chapter_post(chapter=chapter)
        messages.success(request, "Your chapter was posted.")
    return redirect(chapter)


@login_required
def chapter_order(request, pk: int):
    work = work_for_creator(pk, request.user)
    chapters = list(work.chapters.order_by("position"))
    form = PositionsForm(request.POST or None, items=chapters, label=lambda c: c.display_title)
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            result := apply_service(
                form, lambda: chapter_reorder(work=work, positions=form.positions())
            )
        )[0]
    ):
        if result[1]:
            messages.success(request, "The chapters are in their new order.")
        else:
            messages.info(request, "The order is the same as before: nothing was changed.")
        return redirect("work_navigate", pk=work.pk)
    return render(request, "works/chapter_order.html", {"form": form, "work": work})
