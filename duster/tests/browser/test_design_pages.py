"""Every kind of page, as readers and writers see it: at 390 and 1,280 px, in
the light and the dark theme, served as in production (collected static files
with hashed names, through WhiteNoise).

One Chromium renders each page once per width and theme and keeps what it
saw; the tests below then hold those renderings to the design issue:
axe-core's WCAG 2.2 AA rules (target size included) with no violations of
any impact, the Nu HTML Checker with no errors, no console errors and no
failed request (a favicon included), no sideways scrolling on a phone, the
theme asked for, and long-cached, hashed CSS, JavaScript and icons. The
screenshots land in var/screenshots/<page>-<width>-<theme>.png for people
to look at.
"""

import hashlib
import re
import struct
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.urls import reverse

from duster.accounts.models import User
from duster.downloads.book import work_for_download
from duster.downloads.models import DownloadFile, DownloadState
from duster.downloads.services import download_key
from duster.downloads.views import download_url
from duster.imports.claims import claim_token
from duster.imports.models import LegacyId
from duster.tags.models import Tag
from duster.tests.browser import AXE_JS, INSTALL_HINT, nu_checker_errors, tool_missing
from duster.tests.browser.conftest import SIZES, Archive, build_archive
from duster.tests.browser.design import (
    BACKGROUND_LUMINANCE,
    FOCUS_SHOWN,
    THEMES,
    WAY_BACK,
    DesignPage,
    Rendering,
    Tab,
    Variant,
    apply_reader_settings,
    database_snapshots,
    generic_family,
    in_memory,
    production_server,
    render_everything,
    report,
    restore_databases,
    text_style,
)
from duster.works.models import Chapter
from duster.works.services.chapters import chapter_update

# The marker makes pytest-django set up the test database; the data itself is
# made once for the module by the `served` fixture.
pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.collected_static]

# Hashed by ManifestStaticFilesStorage: name.0123456789ab.ext
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
ONE_YEAR = 365 * 24 * 60 * 60
UNCLAIMED = "lantern_keeper"
FIRST_CHAPTER_BODY = (
    "<p>The lamps were lit one by one along the harbour wall, and Ada counted "
    "them as she went, the way her mother had taught her.</p>"
    "<p>By the last tower the fog had come in, soft and grey.</p>"
    "<hr>"
    "<p>Morning. Bea was waiting at the foot of the stairs with two cups of tea "
    "and a secret she had kept for a year.</p>"
)


@dataclass
class Site:
    url: str
    archive: Archive
    renderings: list[Rendering]
    # Every static file a page asked for: path -> (status, cache-control).
    static: dict[str, tuple[int, str]]
    # Icon and manifest links from the pages' <head>: URL -> rel.
    head_links: dict[str, str]


