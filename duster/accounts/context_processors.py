from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.http import url_has_allowed_host_and_scheme

# Pages of the account journey itself: a "Log in" link on them passes on the
# page the reader came from (their own ?next=) rather than pointing back at them.
ACCOUNT_PAGES = {
    "login",
    "logout",
    "signup",
    "activate",
    "activation_resend",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "login_url": _login_url_lazy(request),
    }


def login_url(request) -> str:
    """The login page, with ?next= back to the page the reader is on."""
    url = reverse("login")
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in ACCOUNT_PAGES:
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
    else:
        target = request.get_full_path()
    query = QueryDict(mutable=True)
    query["next"] = target
    return f"{url}?{query.urlencode(safe='/')}"


# Made once: lazy() builds a class each time it is called (half a millisecond).
_login_url_lazy = lazy(login_url, str)
