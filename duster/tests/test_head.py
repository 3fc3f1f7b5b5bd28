"""Every page that answers GET answers HEAD, so monitors and `curl -I` work."""

import pytest

from duster.testing.factories import make_series, make_user, make_work


@pytest.mark.django_db
def test_pages_answer_head_like_get(client):
    author = make_user("headwriter")
    work = make_work(author, chapters=2, fandoms=["Head Fandom"])
    series = make_series(author, [work])
    chapter = work.chapters.order_by("position").last()
    assert chapter is not None
    paths = [
        "/",
        "/works/",
        work.get_absolute_url(),
        chapter.get_absolute_url(),
        f"/works/{work.pk}/navigate",
        series.get_absolute_url(),
        "/users/headwriter/",
        "/users/headwriter/works",
        "/users/headwriter/series",
        work.fandoms()[0].get_absolute_url(),
        work.fandoms()[0].works_url,
        "/account/login/",
        "/account/signup/",
    ]
    for path in paths:
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
