"""Bookmarks: the form for a work or a series (new or to change), deleting
one, and a user's bookmarks page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from duster.accounts.models import User
from duster.accounts.mutes import mutes_of
from duster.community.forms_bookmarks import BookmarkForm
from duster.community.models import Bookmark
from duster.community.selectors.bookmarks import bookmark_of, bookmarks_of
from duster.community.services.bookmarks import bookmark_delete, bookmark_save
from duster.lib.forms import apply_service
from duster.lib.pagination import paginate
from duster.works.selectors import series_for_reader, work_for_reader


def _bookmark_form(request, *, work=None, series=None):
    target = work if work is not None else series
    bookmark = bookmark_of(request.user, work=work, series=series)
    form = BookmarkForm(request.POST or None, initial=BookmarkForm.initial_for(bookmark))
    if request.method == "POST" and form.is_valid():
        fields = form.bookmark_fields()
        saved, _ = apply_service(
            form,
            lambda: bookmark_save(user=request.user, work=work, series=series, **fields),
        )
        if saved:
            messages.success(request, "Your bookmark was saved.")
            return redirect(target.get_absolute_url() + ("#bookmarks" if work else ""))
    context = {"form": form, "bookmark": bookmark, "work": work, "series": series}
    return render(request, "community/bookmark_form.html", context)


@login_required
def work_bookmark(request, pk: int):
    return _bookmark_form(request, work=work_for_reader(pk, request.user))


@login_required
def series_bookmark(request, pk: int):
    series, _entries = series_for_reader(pk, request.user)
    return _bookmark_form(request, series=series)


@login_required
@require_POST
def bookmark_delete_view(request, pk: int):
    bookmark = Bookmark.objects.filter(pk=pk, user=request.user).first()
    if bookmark is None:
        raise Http404("No such bookmark.")
    bookmark_delete(bookmark=bookmark)
    messages.success(request, "Your bookmark was deleted.")
    return redirect("user_bookmarks", username=request.user.username)


@require_safe
def user_bookmarks(request, username: str):
    """A user's bookmarks: their public ones for others, private ones too for
    themselves; what the viewer may not see is left out."""
    users = User.objects.annotate(name=Lower("username"))
    owner = get_object_or_404(users, name=username.lower(), is_active=True)
    mutes = mutes_of(request.user)
    page = paginate(request, bookmarks_of(owner, viewer=request.user, mutes=mutes))
    context = {"owner": owner, "page": page, "is_owner": request.user == owner}
    return render(request, "community/bookmark_list.html", context)