def design_pages(archive: Archive) -> list[DesignPage]:
    saga = archive.saga
    username = archive.author.username
    fandom = Tag.objects.get(name="Lamplighter Chronicles")
    return [
        DesignPage("home", reverse("home")),
        DesignPage("works-latest", reverse("works_latest")),
        DesignPage("work-first-chapter", saga.get_absolute_url()),
        DesignPage("work-as-creator", saga.get_absolute_url(), as_author=True),
        DesignPage("chapter-later", archive.second_chapter.get_absolute_url()),
        DesignPage("work-entire", saga.get_absolute_url() + "?view_full_work=true"),
        DesignPage("chapter-index", reverse("work_navigate", args=[saga.pk])),
        DesignPage("adult-notice", archive.adult.get_absolute_url()),
        DesignPage("series", archive.series.get_absolute_url()),
        DesignPage("series-edit", reverse("series_edit", args=[archive.series.pk]), True),
        DesignPage("user", reverse("user_detail", args=[username])),
        DesignPage("user-as-owner", reverse("user_detail", args=[username]), as_author=True),
        DesignPage("user-works", reverse("user_works", args=[username])),
        DesignPage("tag", reverse("tag_detail", args=[fandom.slug])),
        DesignPage("tag-works", reverse("tag_works", args=[fandom.slug])),
        DesignPage("work-new", reverse("work_new"), as_author=True),
        DesignPage(
            "work-new-errors",
            reverse("work_new"),
            as_author=True,
            press="Post",
            shows=(".error-summary", "[aria-invalid=true]"),
        ),
        DesignPage("chapter-new", reverse("chapter_new", args=[saga.pk]), as_author=True),
        DesignPage("preferences", reverse("preferences"), as_author=True),
        DesignPage("export", reverse("export_index"), as_author=True),
        DesignPage("work-import", reverse("work_import"), as_author=True),
        DesignPage(
            "work-import-errors",
            reverse("work_import"),
            as_author=True,
            press="Import as a draft",
            shows=(".error-summary", "[aria-invalid=true]"),
        ),
        DesignPage(
            "account-claim",
            reverse("account_claim", args=[claim_token(User.objects.get(username=UNCLAIMED))]),
        ),
        DesignPage(
            "account-claim-invalid",
            reverse("account_claim", args=["not-a-token"]),
            status=400,
            shows=(WAY_BACK,),
        ),
        DesignPage("reader-settings", reverse("reader_settings")),
        DesignPage("login", reverse("login")),
        DesignPage("signup", reverse("signup")),
        DesignPage("not-found", "/works/no-such-work/", status=404, shows=(WAY_BACK,)),
        DesignPage(
            "download-unavailable",
            download_url(saga, "pdf"),
            status=503,
            shows=(".download-status",),
        ),
        DesignPage(
            "csrf-failure",
            reverse("login"),
            status=403,
            press="Log in",
            drop_csrf_cookie=True,
            shows=(WAY_BACK,),
        ),
    ]


# -- the site, served as in production ------------------------------------


@dataclass
class Served:
    url: str
    archive: Archive


@pytest.fixture(scope="module")
def served(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Served]:
    """The archive, its static files collected, served by a live server with
    WhiteNoise in front (no test static handler). The data lives for this
    module only."""
    static_root = tmp_path_factory.mktemp("static")
    with ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())
        for conn in connections.all():
            # Never the real database: its rows would stay, and be flushed.
            name = str(conn.settings_dict["NAME"])
            assert in_memory(conn) if conn.vendor == "sqlite" else "test" in name, name
        # What the root conftest sets per test, for this module's data.
        stack.enter_context(
            override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
                CACHES={
                    "default": {
                        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                        "LOCATION": "design-pages",
                    }
                },
                STATIC_ROOT=static_root,
                WHITENOISE_USE_FINDERS=False,
                WHITENOISE_AUTOREFRESH=False,
                ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "localhost"],
            )
        )
        stack.callback(restore_databases, database_snapshots())
        call_command("collectstatic", interactive=False, verbosity=0)
        archive = _archive_with_a_scene_break()
        url = stack.enter_context(production_server())
        yield Served(url, archive)


@pytest.fixture(scope="module")
def site(served, chromium) -> Site:
    """Every page rendered once per width and theme."""
    if not AXE_JS.exists():
        tool_missing(f"axe-core is not installed ({INSTALL_HINT})")
    renderings, static, head_links = render_everything(
        chromium, served.url, design_pages(served.archive), served.archive.author
    )
    return Site(served.url, served.archive, renderings, static, head_links)


def _archive_with_a_scene_break() -> Archive:
    archive = build_archive()
    first = Chapter.objects.get(work=archive.saga, position=1)
    chapter_update(
        chapter=first,
        fields={"title": "Dusk", "body": FIRST_CHAPTER_BODY},
        version=first.version,
    )
    # A PDF whose build failed a moment ago: its page says so.
    saga = work_for_download(archive.saga.pk, None)
    assert saga is not None
    DownloadFile.objects.create(
        work=saga, extension="pdf", key=download_key(saga), state=DownloadState.FAILED
    )
    # A member brought in from an eFiction archive who has not claimed the account yet.
    unclaimed = User(username=UNCLAIMED, email="keeper@example.com", is_active=True)
    unclaimed.set_unusable_password()
    unclaimed.save()
    LegacyId.objects.create(kind="author", old_id="7", new_id=unclaimed.pk)
    return archive


