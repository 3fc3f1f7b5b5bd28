"""The reading pages in Chromium: on a 390 × 844 phone a later chapter's text
starts on the first screen, the first chapter's as high as its preface
allows; the chapter menu works with JavaScript off; a reader who chose the
entire work gets it. Each measured page is saved under var/screenshots/."""

from pathlib import Path

import pytest
from django.conf import settings

from duster.lib.reader import COOKIE_NAME
from duster.tests.browser import sideways_overflow
from duster.tests.browser.conftest import SIZES

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE_HEIGHT = SIZES["phone"]["viewport"]["height"]


def reader_page(chromium, live_server, size: str, *, reader: str = "", javascript=True):
    context = chromium.new_context(
        base_url=live_server.url, java_script_enabled=javascript, **SIZES[size]
    )
    context.set_default_timeout(10_000)
    if reader:
        context.add_cookies([{"name": COOKIE_NAME, "value": reader, "url": live_server.url}])
    return context.new_page()


def text_top(page) -> float:
    """Where the first line of the (first shown) chapter's text begins, in CSS px
    from the top of the page."""
    box = page.locator("#chapters .userstuff.module > *").first.bounding_box()
    assert box is not None
    return box["y"] + page.evaluate("window.scrollY")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reading-{name}.png"), full_page=True)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_later_chapter_starts_on_a_phones_first_screen(theme, archive, chromium, live_server):
    page = reader_page(chromium, live_server, "phone", reader=f"theme:{theme}")
    page.goto(archive.second_chapter.get_absolute_url())
    screenshot(page, f"chapter-390-{theme}")
    # The first line of text, not only its top edge, is on the first screen.
    assert text_top(page) + 40 < PHONE_HEIGHT
    assert sideways_overflow(page) <= 0
    # The work's details are one tap away.
    about = page.locator("details.work-about")
    assert not about.locator("dl.work.meta").is_visible()
    about.locator("summary").click()
    assert about.locator("dl.work.meta").is_visible()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_first_chapter_starts_within_the_preface_and_one_more_screen(
    theme, archive, chromium, live_server
):
    """The first page shows the whole preface (title, creators, warnings and
    tags, summary, notes), which the story follows directly; with a preface
    the size of the test archive's, reading starts on the second screen."""
    page = reader_page(chromium, live_server, "phone", reader=f"theme:{theme}")
    page.goto(archive.saga.get_absolute_url())
    screenshot(page, f"work-390-{theme}")
    preface = page.locator("article > header.preface").bounding_box()
    assert preface is not None
    assert text_top(page) - (preface["y"] + preface["height"]) < PHONE_HEIGHT / 3
    assert text_top(page) < 2 * PHONE_HEIGHT
    assert sideways_overflow(page) <= 0


def test_the_chapter_menu_works_without_javascript(archive, chromium, live_server):
    page = reader_page(chromium, live_server, "phone", javascript=False)
    page.goto(archive.saga.get_absolute_url())
    third = archive.saga.chapters.get(position=3)
    page.get_by_label("Go to chapter").select_option(str(third.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Go", exact=True).click()
    assert page.url == live_server.url + third.get_absolute_url()
    assert page.get_by_text("The end.").is_visible()


def test_a_reader_who_chose_the_entire_work_reads_it_and_can_go_back(
    archive, chromium, live_server
):
    page = reader_page(chromium, live_server, "desktop", reader="work:1&size:xl&font:sans")
    page.goto(archive.saga.get_absolute_url())
    screenshot(page, "entire-work-1280-light")
    assert page.locator("#chapters > section.chapter").count() == 3
    story = page.locator("#chapters .userstuff.module").first
    assert story.evaluate("e => getComputedStyle(e).fontSize") == "22.4px"  # 1.4rem
    with page.expect_navigation():
        page.get_by_role("link", name="Chapter by chapter").first.click()
    assert page.locator("#chapters > section.chapter").count() == 1


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_chapter_index_and_a_chapter_at_desktop_width(theme, archive, chromium, live_server):
    page = reader_page(chromium, live_server, "desktop", reader=f"theme:{theme}")
    page.goto(archive.second_chapter.get_absolute_url())
    screenshot(page, f"chapter-1280-{theme}")
    width = page.locator("#chapters .userstuff.module").first.bounding_box()
    assert width is not None and width["width"] < 1000  # a readable measure, not the window
    page.goto(f"/works/{archive.saga.pk}/navigate")
    screenshot(page, f"navigate-1280-{theme}")
    assert page.locator("ol.chapter.index > li").count() == 3


def test_a_phone_reader_at_night_switches_to_larger_serif_text_and_the_entire_work(
    archive, chromium, live_server
):
    """The issue's journey: dark theme, a later chapter, the reader settings on
    the page itself, then the whole work in the chosen type, without JavaScript."""
    page = reader_page(
        chromium, live_server, "phone", reader="theme:dark&font:sans", javascript=False
    )
    page.goto(archive.second_chapter.get_absolute_url())
    assert text_top(page) + 40 < PHONE_HEIGHT
    panel = page.locator("details.reader-panel")
    panel.locator("summary").click()
    panel.get_by_label("Font").select_option("serif")
    panel.get_by_label("Text size").select_option("l")
    panel.get_by_label("Show a work").select_option("1")
    with page.expect_navigation():
        panel.get_by_role("button", name="Apply").click()
    assert page.url == live_server.url + archive.second_chapter.get_absolute_url()
    page.goto(archive.saga.get_absolute_url())
    screenshot(page, "entire-work-390-dark")
    assert page.locator("html").get_attribute("data-theme") == "dark"
    assert page.locator("#chapters > section.chapter").count() == 3
    story = page.locator("#chapters .userstuff.module").first
    assert story.evaluate("e => getComputedStyle(e).fontSize") == "20px"  # 1.25rem
    assert "serif" in story.evaluate("e => getComputedStyle(e).fontFamily").lower()
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_blurbs_scan_well(size, archive, chromium, live_server):
    """Title and creators first with the symbols beside them, tags wrapped,
    the stats on one line."""
    page = reader_page(chromium, live_server, size)
    page.goto("/works/")
    screenshot(page, f"latest-{size}")
    assert sideways_overflow(page) <= 0
    blurb = page.locator(f"#work_{archive.saga.pk}")
    title = blurb.locator(".heading").bounding_box()
    symbols = blurb.locator(".required-tags").bounding_box()
    stats = blurb.locator("dl.stats")
    assert title is not None and symbols is not None
    assert symbols["x"] > title["x"] + title["width"] - 1  # beside, not below
    assert symbols["y"] < title["y"] + title["height"]
    line = stats.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    stats_box = stats.bounding_box()
    assert stats_box is not None and stats_box["height"] < 1.5 * line
