"""The journeys a new user takes, in Chromium at phone size: sign up, post a
work in chapters with notes, read it back, and put works into a series in
an order of their own. Nothing here needs JavaScript from the site."""

import re

import pytest

from duster.testing.factories import make_user, make_work
from duster.tests.browser import sideways_overflow

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.browser


def assert_fits(page):
    excess = sideways_overflow(page)
    assert excess <= 0, f"{page.url} scrolls sideways by {excess}px on a phone"


def press(page, name: str):
    """Press a button and wait for the page the form sends us to."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def field(scope, label: str):
    """The form control with this label (Django adds a colon to most labels)."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}:?\s*$"))


def post_work(page, *, title: str, text: str, choices=(), select=None, fill=None):
    """Fill the open posting form by its labels and press Post. `choices` are
    the labels of checkboxes to tick, `select` and `fill` map the labels of
    drop-down lists and text fields to what to choose or type."""
    for label in choices or ["No Archive Warnings Apply"]:
        field(page, label).check()
    for label, option in {"Rating": "General Audiences", **(select or {})}.items():
        field(page, label).select_option(label=option)
    fill = {"Fandoms": "Lamplighter Chronicles", **(fill or {}), "Title": title}
    for label, value in fill.items():
        field(page, label).fill(value)
    field(page, "Chapter text").fill(text)
    press(page, "Post")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def test_new_user_signs_up_posts_a_work_in_chapters_and_reads_it_on_a_phone(open_page, mailoutbox):
    page = open_page("phone")

    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    field(page, "Username").fill("lamplighter")
    field(page, "Email address").fill("lamplighter@example.com")
    field(page, "Password").fill("tall-ships-at-dusk")
    field(page, "Password confirmation").fill("tall-ships-at-dusk")
    press(page, "Create account")
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    assert len(mailoutbox) == 1
    found = re.search(r"https?://\S+/account/activate/\S+/", mailoutbox[0].body)
    assert found
    link = found.group(0)
    page.goto(link)
    expect(page.get_by_text("Your account is confirmed")).to_be_visible()

    page.get_by_role("link", name="Post a work").click()
    assert_fits(page)
    post_work(
        page,
        title="The Lamplighter's Daughter",
        text="The lamps were lit one by one.\n\n* * *\n\nAda climbed the last tower.",
        choices=["No Archive Warnings Apply", "F/F"],
        select={"Rating": "Teen And Up Audiences", "Text format": "Plain text"},
        fill={
            "Fandoms": "Lamplighter Chronicles, Harbour Tales",
            "Relationships": "Ada/Bea",
            "Characters": "Ada, Bea",
            "Additional tags": "Slow Burn, Found Family",
            "Summary": "Ada keeps the lamps.",
            "Beginning notes": "Written for the winter exchange.",
            "End notes": "Thank you for reading!",
            "Expected number of chapters": "2",
            "Chapter title": "Dusk",
        },
    )
    expect(page.get_by_text("Your work was posted.")).to_be_visible()
    expect(page.locator(".work.meta dd.chapters")).to_have_text("1/2")
    notes = page.get_by_role("region", name="Notes", exact=True)
    expect(notes).to_contain_text("Written for the winter exchange.")
    expect(notes).to_contain_text("See the end of the work for more notes")
    expect(page.locator("#chapters hr")).to_have_count(1)
    assert_fits(page)

    page.get_by_role("link", name="Add chapter").click()
    assert_fits(page)
    field(page, "Chapter title").fill("Dawn")
    field(page, "Beginning notes").fill("The short one.")
    field(page, "Chapter text").fill("<p>Morning came over the harbour.</p>")
    press(page, "Post chapter")
    expect(page.get_by_role("heading", name="Chapter 2: Dawn")).to_be_visible()
    expect(page.locator(".work.meta dd.chapters")).to_have_text("2/2")
    expect(page.locator("#chapters > section > .userstuff")).to_have_text(
        "Morning came over the harbour."
    )
    expect(page.locator("#chapters .notes")).to_contain_text("The short one.")
    expect(page.locator("#work_endnotes")).to_contain_text("Thank you for reading!")
    assert_fits(page)

    # Chapter by chapter: the first chapter alone, its end notes one click away.
    page.get_by_role("link", name="← Previous chapter").first.click()
    expect(page.get_by_role("heading", name="Chapter 1: Dusk")).to_be_visible()
    expect(page.locator("#chapters")).to_contain_text("Ada climbed the last tower.")
    expect(page.locator("#chapters")).not_to_contain_text("Morning came")
    expect(page.locator("#work_endnotes")).to_have_count(0)
    expect(page.get_by_role("link", name="Next chapter →")).to_have_count(2)
    assert_fits(page)
    page.get_by_role("link", name="more notes").click()
    expect(page.get_by_role("heading", name="Chapter 2: Dawn")).to_be_visible()
    expect(page.locator("#work_endnotes")).to_be_in_viewport()

    page.get_by_role("link", name="Entire work").first.click()
    expect(page.locator("#chapters > section")).to_have_count(2)
    expect(page.locator("#chapters")).to_contain_text("Ada climbed the last tower.")
    expect(page.locator("#chapters")).to_contain_text("Morning came over the harbour.")
    expect(page.locator("#work_endnotes")).to_contain_text("Thank you for reading!")
    assert_fits(page)

    page.get_by_role("link", name="Chapter index").first.click()
    expect(page.locator("ol.chapter.index li")).to_have_text(
        [re.compile(r"^1\. Dusk"), re.compile(r"^2\. Dawn")]
    )
    assert_fits(page)


