"""Every "Log in" link brings the reader back to the page they were on, and
only ever to a page of this site."""

import re
from html import unescape

import pytest
from django.test import Client

from duster.accounts.tests.helpers import PASSWORD, logged_in_as, value_of
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.django_db


def login_links(response) -> list[str]:
    html = response.content.decode()
    return [unescape(href) for href in re.findall(r'<a href="([^"]*)">Log in</a>', html, re.I)]


def header_login_link(response) -> str:
    header = re.search(r"<header.*?</header>", response.content.decode(), re.S)
    assert header
    link = re.search(r'<a href="([^"]*)">Log in</a>', header.group(0))
    assert link
    return unescape(link.group(1))


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/", "/account/login/?next=/"),
        ("/works/", "/account/login/?next=/works/"),
        ("/works/?page=1&sort=new", "/account/login/?next=/works/%3Fpage%3D1%26sort%3Dnew"),
    ],
)
def test_the_header_link_leads_back_to_the_page(client, page, expected):
    assert header_login_link(client.get(page)) == expected


def test_logging_in_from_a_work_page_comes_back_to_it():
    make_user("member")
    work = make_work(make_user("author"))
    client = Client()
    link = header_login_link(client.get(work.get_absolute_url()))
    form = client.get(link)
    assert value_of(form, "next") == work.get_absolute_url()
    response = client.post(
        link, {"username": "member", "password": PASSWORD, "next": value_of(form, "next")}
    )
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()
    assert logged_in_as(client) is not None


def test_links_on_account_pages_pass_on_where_the_reader_came_from(client):
    for page in ("/account/login/?next=/works/", "/account/signup/?next=/works/"):
        response = client.get(page)
        assert set(login_links(response)) == {"/account/login/?next=/works/"}


def test_links_on_account_pages_without_a_next_are_plain(client):
    for page in ("/account/login/", "/account/signup/", "/account/password/reset/"):
        assert set(login_links(client.get(page))) == {"/account/login/"}


UNSAFE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "http:///evil.example/",
    "javascript:alert(1)",
    "https://testserver.evil.example/",
]


@pytest.mark.parametrize("target", UNSAFE)
def test_a_next_off_this_site_is_neither_passed_on_nor_followed(client, target):
    make_user("member")
    page = client.get("/account/login/", {"next": target})
    assert login_links(page) == ["/account/login/"]
    assert 'name="next"' not in page.content.decode()
    response = client.post(
        "/account/login/?" + "next=" + target,
        {"username": "member", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_page_that_needs_login_sends_there_with_next(client):
    response = client.get("/account/preferences/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/account/preferences/"