# -- what every rendering must show -----------------------------------------


def test_every_page_renders_with_the_status_and_parts_it_should(site):
    wrong = []
    for r in site.renderings:
        if r.error:
            wrong.append(f"{r}: {r.error}")
            continue
        if r.status != r.page.status:
            wrong.append(f"{r}: answered {r.status}, expected {r.page.status}")
        if r.missing:
            wrong.append(f"{r}: nothing on the page matches {', '.join(r.missing)}")
    assert not wrong, report(wrong, "pages that did not render as expected")


def test_every_page_passes_axe_wcag_22_aa_in_both_themes_and_widths(site):
    lines = []
    for r in site.renderings:
        for v in r.axe:
            lines.append(f"{r}: [{v['impact']}] {v['id']}: {v['help']}")
            for node in v["nodes"]:
                lines.append(f"    {node['target']}: {' '.join(node['summary'].split())}")
    assert not lines, report(lines, "axe-core (WCAG 2.2 AA) violations")


def test_no_console_errors_and_no_failed_requests(site):
    lines = [f"{r}: {problem}" for r in site.renderings for problem in dict.fromkeys(r.problems)]
    assert not lines, report(lines, "console errors and failed requests")


def test_no_page_scrolls_sideways_on_a_phone(site):
    lines = [
        f"{r}: {r.overflow}px wider than the screen"
        for r in site.renderings
        if r.variant.size == "phone" and r.overflow > 0
    ]
    assert not lines, report(lines, "pages that scroll sideways")


def test_checkboxes_and_radio_buttons_are_big_enough_to_tap(site):
    lines = [f"{r}: {control}" for r in site.renderings for control in r.small_controls]
    assert not lines, report(lines, "controls under 24 x 24 px")


def test_every_page_is_in_the_theme_asked_for(site):
    """A guest's theme setting wins over the device's colour scheme; a
    member's "auto" follows it (see Tab)."""
    lines = []
    for r in site.renderings:
        luminance = r.background_luminance
        if r.error:
            continue
        if luminance is None:
            lines.append(f"{r}: no background colour on <body> or <html>")
        elif r.variant.theme == "dark" and luminance > 0.05:
            lines.append(f"{r}: background too light for dark (luminance {luminance:.2f})")
        elif r.variant.theme == "light" and luminance < 0.6:
            lines.append(f"{r}: background too dark for light (luminance {luminance:.2f})")
    assert not lines, report(lines, "pages in the wrong theme")


def test_every_page_has_a_full_page_screenshot_per_width_and_theme(site):
    lines = []
    for r in site.renderings:
        if r.error:
            continue
        shot = r.screenshot
        if shot is None or not shot.exists():
            lines.append(f"{r}: no screenshot")
            continue
        width, height = struct.unpack(">II", shot.read_bytes()[16:24])
        if width != r.variant.width or height < 200:
            lines.append(f"{r}: {shot.name} is {width}x{height}")
    assert not lines, report(lines, "screenshots")


def test_every_page_is_valid_html_to_the_nu_checker(site, tmp_path):
    """The markup is the same at every width, so each page is checked once per
    theme (one Java process for all of them)."""
    names: dict[str, str] = {}
    seen: set[str] = set()
    for r in site.renderings:
        digest = hashlib.sha256(r.html.encode()).hexdigest()
        if r.error or r.variant.size != "desktop" or digest in seen:
            continue
        seen.add(digest)
        path = tmp_path / f"{r.page.name}-{r.variant.theme}.html"
        path.write_text(r.html)
        names[path.name] = f"{r.page.name} ({r.page.path}) in {r.variant.theme}"
    assert names, "no page rendered"
    lines = []
    for message in nu_checker_errors(tmp_path / name for name in names):
        name = names.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url"))
        extract = " ".join((message.get("extract") or "").split())
        lines.append(f"{name}, line {message.get('lastLine')}: {message['message']}\n    {extract}")
    assert not lines, report(lines, "Nu HTML Checker errors")


