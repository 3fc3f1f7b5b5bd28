"""Subscribe and unsubscribe buttons (works, series, creators), the member's
list of subscriptions, and the signed unsubscribe links in mail."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duster.accounts.models import User
from duster.community.mail import unsubscribe_read
from duster.community.selectors.inbox import subscription_rows, subscriptions_of
from duster.community.services.subscriptions import (
    subscription_add,
    subscription_remove,
    unsubscribe_apply,
    unsubscribe_subject,
)
from duster.lib.pagination import paginate
from duster.lib.urls import local_or
from duster.works.models import Series, Work
from duster.works.selectors import work_for_reader


def _back(request, default: str) -> str:
    """The page to return to: the form's `next` when it is on this site."""
    return local_or(request, request.POST.get("next", ""), default)


def _change(request, *, subscribe: bool, name: str, back: str, **target):
    if subscribe:
        try:
            subscription_add(user=request.user, **target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"You are subscribed to {name}: news arrive in your inbox.")
    elif subscription_remove(user=request.user, **target):
        messages.success(request, f"You are no longer subscribed to {name}.")
    else:
        messages.info(request, f"You were not subscribed to {name}.")
    return redirect(back)


def _work_view(subscribe: bool):
    @require_POST
    def view(request, pk: int):
        back = _back(request, f"/works/{pk}/")
        if not request.user.is_authenticated:
            return redirect_to_login(back)
        if subscribe:
            target = work_for_reader(pk, request.user)  # 404 for what they may not see
        else:
            # Leaving works even for a work no longer shown to them.
            found = Work.objects.filter(pk=pk).only("id", "title").first()
            if found is None:
                raise Http404("No such work.")
            target = found
        return _change(
            request, subscribe=subscribe, name=f"“{target.title}”", back=back, work=target
        )

    return view


def _series_view(subscribe: bool):
    @require_POST
    def view(request, pk: int):
        back = _back(request, f"/series/{pk}/")
        if not request.user.is_authenticated:
            return redirect_to_login(back)
        series = Series.objects.filter(pk=pk).first()
        if series is None:
            raise Http404("No such series.")
        return _change(
            request,
            subscribe=subscribe,
            name=f"the series “{series.title}”",
            back=back,
            series=series,
        )

    return view


def _user_view(subscribe: bool):
    @require_POST
    def view(request, username: str):
        back = _back(request, f"/users/{username}/")
        if not request.user.is_authenticated:
            return redirect_to_login(back)
        creator = User.objects.filter(username=username).first()
        if creator is None:
            raise Http404("No such creator.")
        return _change(
            request, subscribe=subscribe, name=creator.username, back=back, creator=creator
        )

    return view


work_subscribe = _work_view(True)
work_unsubscribe = _work_view(False)
series_subscribe = _series_view(True)
series_unsubscribe = _series_view(False)
user_subscribe = _user_view(True)
user_unsubscribe = _user_view(False)


@require_safe
@login_required
def subscriptions_list(request):
    page = paginate(request, subscriptions_of(request.user))
    context = {"page": page, "rows": subscription_rows(request.user, page.object_list)}
    return render(request, "community/subscriptions.html", context)


# --- Signed links from mail ----------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """GET: what the link stops, and a button. POST from that button (CSRF
    checked), or RFC 8058 one-click from a mail program (the body
    `List-Unsubscribe=One-Click`, no cookie, so no CSRF token: the signed
    token is the proof): stop it. Only this view is exempt, and it acts only
    on a valid token."""
    try:
        what = unsubscribe_read(token)
    except signing.SignatureExpired:
        return _bad_link(request, expired=True)
    except signing.BadSignature:
        return _bad_link(request, expired=False)
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        changed = unsubscribe_apply(user_id=what.user_id, target=what.target)
        return render(request, "community/unsubscribe_done.html", _context(what, changed=changed))
    return _unsubscribe_page(request, what)


@csrf_protect
def _unsubscribe_page(request, what):
    if request.method == "POST":
        changed = unsubscribe_apply(user_id=what.user_id, target=what.target)
        return render(request, "community/unsubscribe_done.html", _context(what, changed=changed))
    return render(request, "community/unsubscribe_confirm.html", _context(what))


def _context(what, **extra) -> dict:
    return {
        "subject": unsubscribe_subject(what.target),
        "is_subscription": what.is_subscription,
        **extra,
    }


def _bad_link(request, *, expired: bool):
    return render(request, "community/unsubscribe_invalid.html", {"expired": expired}, status=400)
