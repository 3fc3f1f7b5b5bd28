"""As-you-type tag suggestions on the posting form, in Chromium."""

import pytest
from django.urls import reverse

from duster.tags.models import TagType
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services import tag_fandom_add, tag_make_canonical
from duster.testing.factories import make_user

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_relationship_field_offers_canonical_tags_with_their_fandom(open_page):
    (fandom,) = tags_find_or_create(tag_type=TagType.FANDOM, names=["Slayers"])
    (pairing,) = tags_find_or_create(tag_type=TagType.RELATIONSHIP, names=["Buffy Summers/Spike"])
    tag_make_canonical(actor=None, tags=[fandom, pairing])
    tag_fandom_add(actor=None, tags=[pairing], fandom=fandom)
    page = open_page("desktop", user=make_user("author"))
    page.goto(reverse("work_new"))
    field = page.locator("#id_relationships")
    expect(field).to_have_attribute("role", "combobox")
    field.fill("Angel/Cordelia, buf")
    option = page.get_by_role("option", name="Buffy Summers/Spike (Slayers)")
    expect(option).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    field.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    field.press("Enter")
    expect(field).to_have_value("Angel/Cordelia, Buffy Summers/Spike, ")
    expect(field).to_have_attribute("aria-expanded", "false")