# -- static files, as served in production ------------------------------------


def test_css_js_and_icons_have_hashed_names_and_long_cache_headers(site, chromium):
    static = dict(site.static)
    context = chromium.new_context(base_url=site.url)
    try:
        links = []
        for link, rel in site.head_links.items():
            if rel == "manifest":
                # The manifest is a page (it names the site); its icons are files.
                icons = context.request.get(link).json().get("icons") or []
                links += [urljoin(link, icon["src"]) for icon in icons]
            else:
                links.append(link)
        for link in links:
            response = context.request.get(link)
            static[urlsplit(link).path] = (
                response.status,
                response.headers.get("cache-control", ""),
            )
    finally:
        context.close()
    kinds = {Path(path).suffix for path in static}
    assert ".css" in kinds, f"no stylesheet was loaded: {static}"
    lines = []
    for path, (status, cache_control) in sorted(static.items()):
        max_age = re.search(r"max-age=(\d+)", cache_control)
        if status != 200:
            lines.append(f"{path}: status {status}")
        if not HASHED_NAME.search(path):
            lines.append(f"{path}: no content hash in the file name")
        if not max_age or int(max_age.group(1)) < ONE_YEAR:
            lines.append(f"{path}: Cache-Control {cache_control!r}, wanted max-age >= 1 year")
    assert not lines, report(lines, "static files")


def test_favicon_and_home_screen_icons_are_served(site, chromium):
    """What browsers and phones ask for without a link (/favicon.ico,
    /apple-touch-icon.png), the icons the pages link, and the icons the web
    app manifest names."""
    context = chromium.new_context(base_url=site.url)
    try:
        urls = [urljoin(site.url, "/favicon.ico"), urljoin(site.url, "/apple-touch-icon.png")]
        lines = []
        for link, rel in sorted(site.head_links.items()):
            if rel != "manifest":
                urls.append(link)
                continue
            response = context.request.get(link)
            try:
                icons = response.json().get("icons") or []
            except ValueError:
                lines.append(f"{link}: the manifest is not JSON ({response.status})")
                continue
            if not icons:
                lines.append(f"{link}: the manifest names no icons")
            urls += [urljoin(link, icon["src"]) for icon in icons]
        for url in urls:
            response = context.request.get(url)
            kind = response.headers.get("content-type", "")
            if response.status != 200 or not kind.startswith("image/"):
                lines.append(f"{urlsplit(url).path}: {response.status} {kind}")
    finally:
        context.close()
    assert site.head_links, "the pages link no icons"
    assert not lines, report(lines, "icons")


# -- reading comfort and keyboard use ----------------------------------------


def test_story_text_defaults_are_comfortable_on_a_desktop(served, chromium):
    """About 65 to 75 characters a line (60 to 80 allowed: counted on the
    first line of a long paragraph as the browser lays it out) and a line
    height of 1.5 or more, with no reader settings chosen."""
    context = chromium.new_context(base_url=served.url, **SIZES["desktop"])
    try:
        tab = context.new_page()
        tab.goto(served.archive.saga.get_absolute_url())
        measure = tab.get_by_text("The lamps were lit one by one").first.evaluate(
            """(p) => {
                const text = p.firstChild;
                const range = document.createRange();
                let top = null;
                let first_line = 0;
                for (let i = 0; i < text.length; i++) {
                    range.setStart(text, i);
                    range.setEnd(text, i + 1);
                    const box = range.getClientRects()[0];
                    if (!box) continue;
                    top ??= box.top;
                    if (box.top > top + 2) break;
                    first_line++;
                }
                const style = getComputedStyle(p);
                return {
                    perLine: first_line,
                    whole: text.length,
                    leading: parseFloat(style.lineHeight) / parseFloat(style.fontSize),
                };
            }"""
        )
    finally:
        context.close()
    assert measure["perLine"] < measure["whole"], "the test paragraph fits on one line"
    assert 60 <= measure["perLine"] <= 80, f"{measure['perLine']} characters on a line"
    assert measure["leading"] >= 1.5, f"line height {measure['leading']:.2f}"


