"""Chromium for the browser tests, pages at phone and desktop size, and a
small archive to look at."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from pytest_django.live_server_helper import LiveServer

from duster.accounts.models import User
from duster.testing.factories import make_series, make_user, make_work
from duster.tests.browser import tool_missing
from duster.works.models import Chapter, Series, Work
from duster.works.services.chapters import chapter_create

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make next to it are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole run; every test gets fresh contexts."""
    if not CHROMIUM.exists():
        tool_missing("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class _OneRequestAtATime(LiveServerThread):
    """The live server, answering one request at a time. The tests' SQLite
    database is in memory, so the server's threads share the tests' one
    connection: two requests at once (a page and a script's fetch) used it
    together, and SQLite failed one ("bad parameter or other API misuse")."""

    def _create_server(self, connections_override=None):
        # Requests are answered in this thread, whose connections are already
        # the tests' (LiveServerThread.run).
        return WSGIServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
        )


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server (it keeps the database handling that goes
    with the name), with `_OneRequestAtATime` as its thread."""
    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    threaded = server.thread
    server.thread = _OneRequestAtATime(
        threaded.host,
        static_handler=threaded.static_handler,
        connections_override=threaded.connections_override,
        port=threaded.port,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


@pytest.fixture
def open_page(chromium, live_server):
    """open_page("phone" | "desktop", user=None, bypass_csp=False) -> a Page
    on the live server, logged in as `user` when one is given."""
    contexts = []

    def open_page(size: str = "phone", *, user=None, bypass_csp: bool = False):
        context = chromium.new_context(
            base_url=live_server.url, bypass_csp=bypass_csp, **SIZES[size]
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies(
                [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
            )
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@dataclass
class Archive:
    author: User
    reader: User
    saga: Work
    second_chapter: Chapter
    adult: Work
    oneshot: Work
    series: Series


@pytest.fixture
def archive(db) -> Archive:
    return build_archive()


def build_archive() -> Archive:
    """An author with a three-chapter work full of notes and tags, an
    Explicit work, a one-shot, and a series holding two of them."""
    author = make_user("inkwell")
    reader = make_user("reader")
    saga = make_work(
        author,
        title="The Lamplighter's Daughter",
        expected_chapters=None,
        fandoms=("Lamplighter Chronicles", "Harbour Tales"),
        relationships=("Ada/Bea",),
        characters=("Ada", "Bea"),
        freeforms=("Slow Burn", "Found Family"),
        rating="teen",
        warnings=["violence"],
        categories=["ff", "gen"],
        summary="<p>Ada keeps the lamps; Bea keeps <em>secrets</em>.</p>",
        notes="<p>Written for the winter exchange.</p>",
        end_notes="<p>Thank you for reading.</p>",
    )
    second_chapter = chapter_create(
        work=saga,
        fields={
            "title": "The Harbour",
            "summary": "<p>Fog comes in.</p>",
            "notes": "<p>A short one.</p>",
            "end_notes": "<p>More soon.</p>",
            "body": "<p>The fog rolled in over the harbour.</p><hr><p>Later, the lamps.</p>",
        },
    )
    chapter_create(work=saga, fields={"title": "Lights Out", "body": "<p>The end.</p>"})
    adult = make_work(author, title="After Midnight", rating="explicit", warnings=["no_warn"])
    oneshot = make_work(author, title="A Missing Scene", freeforms=("Missing Scene",))
    series = make_series(author, works=[oneshot, saga], title="Lamps and Harbours")
    saga.refresh_from_db()
    return Archive(author, reader, saga, second_chapter, adult, oneshot, series)
