import pytest

from duster.testing.factories import make_user, make_work


@pytest.mark.django_db
def test_reader_sees_posted_work(client):
    work = make_work(make_user(), title="Lamplight")
    response = client.get(work.get_absolute_url())
    assert response.status_code == 200
    assert b"Lamplight" in response.content
