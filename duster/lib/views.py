"""Pages of the site as a whole: the error pages' views, the favicon and the
web app manifest."""

from django.conf import settings
from django.http import HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request, name: str = "favicon.ico"):
    """/favicon.ico (and /apple-touch-icon.png), which browsers ask for
    whatever the page says, go to the hashed static file."""
    return HttpResponseRedirect(static(f"duster/icons/{name}"))


@require_safe
@cache_control(public=True, max_age=86400)
def web_manifest(request):
    """What a phone's home screen needs: the archive's name and its icons,
    named by their hashed static URLs so they are cached for good."""
    icons = [
        {
            "src": static(f"duster/icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
        }
        for size in (192, 512)
    ]
    manifest = {
        "name": settings.SITE_NAME,
        "short_name": settings.SITE_NAME,
        "start_url": "/",
        "display": "browser",
        "background_color": "#ffffff",
        "theme_color": "#8a1c1c",
        "icons": icons,
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


def csrf_failure(request, reason: str = ""):
    """A form sent without its CSRF token or cookie: the site's own 403 page,
    with the likely cause in plain words."""
    return render(
        request,
        "403_csrf.html",
        {"no_cookie": reason == REASON_NO_CSRF_COOKIE, "reason": reason},
        status=403,
    )


def server_error(request):
    """500: rendered without the request, so nothing the failure may have
    broken (the database, the session) is touched again."""
    body = loader.get_template("500.html").render({"site_name": settings.SITE_NAME})
    return HttpResponseServerError(body)
