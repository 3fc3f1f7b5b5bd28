"""Reading account pages and mail in tests."""

import re
from html import unescape

from django.contrib.auth import SESSION_KEY
from django.core import mail

PASSWORD = "a-long-password"  # what make_user gives every persona
NEW_PASSWORD = "correct horse battery staple"


def value_of(response, field: str) -> str:
    """What the page's input or textarea named `field` holds."""
    html = response.content.decode()
    textarea = re.search(rf'<textarea[^>]*name="{field}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    if textarea:
        return unescape(textarea.group(1))
    found = re.search(rf'<input[^>]*name="{field}"[^>]*>', html)
    assert found, f"no {field} field on the page"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return unescape(value.group(1)) if value else ""


def text_of(response) -> str:
    """The page as a reader sees its words: tags gone, entities read."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def logged_in_as(client) -> int | None:
    return client.session.get(SESSION_KEY) and int(client.session[SESSION_KEY])


def signup_data(**overrides) -> dict:
    return {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


def activation_link() -> str:
    (message,) = mail.outbox
    return link_in(message, "/account/activate/")


def link_in(message, path: str) -> str:
    """The path of the first link in a mail that starts with `path`."""
    link = re.search(rf"http://testserver({re.escape(path)}\S*)", message.body)
    assert link, f"no {path} link in the mail"
    return link.group(1)


def mails_with(subject_part: str) -> list:
    return [message for message in mail.outbox if subject_part in message.subject]
