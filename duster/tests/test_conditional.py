"""HTTP caching of guest pages: ETag, 304, Cache-Control and Vary; members'
pages private; a fresh CSP nonce on every cached answer."""

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.csp import LazyNonce

from duster.lib.pagecache import _serve
from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.services.works import work_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def work():
    return make_work(make_user("author"), title="Lantern Song")


def test_guest_pages_carry_an_etag_and_may_be_kept_by_shared_caches(client, work):
    response = client.get(work.get_absolute_url())
    assert response["ETag"].startswith('"')
    control = response["Cache-Control"]
    assert "public" in control and "max-age=0" in control and "must-revalidate" in control
    assert "Cookie" in response["Vary"]
    assert client.get(work.get_absolute_url())["ETag"] == response["ETag"]


def test_a_matching_if_none_match_gets_304_without_body_or_policy(client, work):
    etag = client.get(work.get_absolute_url())["ETag"]
    for _ in range(2):  # rendered, then from the cache
        with CaptureQueriesContext(connection) as queries:
            response = client.get(work.get_absolute_url(), headers={"if-none-match": etag})
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag
        # The browser keeps its page with its own nonce; a new policy would break it.
        assert "Content-Security-Policy" not in response
    assert len(queries) == 0
    stale = client.get(work.get_absolute_url(), headers={"if-none-match": '"old", "older"'})
    assert stale.status_code == 200


def test_a_change_changes_the_etag(client, work):
    etag = client.get(work.get_absolute_url())["ETag"]
    work = Work.objects.get(pk=work.pk)
    fields: dict[str, object] = {"title": "Lantern Hymn", "rating": "general"}
    fields |= {"warnings": ["none"], "language": "en", "expected_chapters": 1}
    fields["text_format"] = "html"
    work_update(work=work, fields=fields, tags={"fandoms": ["Lamplighter Chronicles"]})
    response = client.get(work.get_absolute_url(), headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "Lantern Hymn" in response.content.decode()


def test_a_member_page_is_private_and_has_no_etag(work):
    member = Client()
    member.force_login(make_user("reader"))
    response = member.get(work.get_absolute_url())
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert "ETag" not in response


def test_the_cache_can_be_turned_off(client, work, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get(work.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(work.get_absolute_url())
    assert len(queries) > 0
    assert "ETag" not in response


def test_each_cached_answer_gets_its_own_nonce():
    entry = {
        "versions": {},
        "body": b'<script nonce="N0NCE-OLD">1</script>',
        "nonce": "N0NCE-OLD",
        "headers": {"ETag": '"x"', "Content-Type": "text/html; charset=utf-8"},
        "hit": None,
    }
    bodies = set()
    for _ in range(2):
        request = RequestFactory().get("/")
        nonce = LazyNonce()
        request._csp_nonce = nonce  # type: ignore[attr-defined]  # as the CSP middleware does
        body: bytes = _serve(request, entry).content
        assert f'nonce="{nonce}"'.encode() in body
        bodies.add(body)
    assert len(bodies) == 2
    assert b"N0NCE-OLD" not in b"".join(bodies)
