import pytest

from duster.testing.factories import make_user


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client
