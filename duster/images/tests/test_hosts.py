"""Outside hosts as the admin types them: only plain host names reach the CSP header."""

import pytest
from django.core.exceptions import ValidationError

from duster.images.hosts import host_allowed, normalize_host, parse_hosts


@pytest.mark.parametrize(
    ("typed", "held"),
    [
        ("i.imgur.com", "i.imgur.com"),
        ("  I.Imgur.COM ", "i.imgur.com"),
        ("https://i.imgur.com/", "i.imgur.com"),
        ("*.googleusercontent.com", "*.googleusercontent.com"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_host_is_held_lower_case_ascii_without_scheme(typed, held):
    assert normalize_host(typed) == held


@pytest.mark.parametrize(
    "typed",
    [
        "i.imgur.com; script-src *",
        "i.imgur.com'",
        "'unsafe-inline'",
        "*",
        "https:",
        "com",
        "*.com.",
        "i.imgur.com/path",
        "i.imgur.com:8443",
        "user@i.imgur.com",
        "-bad.example.org",
        "data:",
    ],
)
def test_anything_but_a_host_name_is_refused(typed):
    with pytest.raises(ValueError, match="is not a host name"):
        normalize_host(typed)


def test_plain_http_host_is_refused_with_its_reason():
    with pytest.raises(ValueError, match="only https"):
        normalize_host("http://i.imgur.com")


def test_list_is_split_on_lines_spaces_and_commas_without_repeats():
    assert parse_hosts("i.imgur.com\r\nI.imgur.com, media.example.org  \n\n") == [
        "i.imgur.com",
        "media.example.org",
    ]


def test_list_names_every_bad_entry():
    with pytest.raises(ValidationError) as error:
        parse_hosts("good.example.org\nbad;host\nalso/bad")
    assert len(error.value.messages) == 2
    assert "“bad;host”" in error.value.messages[0]


def test_wildcard_covers_subdomains_only():
    allowed = ["*.example.org", "i.imgur.com"]
    assert host_allowed("a.example.org", allowed)
    assert host_allowed("a.b.example.org", allowed)
    assert not host_allowed("example.org", allowed)
    assert not host_allowed("badexample.org", allowed)
    assert host_allowed("i.imgur.com", allowed)
    assert not host_allowed("imgur.com", allowed)
    assert not host_allowed("i.imgur.com.evil.net", allowed)
