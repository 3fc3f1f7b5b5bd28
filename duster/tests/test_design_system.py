"""The site as a whole: error pages in the site's layout, icons, the CSS and
JavaScript budget, and static files with hashed names and long cache lives."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import include, path
from PIL import Image

from duster.lib.views import server_error

STATIC = Path(settings.BASE_DIR) / "duster" / "static"
ICONS = STATIC / "duster" / "icons"
CSS_BUDGET = 30_000  # bytes, all stylesheets together, uncompressed
JS_BUDGET = 60_000  # bytes, all scripts together, uncompressed


# A URLconf with views that fail, around the real one.
def _fails(request):
    raise RuntimeError("a bug")


def _forbidden(request):
    raise PermissionDenied("not yours")


def _suspicious(request):
    raise SuspiciousOperation("odd")


urlpatterns = [
    path("test-500/", _fails),
    path("test-403/", _forbidden),
    path("test-400/", _suspicious),
    path("", include("duster.urls")),
]
handler500 = "duster.lib.views.server_error"


def assert_site_layout(response, status: int, heading: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert 'href="/static/duster/duster.css"' in html or "duster/duster." in html
    assert re.search(rf"<h1>{heading}</h1>", html), html
    assert 'href="/"' in html  # a way back home
    return html


@pytest.mark.django_db
@pytest.mark.urls("duster.tests.test_design_system")
class TestErrorPages:
    @pytest.fixture(autouse=True)
    def _production(self, settings):
        settings.DEBUG = False  # Django's technical pages otherwise

    def test_404_is_in_the_layout_with_a_way_back(self, client):
        html = assert_site_layout(client.get("/works/999999999/"), 404, "We can’t find that page")
        assert "Back button" in html

    def test_404_follows_the_readers_theme(self, client):
        client.cookies["duster_reader"] = "theme:dark"
        html = client.get("/no/such/page/").content.decode()
        assert 'data-theme="dark"' in html

    def test_403(self, client):
        html = assert_site_layout(client.get("/test-403/"), 403, "You can’t open this page")
        assert "log in" in html

    def test_400(self, client):
        assert_site_layout(client.get("/test-400/"), 400, "Bad request")

    def test_400_for_a_malformed_address(self, client):
        assert_site_layout(client.get("/works/?q=%00"), 400, "Bad request")

    def test_500_renders_in_the_layout_without_the_database(self, client):
        client.raise_request_exception = False
        assert_site_layout(client.get("/test-500/"), 500, "Something went wrong on our side")

    def test_500_touches_no_database_and_needs_no_request_context(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = server_error(RequestFactory().get("/"))
        html = assert_site_layout(response, 500, "Something went wrong on our side")
        assert f"| {settings.SITE_NAME}</title>" in html

    def test_csrf_failure_without_the_cookie_says_to_allow_cookies(self):
        client = Client(enforce_csrf_checks=True)
        html = assert_site_layout(
            client.post("/account/login/", {"username": "a", "password": "b"}),
            403,
            "That form couldn’t be sent",
        )
        assert "cookie" in html

    def test_csrf_failure_with_a_stale_token_says_to_reload(self):
        client = Client(enforce_csrf_checks=True)
        client.get("/account/login/")  # sets the CSRF cookie
        html = assert_site_layout(
            client.post("/account/login/", {"csrfmiddlewaretoken": "x" * 64}),
            403,
            "That form couldn’t be sent",
        )
        assert "reload the page" in html


# --- Icons -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["favicon.ico", "apple-touch-icon.png"])
def test_root_icons_lead_to_the_static_files(client, name):
    response = client.get(f"/{name}")
    assert response.status_code == 302
    assert "max-age=86400" in response["Cache-Control"]
    target = client.get(response["Location"])
    assert target.status_code == 200
    assert b"".join(target.streaming_content)[:4] in (b"\x00\x00\x01\x00", b"\x89PNG")


@pytest.mark.parametrize(
    ("name", "size"),
    [("apple-touch-icon.png", 180), ("icon-192.png", 192), ("icon-512.png", 512)],
)
def test_home_screen_icons_have_their_sizes(name, size):
    with Image.open(ICONS / name) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)


def test_favicon_ico_holds_the_small_sizes():
    with Image.open(ICONS / "favicon.ico") as image:
        assert {(16, 16), (32, 32), (48, 48)} <= set(image.info["sizes"])


@pytest.mark.django_db
def test_manifest_names_icons_that_exist(client):
    response = client.get("/site.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] and manifest["start_url"] == "/"
    for icon in manifest["icons"]:
        name = icon["src"].removeprefix(settings.STATIC_URL).removeprefix("/")
        # The source file, whether or not `make run` collected hashed names.
        name = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", name)
        with Image.open(ICONS.parent.parent / name) as image:
            assert f"{image.size[0]}x{image.size[1]}" == icon["sizes"]


@pytest.mark.django_db
def test_every_file_a_page_links_to_is_served(client):
    html = client.get("/").content.decode()
    links = re.findall(r'<link [^>]*href="([^"]+)"', html) + re.findall(
        r'<img [^>]*src="([^"]+)"', html
    )
    assert any(link.endswith(".css") for link in links)
    assert any("favicon" in link for link in links)
    for link in links:
        assert client.get(link).status_code == 200, link


# --- Budget and caching ----------------------------------------------------------------------


def _total(suffix: str) -> int:
    return sum(f.stat().st_size for f in STATIC.rglob(f"*{suffix}"))


def test_all_css_fits_the_budget():
    assert 0 < _total(".css") < CSS_BUDGET


def test_all_javascript_fits_the_budget():
    assert _total(".js") < JS_BUDGET


def test_no_stylesheet_fetches_from_elsewhere():
    for sheet in STATIC.rglob("*.css"):
        text = sheet.read_text()
        assert "@import" not in text, sheet
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), sheet


@pytest.mark.django_db
@pytest.mark.collected_static
def test_static_files_have_hashed_names_and_long_cache_lives(tmp_path):
    """As `make run` serves them: collected, hashed by the manifest storage,
    served by WhiteNoise, cached for a year and marked immutable."""
    with override_settings(STATIC_ROOT=tmp_path, WHITENOISE_USE_FINDERS=False, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client()
        html = client.get("/").content.decode()
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', html)
        assert sheets and icons
        for url in sheets + icons:
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{url} has no hash in its name"
            response = client.get(url)
            assert response.status_code == 200, url
            cache = response["Cache-Control"]
            age = re.search(r"max-age=(\d+)", cache)
            assert age, (url, cache)
            assert int(age.group(1)) >= 365 * 24 * 60 * 60 and "immutable" in cache, (url, cache)
        compressed = client.get(sheets[0], HTTP_ACCEPT_ENCODING="gzip")
        assert compressed["Content-Encoding"] in ("gzip", "br")
