"""The personas most community tests share: a work's author, a reader, and
the author's one-chapter work (a test file may define its own instead)."""

import pytest

from duster.testing.factories import make_user, make_work


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def reader():
    return make_user("reader")


@pytest.fixture
def work(author):
    return make_work(author, title="Lanterns")