def test_author_puts_three_works_into_a_series_in_their_own_order_on_a_phone(open_page):
    author = make_user("scenekeeper")
    page = open_page("phone", user=author)
    for title in ("Posted First", "Posted Second", "Posted Third"):
        page.goto("/works/new")
        post_work(page, title=title, text=f"<p>The text of {title}.</p>")

    page.goto(f"/users/{author.username}/")
    page.get_by_role("link", name="Start a series").click()
    field(page, "Title").fill("Missing Scenes")
    press(page, "Create series")
    expect(page.get_by_role("heading", name="Reading order")).to_be_visible()

    def add(title: str, position: str = ""):
        field(page, "Work").select_option(label=title)
        field(page, "Position").fill(position)
        press(page, "Add to series")
        expect(page.get_by_text(f"“{title}” was added to the series.")).to_be_visible()

    # Each added at a place of its own: not last, not in posting order.
    add("Posted First")
    add("Posted Third", "1")
    add("Posted Second", "2")
    positions = page.locator("form.positions")
    expect(positions.locator("label")).to_have_text(
        ["Posted Third", "Posted Second", "Posted First"]
    )
    assert_fits(page)

    # Then the numbers form: First to the front, the rest after it.
    field(positions, "Posted First").fill("1")
    field(positions, "Posted Third").fill("2")
    field(positions, "Posted Second").fill("3")
    press(page, "Save the order")
    expect(positions.locator("label")).to_have_text(
        ["Posted First", "Posted Third", "Posted Second"]
    )

    page.get_by_role("link", name="Missing Scenes").first.click()
    reading_order = ["Posted First", "Posted Third", "Posted Second"]
    expect(page.locator(".series.work.index .blurb h3 > a")).to_have_text(reading_order)
    assert_fits(page)

    # Walk the series with its own links, part by part.
    page.get_by_role("link", name="Posted First").click()
    series_nav = page.get_by_role("navigation", name="Series: Missing Scenes", exact=True)
    for part, title in enumerate(reading_order, start=1):
        expect(page.locator("#work-title")).to_have_text(title)
        expect(page.locator("dd.series")).to_have_text(f"Part {part} of Missing Scenes")
        expect(series_nav).to_contain_text(f"Part {part} of Missing Scenes")
        expect(series_nav.get_by_role("link", name="← Previous work")).to_have_count(
            0 if part == 1 else 1
        )
        assert_fits(page)
        if part < len(reading_order):
            series_nav.get_by_role("link", name="Next work →").click()
    expect(series_nav.get_by_role("link", name="Next work →")).to_have_count(0)
    series_nav.get_by_role("link", name="← Previous work").click()
    expect(page.locator("#work-title")).to_have_text("Posted Third")

    lists = {
        "/works/": "Posted Second",
        f"/users/{author.username}/works": "Posted Second",
        f"/users/{author.username}/series": "Missing Scenes",
    }
    for path, text in lists.items():
        page.goto(path)
        expect(page.locator("main")).to_contain_text(text)
        assert_fits(page)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_first_tab_reaches_the_skip_link_and_it_moves_focus_to_main(size, open_page):
    work = make_work(make_user(), title="Skippable")
    page = open_page(size)
    for path in ("/", work.get_absolute_url()):
        page.goto(path)
        page.keyboard.press("Tab")
        skip = page.locator(":focus")
        expect(skip).to_have_text("Skip to content")
        box = skip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link is off screen"

        page.keyboard.press("Enter")
        expect(page.locator(":focus")).to_have_id("main")
        # The next Tab continues inside the page's content, past the header.
        page.keyboard.press("Tab")
        inside_main = page.evaluate(
            "document.querySelector('main').contains(document.activeElement)"
        )
        assert inside_main, "Tab after the skip link went back to the header"
