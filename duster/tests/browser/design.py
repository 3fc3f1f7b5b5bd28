"""The machinery of test_design_pages: a live server that serves static
files as in production, and a browser tab that renders a page and keeps what
a reader would meet there (axe-core's findings, console errors, failed
requests, the theme, a screenshot)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.test import Client
from django.test.testcases import LiveServerThread

from duster.accounts.models import User
from duster.lib.reader import COOKIE_NAME, ReaderSettings
from duster.tests.browser import AXE_JS, sideways_overflow
from duster.tests.browser.conftest import SIZES

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
THEMES = ("light", "dark")
OTHER_THEME = {"light": "dark", "dark": "light"}


@dataclass(frozen=True)
class DesignPage:
    name: str  # in the screenshot's file name
    path: str
    as_author: bool = False
    status: int = 200
    # A button pressed after loading (the form sent as it is, to see the
    # page that comes back), optionally without the CSRF cookie.
    press: str = ""
    drop_csrf_cookie: bool = False
    # What must be on it besides the site's header (CSS selectors).
    shows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    size: str  # "phone" or "desktop", as in conftest.SIZES
    theme: str

    @property
    def width(self) -> int:
        return SIZES[self.size]["viewport"]["width"]

    def __str__(self) -> str:
        return f"{self.width}px {self.theme}"


VARIANTS = [Variant(size, theme) for size in ("phone", "desktop") for theme in THEMES]


@dataclass
class Rendering:
    page: DesignPage
    variant: Variant
    status: int = 0
    html: str = ""
    error: str = ""  # the page could not be rendered at all
    missing: list[str] = field(default_factory=list)  # selectors of DesignPage.shows
    small_controls: list[str] = field(default_factory=list)  # checkboxes, radios under 24px
    axe: list[dict] = field(default_factory=list)
    overflow: int = 0
    background_luminance: float | None = None
    problems: list[str] = field(default_factory=list)  # console errors, failed requests
    screenshot: Path | None = None

    def __str__(self) -> str:
        return f"{self.page.name} ({self.page.path}) at {self.variant}"


# Every page is in the site's layout: its header links home. An error page
# also offers a way back in its own text.
SITE_HEADER = "header a[href='/']"
WAY_BACK = "main a[href='/']"


@contextmanager
def production_server() -> Iterator[str]:
    """A live server whose static files come from WhiteNoise, as in `make run`."""
    overrides = {conn.alias: conn for conn in connections.all() if in_memory(conn)}
    for conn in overrides.values():
        conn.inc_thread_sharing()
    thread = LiveServerThread(
        "localhost",
        # No test handler for static files: the site's WhiteNoise serves them.
        static_handler=lambda app: app,  # type: ignore[arg-type]
        connections_override=overrides,
    )
    thread.daemon = True
    thread.start()
    try:
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()
        for conn in overrides.values():
            conn.dec_thread_sharing()


def in_memory(conn: BaseDatabaseWrapper) -> bool:
    return isinstance(conn, SQLiteDatabaseWrapper) and conn.is_in_memory_db()


def database_snapshots() -> dict[str, str]:
    """What each test database holds now (what the migrations wrote), to put
    back with `restore_databases`."""
    return {alias: connections[alias].creation.serialize_db_to_string() for alias in connections}


def restore_databases(snapshots: dict[str, str]) -> None:
    """Empty the test databases and put the snapshots back, as Django's
    TransactionTestCase does with serialized_rollback."""
    for alias, contents in snapshots.items():
        call_command(
            "flush", database=alias, interactive=False, verbosity=0, inhibit_post_migrate=True
        )
        conn = connections[alias]
        conn.creation.deserialize_db_from_string(contents)
        # The rows came back with their ids: move PostgreSQL's sequences past
        # them, or the next insert would take an id that is in use.
        statements = conn.ops.sequence_reset_sql(no_style(), apps.get_models())
        if statements:
            with conn.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


def render_everything(chromium, url: str, pages: list[DesignPage], author: User):
    """Each page once per variant, as a guest or as `author`; with the static
    files the pages loaded (path -> status, Cache-Control) and the icon and
    manifest links in their heads (URL -> rel)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    renderings: list[Rendering] = []
    static: dict[str, tuple[int, str]] = {}
    head_links: dict[str, str] = {}
    for variant in VARIANTS:
        tabs = {
            as_author: Tab(chromium, url, variant, author if as_author else None, static)
            for as_author in (False, True)
        }
        try:
            for design_page in pages:
                tab = tabs[design_page.as_author]
                renderings.append(tab.render(design_page))
                if not renderings[-1].error:
                    head_links.update(tab.page.eval_on_selector_all(HEAD_LINKS, HREFS))
        finally:
            for tab in tabs.values():
                tab.page.context.close()
    return renderings, static, head_links


HEAD_LINKS = "link[rel~=icon], link[rel=apple-touch-icon], link[rel=manifest]"
HREFS = "(links) => links.map((link) => [link.href, link.rel])"


