"""Preferences (reader settings, time zone) and the /reader switch for
members and guests."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from duster.accounts.models import User
from duster.accounts.services import user_preferences_save
from duster.accounts.timezones import (
    current_time_zone,
    time_zone_choices,
    time_zones,
    validate_time_zone,
)
from duster.lib.reader import COOKIE_NAME
from duster.testing.factories import make_user
from duster.testing.html import errors_at, form_values

pytestmark = pytest.mark.django_db

READER_URL = "/reader"


@pytest.fixture
def member():
    return make_user("member")


@pytest.fixture
def member_client(member):
    client = Client()
    client.force_login(member)
    return client


def html_attributes(response) -> dict[str, str]:
    tag = re.search(r"<html ([^>]*)>", response.content.decode())
    assert tag
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


# --- Time zones -----------------------------------------------------------------------------


def test_time_zones_are_real_places_grouped_by_region():
    choices = time_zone_choices()
    assert choices[0] == ("UTC", "UTC")
    regions = [name for name, _ in choices[1:]]
    assert regions == [
        r
        for r in (
            "Africa",
            "America",
            "Antarctica",
            "Asia",
            "Atlantic",
            "Australia",
            "Europe",
            "Indian",
            "Pacific",
        )
        if r in regions
    ]
    assert {"Africa", "America", "Asia", "Europe", "Pacific"} <= set(regions)
    groups = {region: places for region, places in choices[1:] if isinstance(places, list)}
    assert list(groups) == regions
    for region, places in groups.items():
        assert places, region
        for value, label in places:
            assert value.startswith(region + "/")
            assert "_" not in label
    europe = dict(groups["Europe"])
    assert europe["Europe/Berlin"] == "Berlin"


@pytest.mark.parametrize(
    "junk",
    [
        "Factory",
        "localtime",
        "posixrules",
        "US/Eastern",
        "US/Pacific",
        "Etc/GMT+5",
        "Etc/UTC",
        "GMT",
        "EST5EDT",
        "Canada/Atlantic",
        "Arctic/Longyearbyen",
        "Asia/Calcutta",
        "America/Buenos_Aires",
        "Europe/Kiev",
        "Mars/Olympus_Mons",
        "",
    ],
)
def test_junk_and_legacy_zones_are_not_offered_nor_accepted(junk):
    assert junk not in time_zones()
    with pytest.raises(ValidationError):
        validate_time_zone(junk)


def test_the_model_refuses_a_zone_not_in_the_list(member):
    with pytest.raises(ValidationError) as error:
        user_preferences_save(user=member, changes={"time_zone": "Factory"})
    assert "time_zone" in error.value.message_dict
    member.refresh_from_db()
    assert member.time_zone == "UTC"


def test_the_preferences_page_groups_zones_in_optgroups(member_client):
    html = member_client.get("/account/preferences/").content.decode()
    assert '<optgroup label="Europe">' in html
    assert 'value="Europe/Berlin"' in html
    assert 'value="Factory"' not in html and 'value="US/Eastern"' not in html


# --- Preferences page -------------------------------------------------------------------------


def test_member_saves_reader_settings_in_preferences(member_client, member):
    response = member_client.post(
        "/account/preferences/",
        {
            "time_zone": "Asia/Tokyo",
            "reader_theme": "dark",
            "reader_story_font": "sans",
            "reader_story_size": "xl",
            "reader_story_leading": "loose",
            "reader_story_width": "narrow",
            "reader_full_work": "on",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.time_zone, member.reader_theme, member.reader_story_font) == (
        "Asia/Tokyo",
        "dark",
        "sans",
    )
    assert (member.reader_story_size, member.reader_story_leading, member.reader_story_width) == (
        "xl",
        "loose",
        "narrow",
    )
    assert member.reader_full_work is True
    page = member_client.get("/")
    assert html_attributes(page) | {"lang": "en"} == {
        "lang": "en",
        "data-theme": "dark",
        "data-story-font": "sans",
        "data-story-size": "xl",
        "data-story-leading": "loose",
        "data-story-width": "narrow",
    }


def test_bad_reader_setting_is_refused_at_its_field_and_nothing_is_saved(member_client, member):
    response = member_client.post(
        "/account/preferences/",
        {"time_zone": "Asia/Tokyo", "reader_theme": "dark", "reader_story_size": "huge"},
    )
    assert response.status_code == 200
    assert "valid choice" in errors_at(response, "reader_story_size")
    # What was typed is kept, and the page still shows the saved theme.
    assert form_values(response)["time_zone"] == ["Asia/Tokyo"]
    assert form_values(response)["reader_theme"] == ["dark"]
    assert html_attributes(response)["data-theme"] == "auto"
    member.refresh_from_db()
    assert (member.time_zone, member.reader_theme, member.reader_story_size) == ("UTC", "auto", "m")


def test_reader_settings_left_out_of_the_form_keep_their_values(member_client, member):
    member.reader_story_size = "l"
    member.save()
    response = member_client.post("/account/preferences/", {"time_zone": "UTC", "view_adult": "on"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.reader_story_size == "l"
    assert member.view_adult is True


# --- /reader for members ------------------------------------------------------------------------


def test_member_post_saves_settings_and_goes_back(member_client, member):
    response = member_client.post(
        READER_URL, {"theme": "dark", "story_size": "xxl", "back": "/works/?page=2"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/works/?page=2"
    assert COOKIE_NAME not in response.cookies
    member.refresh_from_db()
    assert (member.reader_theme, member.reader_story_size) == ("dark", "xxl")
    # What the form did not send is left as it was.
    assert member.reader_story_font == "serif"


def test_member_post_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(READER_URL, {"theme": "dark"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.reader_theme == "auto"


def test_member_pages_carry_a_post_form_with_its_token(member_client):
    html = member_client.get("/").content.decode()
    form = re.search(r'<form class="theme-switch" method="(\w+)"[^>]*>(.*?)</form>', html, re.S)
    assert form and form.group(1) == "post"
    assert 'name="csrfmiddlewaretoken"' in form.group(2)


def test_a_get_changes_no_saved_preference(member_client, member):
    response = member_client.get(READER_URL, {"theme": "dark", "back": "/"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.reader_theme == "auto"
    assert COOKIE_NAME not in response.cookies


# --- /reader for guests ------------------------------------------------------------------------


def test_guest_get_sets_the_cookie_and_goes_back(client):
    response = client.get(READER_URL, {"theme": "dark", "story_font": "sans", "back": "/works/"})
    assert response.status_code == 302
    assert response["Location"] == "/works/"
    morsel = response.cookies[COOKIE_NAME]
    assert morsel.value == "theme:dark&font:sans"
    assert morsel["samesite"] == "Lax"
    assert morsel["max-age"] == 365 * 24 * 60 * 60
    page = client.get("/")
    assert html_attributes(page)["data-theme"] == "dark"
    assert html_attributes(page)["data-story-font"] == "sans"


def test_guest_settings_add_up(client):
    client.get(READER_URL, {"theme": "dark"})
    client.get(READER_URL, {"story_size": "l", "full_work": "1"})
    assert client.cookies[COOKIE_NAME].value == "theme:dark&size:l&work:1"
    client.get(READER_URL, {"theme": "auto", "story_size": "m", "full_work": "0"})
    assert client.cookies[COOKIE_NAME].value == ""


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "works",
        "-1",
        "home",
        "",
    ],
)
def test_guest_is_sent_only_to_this_site(client, target):
    response = client.get(READER_URL, {"theme": "dark", "back": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_guest_with_bad_values_gets_the_form_with_the_message(client):
    response = client.get(READER_URL, {"theme": "dark", "story_size": "huge", "back": "/works/"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="reader-story_size-error"' in html and "valid choice" in html
    assert 'aria-invalid="true"' in html
    assert COOKIE_NAME not in response.cookies
    # The way back is still offered.
    assert 'href="/works/"' in html


def test_guest_pages_hold_nothing_per_visitor(client):
    html = client.get("/").content.decode()
    assert "csrfmiddlewaretoken" not in html
    form = re.search(r'<form class="theme-switch" method="(\w+)" action="([^"]+)"', html)
    assert form and form.groups() == ("get", READER_URL)


def test_the_reader_page_shows_the_settings_form(client):
    client.cookies[COOKIE_NAME] = "size:xl"
    response = client.get(READER_URL)
    assert response.status_code == 200
    values = form_values(response)
    assert values["story_size"] == ["xl"]
    assert values["theme"] == ["auto"]
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_a_garbage_cookie_is_ignored(client):
    client.cookies[COOKIE_NAME] = "theme:<script>&size:99"
    response = client.get("/")
    assert response.status_code == 200
    assert html_attributes(response)["data-theme"] == "auto"
    assert "<script>&" not in response.content.decode()


def test_user_model_fields_have_comfortable_defaults(member):
    fresh = User.objects.get(pk=member.pk)
    assert (fresh.reader_theme, fresh.reader_story_size, fresh.reader_full_work) == (
        "auto",
        "m",
        False,
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("US/Eastern", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("Mars/Olympus_Mons", None),
    ],
)
def test_legacy_zone_names_map_to_listed_zones(old, new):
    assert current_time_zone(old) == new


def test_the_migration_moves_members_off_legacy_zones():
    migration = importlib.import_module(
        "duster.accounts.migrations.0003_reader_settings_time_zone_list"
    )
    make_user("kept", time_zone="Europe/Paris")
    legacy = make_user("legacy")
    lost = make_user("lost")
    # Saved before the list existed: no validation then.
    User.objects.filter(pk=legacy.pk).update(time_zone="US/Pacific")
    User.objects.filter(pk=lost.pk).update(time_zone="Factory")
    migration.move_to_listed_zones(django_apps, None)
    zones = dict(User.objects.values_list("username", "time_zone"))
    assert (zones["kept"], zones["legacy"], zones["lost"]) == (
        "Europe/Paris",
        "America/Los_Angeles",
        "UTC",
    )


def test_the_admin_offers_the_same_grouped_zones():
    admin = make_user("boss", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    html = client.get(reverse("admin:accounts_user_change", args=[admin.pk])).content.decode()
    assert '<optgroup label="Europe">' in html
    assert 'name="reader_theme"' in html
