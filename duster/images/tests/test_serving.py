"""Images as the archive serves them: the right type, cached for good, no cookies."""

import pytest
from django.test import Client

from duster.images.services import image_hosts_set, image_upload
from duster.images.tests.helpers import gif_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def image(writer):
    return image_upload(uploader=writer, upload=upload(png_bytes()))


def test_image_is_served_with_its_type_nosniff_and_a_long_cache_life(client, image, media):
    response = client.get(image.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Length"] == str(image.size)
    assert b"".join(response.streaming_content) == (media / image.file.name).read_bytes()


def test_serving_sets_no_cookie_and_does_not_vary_on_one(writer_client, image):
    # A reader who is logged in gets the same cacheable response as a guest.
    response = writer_client.get(image.get_absolute_url())
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert "private" not in response["Cache-Control"]


def test_other_kinds_get_their_own_type(client, writer):
    image = image_upload(uploader=writer, upload=upload(gif_bytes(), "a.gif"))
    response = client.get(image.get_absolute_url())
    assert response["Content-Type"] == "image/gif"


def test_revalidation_gets_not_modified(client, image):
    etag = client.get(image.get_absolute_url())["ETag"]
    response = client.get(image.get_absolute_url(), headers={"If-None-Match": etag})
    assert response.status_code == 304


def test_head_gets_the_headers(client, image):
    response = client.head(image.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_post_is_not_allowed(client, image):
    assert client.post(image.get_absolute_url()).status_code == 405


@pytest.mark.parametrize(
    "path",
    ["/images/AAAAAAAAAAAAAAAAAAAAAA.png", "/images/short.png", "/images/../secret_key.png"],
)
def test_unknown_image_is_not_found(client, image, path):
    assert client.get(path).status_code == 404


def test_image_under_another_extension_is_not_found(client, image):
    assert client.get(f"/images/{image.name}.jpg").status_code == 404


def test_image_whose_file_is_gone_is_not_found(client, image, media):
    (media / image.file.name).unlink()
    assert client.get(image.get_absolute_url()).status_code == 404


def test_image_opened_on_its_own_may_run_nothing(client, image):
    image_hosts_set(hosts="i.imgur.com")
    policy = client.get(image.get_absolute_url())["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "i.imgur.com" not in policy


def test_serving_needs_no_session(image):
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "not-a-session"
    response = client.get(image.get_absolute_url())
    assert response.status_code == 200
    assert not response.cookies
