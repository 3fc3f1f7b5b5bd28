import datetime as dt

import pytest
from django.utils import timezone

from duster.accounts.tests.helpers import signup_data


@pytest.fixture
def signup(client, django_capture_on_commit_callbacks):
    """POST the signup form; the mail goes out on commit."""

    def post(client=client, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/account/signup/", signup_data(**overrides))

    return post


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """post(client, url, data): a POST whose mail (sent on commit) goes out."""

    def post(client, url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return post


class Clock:
    def __init__(self):
        self.now = timezone.now()

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Time that moves only when a test says so."""
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock
