"""Blocking: a member's list of blocked users, and the Block/Unblock buttons
on a user's page. The rule itself (what a blocked user may no longer do) is
enforced by the comment and kudos services through duster.accounts.blocks."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from duster.accounts.blocks import block_user, blocked_users, unblock_user
from duster.accounts.models import User
from duster.community.views.reading import back_to
from duster.lib.forms import apply_service


def active_user_named(username: str) -> User | None:
    """The active account with this username, case aside."""
    users = User.objects.filter(is_active=True).annotate(lowered=Lower("username"))
    return users.filter(lowered=username.strip().lower()).first()


class BlockForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="They will no longer be able to comment on your works, "
        "reply to your comments or leave kudos on your works.",
        error_messages={"required": "Type the username of the person to block."},
    )

    def clean_username(self) -> User:
        username = self.cleaned_data["username"]
        other = active_user_named(username)
        if other is None:
            raise ValidationError(f"There is no user called “{username}”.")
        return other


def _blocked(request, other: User) -> None:
    messages.success(
        request,
        f"You blocked {other.username}: they can no longer comment on your works, "
        "reply to your comments or leave kudos on your works.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def blocks(request):
    """The users this member blocks (with Unblock buttons), and a form to block
    one more by username."""
    form = BlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        other = form.cleaned_data["username"]
        done, _ = apply_service(form, lambda: block_user(user=request.user, other=other))
        if done:
            _blocked(request, other)
            return redirect("blocks")
    context = {"form": form, "blocked": list(blocked_users(request.user))}
    return render(request, "community/blocks.html", context)


def _other(request, username: str) -> User:
    other = active_user_named(username)
    if other is None:
        raise Http404("No such user.")
    return other


@require_POST
def user_block(request, username: str):
    other = _other(request, username)
    if not request.user.is_authenticated:
        return redirect_to_login(other.get_absolute_url())
    try:
        block_user(user=request.user, other=other)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _blocked(request, other)
    return redirect(back_to(request, other.get_absolute_url()))


@require_POST
def user_unblock(request, username: str):
    other = _other(request, username)
    if not request.user.is_authenticated:
        return redirect_to_login(other.get_absolute_url())
    unblock_user(user=request.user, other=other)
    messages.success(request, f"You unblocked {other.username}.")
    return redirect(back_to(request, reverse("blocks")))
