"""Searching in Chromium: the sidebar folded above the results on a phone,
open beside them on a desktop; filters, facets and tag suggestions."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from duster.tags.models import Tag
from duster.tags.wrangling.services import tag_make_canonical
from duster.testing.factories import make_user, make_work
from duster.tests.browser import sideways_overflow

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.browser


@pytest.fixture
def shelf(transactional_db):
    writer = make_user("writer")
    make_work(writer, title="Harbour Lights", freeforms=["Fluff"], relationships=["Ada/Bram"])
    make_work(writer, title="Moth Wings", freeforms=["Angst"], expected_chapters=None)
    make_work(writer, title="Quiet Lamps", freeforms=["Fluff", "Angst"], expected_chapters=None)


def listed(page) -> list[str]:
    return page.locator(".blurb .heading > a").all_inner_texts()


def test_on_a_phone_the_filters_fold_above_the_results(open_page, shelf):
    page = open_page("phone")
    page.goto("/works/")
    filters = page.locator("details.search-filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.get_by_role("heading", name="3 works found")).to_be_visible()
    page.get_by_text("Filter and sort").click()
    page.get_by_label("Include tags").fill("Fluff")
    page.get_by_label("Complete works only").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert parse_qs(urlsplit(page.url).query) == {"include": ["Fluff"], "complete": ["1"]}
    expect(page.get_by_role("heading", name="1 work found")).to_be_visible()
    assert listed(page) == ["Harbour Lights"]
    assert sideways_overflow(page) <= 0, "the search page scrolls sideways on a phone"


def test_on_a_phone_a_facet_leaves_a_tag_out(open_page, shelf):
    page = open_page("phone")
    page.goto("/works/search")
    expect(page.locator("details.search-filters")).to_have_attribute("open", "")
    page.get_by_text("Narrow by tag").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Leave out Angst").click()
    assert listed(page) == ["Harbour Lights"]
    assert sideways_overflow(page) <= 0


def test_on_a_desktop_the_sidebar_stays_open_beside_the_results(open_page, shelf):
    page = open_page("desktop")
    page.goto("/works/")
    include = page.get_by_label("Include tags")
    expect(include).to_be_visible()
    facet = page.locator(".facets").get_by_role("link", name="Ada/Bram", exact=True)
    expect(facet).to_be_visible()
    sidebar = page.locator(".sidebar").bounding_box()
    results = page.locator(".results").bounding_box()
    assert sidebar and results and sidebar["x"] + sidebar["width"] <= results["x"]
    with page.expect_navigation():
        facet.click()
    assert listed(page) == ["Harbour Lights"]
    expect(include).to_have_value("Ada/Bram")
    expect(page.get_by_role("link", name=re.compile("Atom feed"))).to_have_attribute(
        "href", "/works/search.atom?include=Ada%2FBram"
    )


def test_the_include_box_suggests_canonical_tags_of_any_type(open_page, shelf):
    tag_make_canonical(actor=None, tags=list(Tag.objects.filter(name__in=["Fluff", "Ada/Bram"])))
    page = open_page("desktop")
    page.goto("/works/search")
    include = page.get_by_label("Include tags")
    include.fill("Angst, flu")
    option = page.get_by_role("option", name="Fluff")
    expect(option).to_be_visible()
    option.click()
    expect(include).to_have_value("Angst, Fluff, ")
    include.fill("ada")
    expect(page.get_by_role("option", name="Ada/Bram")).to_be_visible()
