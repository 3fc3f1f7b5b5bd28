"""The member's inbox: notifications newest first, unread ones marked.

Opening an item marks it read, so it is a POST (a button that leads to the
thing): reading never changes state, and a GET that wrote would let any
page mark someone's notifications read with an <img>."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from duster.community.models import Notification
from duster.community.selectors.inbox import (
    inbox_items,
    notification_path,
    notifications_for_inbox,
)
from duster.community.services.notifications import notifications_mark_read
from duster.lib.pagination import paginate
from duster.works.models import Work


@require_safe
@login_required
def inbox(request):
    page = paginate(request, notifications_for_inbox(request.user))
    context = {"page": page, "items": inbox_items(request.user, page.object_list)}
    return render(request, "community/inbox.html", context)


@require_POST
@login_required
def inbox_mark_all_read(request):
    marked = notifications_mark_read(user=request.user)
    if marked:
        messages.success(request, "All your notifications are marked as read.")
    return redirect("inbox")


@require_POST
@login_required
def inbox_open(request, pk: int):
    """Mark one notification read and go to what it is about (back to the
    inbox for a work the member may no longer see)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    if notification.work_id is not None:
        visible = Work.objects.visible_to(request.user).filter(pk=notification.work_id)
        if not visible.exists():
            messages.info(request, "That work is no longer there for you to read.")
            return redirect("inbox")
    return redirect(notification_path(notification))
