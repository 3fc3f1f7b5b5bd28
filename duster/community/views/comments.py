"""Comment pages and actions: the form page (guests, and replies without
JavaScript), a comment's permalink, editing, deleting, and what creators do
(hide, freeze, approve, the moderation queue). The rules are the service's."""

from collections.abc import Callable
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duster.accounts.client import client_address
from duster.community.choices import CommentState
from duster.community.forms import SERVICE_FIELDS, CommentEditForm, CommentForm
from duster.community.models import Comment
from duster.community.selectors.comments import (
    comment_for_reader,
    comment_place,
    comment_queue,
    comment_visible_to,
    is_work_creator,
    work_for_commenter,
)
from duster.community.services.comments import (
    MESSAGE_CLOSED,
    MESSAGE_LOGIN,
    CommentRateLimited,
    comment_approve,
    comment_delete,
    comment_edit,
    comment_freeze,
    comment_hide,
    comment_post,
    comment_unfreeze,
    comment_unhide,
)
from duster.lib.pagination import paginate
from duster.lib.urls import fast_reverse, local_or, parse_id
from duster.works.models import Chapter, CommentPolicy, source_fields
from duster.works.selectors import work_for_creator

# A comment's form and service read a chapter's place, never its texts.
CHAPTER_TEXTS = (*Chapter.RICH_TEXT, *source_fields(Chapter))


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _show_errors(form, error: ValidationError) -> None:
    """The service's refusal beside the field it names (the form's name for
    it), else at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        name = SERVICE_FIELDS.get(name, name)
        messages_ = [m for e in errors for m in e.messages]
        if name in form.fields and name != NON_FIELD_ERRORS:
            form.add_error(name, messages_)
        else:
            form.add_error(None, messages_)


def _refusal(work, user) -> str:
    """Why this reader cannot comment at all, before they type anything."""
    if work.comment_policy == CommentPolicy.NOBODY:
        return MESSAGE_CLOSED
    if not user.is_authenticated and work.comment_policy != CommentPolicy.ANYONE:
        return MESSAGE_LOGIN
    return ""


def _replied_to(request, work, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = (
        Comment.objects.select_related("pseud__user", "chapter")
        .defer(*(f"chapter__{name}" for name in CHAPTER_TEXTS))
        .filter(pk=parent_id, work=work)
        .first()
    )
    if parent is None or not comment_visible_to(
        parent, request.user, creator=is_work_creator(work, request.user)
    ):
        raise Http404("No such comment.")
    return parent


@require_http_methods(["GET", "HEAD", "POST"])
def comment_new(request, pk: int):
    """The comment form on a page of its own. POST posts it: a 303 to the
    comment's place, or this page again with the refusal beside the field
    and the text kept (429 when the writer must wait)."""
    work = work_for_commenter(pk, request.user)
    member = request.user if request.user.is_authenticated else None
    data = request.POST if request.method == "POST" else request.GET
    chapter_id, parent_id = parse_id(data.get("chapter", "")), parse_id(data.get("parent", ""))
    parent = _replied_to(request, work, parent_id)
    chapter = parent.chapter if parent is not None else None
    if parent is None and chapter_id is not None:
        chapter = work.chapters.filter(pk=chapter_id, posted=True).defer(*CHAPTER_TEXTS).first()
        if chapter is None:
            raise Http404("No such chapter.")
    pseuds = list(member.pseuds.all()) if member is not None else []
    form = CommentForm(
        request.POST if request.method == "POST" else None,
        initial={"chapter": chapter_id or "", "parent": parent_id or ""},
        pseuds=pseuds,
        guest=member is None,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            comment = comment_post(
                work=work,
                chapter=chapter,
                parent=parent,
                user=member,
                pseud=form.chosen_pseud() or _default_pseud(pseuds),
                guest_name=data.get("name", ""),
                guest_email=data.get("email", ""),
                body=data["body"],
                address=client_address(request) or "",
                honeypot=data.get("website", ""),
            )
        except CommentRateLimited as error:
            form.add_error(None, error.messages)
            status = 429
        except ValidationError as error:
            _show_errors(form, error)
        else:
            if comment.state == CommentState.QUEUED:
                messages.info(
                    request,
                    "Thank you: your comment will appear once the work's creator approves it.",
                )
            return _see_other(comment_place(comment, work, just_posted=True))
    refusal = _refusal(work, request.user)
    context = {
        "work": work,
        "form": form,
        "chapter": chapter,
        "parent": parent,
        "refusal": refusal,
        "refusal_login": refusal == MESSAGE_LOGIN,
        "login_url": _login_here(work, chapter_id, parent_id),
    }
    return render(request, "community/comment_form.html", context, status=status)


def _default_pseud(pseuds):
    return next((pseud for pseud in pseuds if pseud.is_default), None)


def _login_here(work, chapter_id: int | None, parent_id: int | None) -> str:
    """The login page, coming back to this form (for this chapter or reply)."""
    target = fast_reverse("comment_new", work.pk)
    if parent_id is not None:
        target += f"?parent={parent_id}"
    elif chapter_id is not None:
        target += f"?chapter={chapter_id}"
    return f"{fast_reverse('login')}?next={quote(target, safe='/')}"


@require_safe
def comment_detail(request, pk: int):
    """A comment's permanent address: to its place in its work's pages."""
    comment, work = comment_for_reader(pk, request.user)
    if not comment_visible_to(comment, request.user, creator=work.is_creator(request.user)):
        raise Http404("No such comment.")
    return HttpResponseRedirect(comment_place(comment, work))


def _back(request, default: str) -> str:
    return local_or(request, request.POST.get("next", "") or request.GET.get("next", ""), default)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit_view(request, pk: int):
    comment, work = comment_for_reader(pk, request.user)
    if comment.user_id != request.user.pk or comment.state == CommentState.DELETED:
        raise Http404("No such comment.")
    form = CommentEditForm(
        request.POST if request.method == "POST" else None,
        initial={"body": comment.rich_text_source("body")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            comment_edit(comment=comment, user=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            _show_errors(form, error)
        else:
            return _see_other(comment_place(comment, work))
    return render(
        request, "community/comment_edit.html", {"work": work, "comment": comment, "form": form}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_delete_view(request, pk: int):
    """GET asks to confirm; POST deletes (the writer, or a creator)."""
    comment, work = comment_for_reader(pk, request.user)
    creator = work.is_creator(request.user)
    if comment.state == CommentState.DELETED or not (creator or comment.user_id == request.user.pk):
        raise Http404("No such comment.")
    if request.method == "POST":
        place = comment_place(comment, work)
        try:
            removed = comment_delete(comment=comment, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return _see_other(_back(request, place))
        messages.success(request, "The comment was deleted.")
        if removed:
            place = place.split("#", 1)[0] + "#comments"
        return _see_other(_back(request, place))
    context = {"work": work, "comment": comment, "next": _back(request, "")}
    return render(request, "community/comment_confirm_delete.html", context)


def _creator_action(action: Callable, done: str):
    @login_required
    @require_POST
    def view(request, pk: int):
        comment, work = comment_for_reader(pk, request.user)
        if not is_work_creator(work, request.user):
            raise Http404("No such comment.")
        try:
            action(comment=comment, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
        return _see_other(_back(request, comment_place(comment, work)))

    view.__name__ = action.__name__ + "_view"
    return view


comment_hide_view = _creator_action(comment_hide, "The comment is hidden.")
comment_unhide_view = _creator_action(comment_unhide, "The comment is shown again.")
comment_freeze_view = _creator_action(comment_freeze, "The thread is frozen.")
comment_unfreeze_view = _creator_action(comment_unfreeze, "The thread is open again.")
comment_approve_view = _creator_action(comment_approve, "The comment is published.")


@login_required
@require_safe
def comment_queue_view(request, pk: int):
    """A work's comments awaiting approval, for its creators."""
    work = work_for_creator(pk, request.user)
    page = paginate(request, comment_queue(work))
    return render(request, "community/comment_queue.html", {"work": work, "page": page})