class Tab:
    """A page in a fresh context, in the variant's theme. A member keeps the
    default theme, "auto", on a device in the variant's colour scheme; a guest
    chooses the theme in the reader settings (the `duster_reader` cookie) on a
    device set the other way, so the choice must win over the device. It
    notes the console errors and failed requests of the rendering under way,
    and the static files it loads."""

    def __init__(self, chromium, url: str, variant: Variant, user, static: dict) -> None:
        self.variant = variant
        self.static = static
        self.current: Rendering | None = None
        device = variant.theme if user is not None else OTHER_THEME[variant.theme]
        context = chromium.new_context(base_url=url, color_scheme=device, **SIZES[variant.size])
        context.set_default_timeout(5_000)
        # Injected by the browser itself, so the site's CSP stays in force.
        context.add_init_script(path=str(AXE_JS))
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": url}])
        else:
            value = ReaderSettings(theme=variant.theme).as_cookie()
            context.add_cookies([{"name": COOKIE_NAME, "value": value, "url": url}])
        self.page = context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self._problem(f"script error: {error}"))
        self.page.on("requestfailed", lambda req: self._problem(f"request failed: {req.url}"))
        self.page.on("response", self._on_response)

    def _problem(self, text: str) -> None:
        if self.current is not None:
            self.current.problems.append(text)

    def _on_console(self, message) -> None:
        # Failed loads are reported by _on_response, with the status and URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self._problem(f"console error: {message.text}")

    def _on_response(self, response) -> None:
        path = urlsplit(response.url).path
        if path.startswith(f"/{settings.STATIC_URL.strip('/')}/"):
            self.static[path] = (response.status, response.headers.get("cache-control", ""))
        if response.status >= 400 and not response.request.is_navigation_request():
            self._problem(f"{response.status} for {path}")

    def render(self, design_page: DesignPage) -> Rendering:
        rendering = self.current = Rendering(design_page, self.variant)
        page = self.page
        try:
            response = page.goto(design_page.path)
            if design_page.press:
                if design_page.drop_csrf_cookie:
                    page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
                button = page.get_by_role("button", name=design_page.press, exact=True)
                # The server's answer to the form as it is, not the browser's
                # own check of required fields.
                button.evaluate("(button) => { if (button.form) button.form.noValidate = true; }")
                with page.expect_navigation() as navigation:
                    button.click()
                response = navigation.value
            page.wait_for_load_state("load")
            assert response is not None
            rendering.status = response.status
            rendering.html = response.text()
            rendering.missing = [
                part for part in (SITE_HEADER, *design_page.shows) if not page.locator(part).count()
            ]
            rendering.axe = axe_violations(page)
            rendering.overflow = sideways_overflow(page)
            rendering.small_controls = page.evaluate(SMALL_CONTROLS)
            rendering.background_luminance = page.evaluate(BACKGROUND_LUMINANCE)
            shot = SCREENSHOTS / f"{design_page.name}-{self.variant.width}-{self.variant.theme}.png"
            page.screenshot(path=shot, full_page=True)
            rendering.screenshot = shot
        except Exception as error:
            # Reported by test_every_page_renders_with_the_status_and_parts_it_should.
            rendering.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        finally:
            self.current = None
        return rendering


def axe_violations(tab) -> list[dict]:
    return tab.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 4).map((n) => ({
                    target: n.target.join(" "), summary: n.failureSummary,
                })),
            }));
        }""",
        AXE_TAGS,
    )


# Checkboxes and radio buttons drawn smaller than 24 x 24 CSS px (the
# browser's own are 13).
SMALL_CONTROLS = """() => [...document.querySelectorAll("input[type=checkbox], input[type=radio]")]
    .filter((input) => input.checkVisibility())
    .map((input) => [input, input.getBoundingClientRect()])
    .filter(([, box]) => box.width < 24 || box.height < 24)
    .map(([input, box]) => `${input.type} ${input.id || input.name}: ${box.width}x${box.height}`)
"""

# The relative luminance (WCAG) of the page's background: body's, else the
# root's; a canvas turns any CSS colour syntax into sRGB bytes.
BACKGROUND_LUMINANCE = """() => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 1;
    const paint = canvas.getContext("2d", {willReadFrequently: true});
    for (const element of [document.body, document.documentElement]) {
        const colour = getComputedStyle(element).backgroundColor;
        paint.clearRect(0, 0, 1, 1);
        paint.fillStyle = colour;
        paint.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = paint.getImageData(0, 0, 1, 1).data;
        if (a === 0) continue;
        const linear = (c) => {
            c /= 255;
            return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    }
    return null;
}"""


def report(lines: list[str], what: str) -> str:
    return f"{what}:\n" + "\n".join(lines)


FOCUS_SHOWN = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const ring = style.boxShadow !== "none";
    const name = (element.getAttribute("aria-label") || element.textContent || element.name
        || element.id || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const kind = element.type ? `[type=${element.type}]` : "";
    // A date field's own parts (its calendar button) take focus without
    // matching :focus-visible on the field.
    const part = element.matches(":focus-visible") ? "" : " (a part of it)";
    return {shown: outline || ring, what: `${element.tagName.toLowerCase()}${kind} "${name}"${part}`};
}"""


# -- helpers of the reader journey -------------------------------------------


def text_style(tab, text: str) -> dict[str, Any]:
    paragraph = tab.get_by_text(text, exact=False).first
    return paragraph.evaluate(
        """(p) => {
            const style = getComputedStyle(p);
            const box = p.getBoundingClientRect();
            const size = parseFloat(style.fontSize);
            const leading = parseFloat(style.lineHeight) || size * 1.5;
            return {top: box.top + window.scrollY, size: size, leading: leading,
                    family: style.fontFamily, screen: window.innerHeight};
        }"""
    )


def generic_family(family: str) -> str:
    return family.split(",")[-1].strip().strip("\"'")


def apply_reader_settings(tab, choices: dict[str, str]) -> None:
    """Open "Reader settings" on the page, choose by label, and send."""
    summary = tab.locator("details > summary", has_text="Reader settings").first
    summary.click()
    form = tab.locator("form", has=tab.get_by_label("Text size", exact=True)).first
    for setting, option in choices.items():
        control = form.get_by_label(setting, exact=True)
        if control.count():
            control.select_option(label=option)
        else:
            form.get_by_role("group", name=setting).get_by_label(option, exact=True).check()
    with tab.expect_navigation():
        form.locator("button[type=submit], input[type=submit]").last.click()