@pytest.mark.parametrize("theme", THEMES)
def test_every_control_shows_keyboard_focus(served, chromium, theme):
    """Tab through a reading page, a list and the posting form: each control
    the focus lands on has an outline (2px or more) or a focus ring."""
    archive = served.archive
    pages = {
        archive.second_chapter.get_absolute_url(): None,
        reverse("works_latest"): None,
        reverse("work_new"): archive.author,
    }
    unseen = []
    for path, user in pages.items():
        tab = Tab(chromium, served.url, Variant("desktop", theme), user, {})
        try:
            tab.page.goto(path)
            stops = tab.page.eval_on_selector_all(
                "a[href], button, input:not([type=hidden]), select, textarea, summary",
                "(all) => all.filter((element) => element.checkVisibility()).length",
            )
            for _ in range(stops):
                tab.page.keyboard.press("Tab")
                focus = tab.page.evaluate(FOCUS_SHOWN)
                if focus is not None and not focus["shown"]:
                    unseen.append(f"{path} in {theme}: {focus['what']}")
        finally:
            tab.page.context.close()
    assert not unseen, report(unseen, "controls with no visible focus")


# -- the "done when": a phone at night --------------------------------


def test_reader_on_a_phone_at_night_reads_a_chapter_then_larger_serif_and_the_entire_work(
    served, chromium
):
    archive = served.archive
    context = chromium.new_context(base_url=served.url, color_scheme="dark", **SIZES["phone"])
    context.set_default_timeout(5_000)
    try:
        tab = context.new_page()
        tab.goto(archive.second_chapter.get_absolute_url())
        assert tab.evaluate(BACKGROUND_LUMINANCE) < 0.05, "a dark device got a light page"
        before = text_style(tab, "The fog rolled in over the harbour.")
        assert before["top"] + before["leading"] <= before["screen"], (
            f"the chapter text starts at {before['top']:.0f}px, below the first screen "
            f"({before['screen']}px)"
        )

        apply_reader_settings(tab, {"Font": "Sans serif"})
        sans = text_style(tab, "The fog rolled in over the harbour.")
        assert generic_family(sans["family"]) == "sans-serif", sans["family"]

        apply_reader_settings(tab, {"Font": "Serif", "Text size": "Largest"})
        assert urlsplit(tab.url).path == archive.second_chapter.get_absolute_url()
        larger = text_style(tab, "The fog rolled in over the harbour.")
        assert larger["size"] > before["size"], (before["size"], larger["size"])
        assert generic_family(larger["family"]) == "serif", larger["family"]
        assert tab.evaluate(BACKGROUND_LUMINANCE) < 0.05

        apply_reader_settings(tab, {"Show a work": "Entire work"})
        tab.goto(archive.saga.get_absolute_url())
        for text in ("Ada counted", "The fog rolled in", "The end."):
            assert tab.get_by_text(text, exact=False).first.is_visible(), text

        # The next work page keeps all of it.
        tab.goto(archive.oneshot.get_absolute_url())
        kept = text_style(tab, "The first chapter, in a few words.")
        assert kept["size"] == larger["size"]
        assert generic_family(kept["family"]) == "serif"
        assert tab.evaluate(BACKGROUND_LUMINANCE) < 0.05
    finally:
        context.close()
