"""Reader settings: the guest cookie read leniently and written canonically,
and the settings of whoever asks."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from duster.lib import reader
from duster.lib.reader import DEFAULT, ReaderSettings, normalise_cookie, parse_cookie


def test_defaults_are_comfortable():
    comfortable = ReaderSettings(
        theme="auto",
        story_font="serif",
        story_size="m",
        story_leading="normal",
        story_width="normal",
        full_work=False,
    )
    assert comfortable == DEFAULT
    assert DEFAULT.as_cookie() == ""


def test_cookie_round_trips_every_setting():
    chosen = ReaderSettings(
        theme="dark",
        story_font="sans",
        story_size="xxl",
        story_leading="loose",
        story_width="wide",
        full_work=True,
    )
    value = chosen.as_cookie()
    assert value == "theme:dark&font:sans&size:xxl&leading:loose&width:wide&work:1"
    assert parse_cookie(value) == chosen


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "garbage",
        "theme",
        "theme:",
        ":dark",
        "theme:purple",
        "size:huge&font:comic",
        "work:yes",
        "a" * 5000,
        "theme:dark" + "&x" * 200,  # too long to be ours
        "\x00\x01:\x02",
        "théme:dark",
    ],
)
def test_garbage_cookies_give_the_defaults(raw):
    assert parse_cookie(raw) == DEFAULT


def test_the_valid_parts_of_a_broken_cookie_are_kept():
    assert parse_cookie("size:l&theme:purple&&nonsense&font:sans:extra&width:wide") == (
        ReaderSettings(story_size="l", story_width="wide")
    )


def test_a_later_value_wins_and_order_does_not_matter():
    assert parse_cookie("theme:light&theme:dark") == ReaderSettings(theme="dark")
    assert normalise_cookie("size:l&theme:dark") == normalise_cookie("theme:dark&size:l")


def test_defaults_written_out_normalise_to_nothing():
    assert normalise_cookie("theme:auto&size:m&work:0") == ""


@given(st.text(max_size=300))
def test_any_cookie_parses_and_normalises_to_a_fixed_point(raw):
    settings = parse_cookie(raw)
    value = settings.as_cookie()
    assert parse_cookie(value) == settings
    assert normalise_cookie(value) == value
    # Only characters a cookie carries without quoting.
    assert all(c.isalnum() or c in ":&" for c in value)


def test_updated_ignores_unknown_names_and_values():
    changed = DEFAULT.updated(
        {
            "theme": "dark",
            "story_size": "enormous",
            "full_work": "1",
            "colour": "red",
            "story_font": "",
        }
    )
    assert changed == ReaderSettings(theme="dark", full_work=True)


def test_options_list_every_setting_with_its_current_value():
    options = {o["name"]: o for o in ReaderSettings(story_size="xl", full_work=True).options()}
    assert list(options) == reader.SETTING_NAMES
    assert options["story_size"]["value"] == "xl"
    assert options["full_work"]["value"] == "1"
    assert ("xl", "Larger") in options["story_size"]["choices"]


def test_guest_settings_come_from_the_cookie():
    request = RequestFactory().get("/", HTTP_COOKIE="duster_reader=theme:dark&size:l")
    request.user = AnonymousUser()
    assert reader.settings_for(request) == ReaderSettings(theme="dark", story_size="l")
    assert reader.context(request)["reader"].theme == "dark"


@pytest.mark.django_db
def test_member_settings_come_from_preferences_not_the_cookie():
    from duster.testing.factories import make_user

    user = make_user("reader")
    user.reader_theme = "light"
    user.reader_full_work = True
    request = RequestFactory().get("/", HTTP_COOKIE="duster_reader=theme:dark")
    request.user = user
    assert reader.settings_for(request) == ReaderSettings(theme="light", full_work=True)


def test_the_cookie_is_lax_long_lived_and_forgotten_when_default():
    response = HttpResponse()
    reader.set_cookie(response, ReaderSettings(theme="dark"), secure=True)
    morsel = response.cookies[reader.COOKIE_NAME]
    assert morsel.value == "theme:dark"
    assert morsel["samesite"] == "Lax"
    assert morsel["max-age"] == reader.COOKIE_MAX_AGE
    assert morsel["secure"] and morsel["httponly"]
    response = HttpResponse()
    reader.set_cookie(response, DEFAULT, secure=False)
    assert response.cookies[reader.COOKIE_NAME]["max-age"] == 0
