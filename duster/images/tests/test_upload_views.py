"""A writer's image page: upload, copy the address, delete; bad files come
back with a reason beside the file field and nothing stored."""

import re
import secrets
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duster.images.models import Image
from duster.images.tests.helpers import (
    SECRET,
    SVG,
    gif_bytes,
    jpeg_bytes,
    png_bytes,
    upload,
    webp_bytes,
)
from duster.testing.factories import make_user
from duster.testing.html import errors_at

pytestmark = pytest.mark.django_db


def post_image(client, data: bytes, name: str = "picture.png", **extra):
    return client.post("/images/", {"file": upload(data, name)}, **extra)


def page_text(response) -> str:
    return unescape(response.content.decode())


def test_guest_is_sent_to_log_in(client):
    response = client.get("/images/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_writer_uploads_a_png_and_gets_its_address(writer_client, writer, stored_files):
    response = post_image(writer_client, png_bytes(), "cover art.png", follow=True)
    image = Image.objects.get()
    assert image.uploader == writer
    assert (image.extension, image.content_type) == ("png", "image/png")
    assert (image.width, image.height) == (40, 30)
    assert image.original_name == "cover art.png"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", image.name)
    address = f"/images/{image.name}.png"
    assert image.get_absolute_url() == address
    text = page_text(response)
    assert f'Put it in a work with <img src="{address}" alt="…">' in text
    assert f'value=\'<img src="{address}" alt="">\'' in text
    assert "cover art.png" in text
    assert stored_files() == [f"images/{image.name[:2]}/{image.name}.png"]


@pytest.mark.parametrize(
    ("data", "name", "extension"),
    [
        (jpeg_bytes(), "photo.jpeg", "jpg"),
        (gif_bytes(), "dance.gif", "gif"),
        (webp_bytes(), "shot.webp", "webp"),
        # The bytes decide, not the name.
        (jpeg_bytes(), "photo.png", "jpg"),
    ],
)
def test_writer_uploads_other_kinds(writer_client, data, name, extension):
    response = post_image(writer_client, data, name)
    assert response.status_code == 302
    assert Image.objects.get().extension == extension


def test_stored_image_has_no_metadata(writer_client, media):
    post_image(writer_client, jpeg_bytes(), "photo.jpg")
    image = Image.objects.get()
    stored = (media / image.file.name).read_bytes()
    assert SECRET.encode() not in stored
    assert image.size == len(stored)


def refused(response, stored_files) -> str:
    assert response.status_code == 200
    assert Image.objects.count() == 0
    assert stored_files() == []
    return errors_at(response, "file")


def test_text_file_renamed_png_is_refused(writer_client, stored_files):
    response = post_image(writer_client, b"Chapter one. It was a dark night.\n" * 20)
    assert "not a PNG, JPEG, GIF or WebP image" in refused(response, stored_files)


def test_svg_is_refused(writer_client, stored_files):
    response = post_image(writer_client, SVG, "drawing.svg")
    assert "SVG drawings can't be uploaded" in refused(response, stored_files)


def test_oversized_file_is_refused(writer_client, settings, stored_files):
    settings.IMAGE_MAX_BYTES = 1000
    response = post_image(writer_client, png_bytes() + b"\0" * 2000)
    error = refused(response, stored_files)
    assert "an image can be at most 1000\xa0bytes" in error


def test_upload_over_the_quota_is_refused(writer_client, settings, stored_files):
    first = png_bytes((200, 200), mode="RGB", metadata=False)
    settings.IMAGE_QUOTA_BYTES = 1024
    assert post_image(writer_client, first).status_code == 302
    assert Image.objects.count() == 1
    kept = stored_files()

    response = post_image(writer_client, jpeg_bytes((300, 300)), "second.jpg")
    assert response.status_code == 200
    assert "Delete images you no longer use" in errors_at(response, "file")
    assert Image.objects.count() == 1
    assert stored_files() == kept


def test_quota_is_per_writer(writer_client, settings):
    settings.IMAGE_QUOTA_BYTES = 2048
    other = make_user("other")
    Image.objects.create(
        name="x" * 22, extension="png", uploader=other, size=2000, width=1, height=1
    )
    assert post_image(writer_client, png_bytes(metadata=False)).status_code == 302


def test_form_without_a_file_asks_for_one(writer_client):
    response = writer_client.post("/images/", {})
    assert "Choose an image file to upload." in errors_at(response, "file")


def test_list_shows_only_the_writers_own_images(writer_client, writer):
    post_image(writer_client, png_bytes(), "mine.png")
    other = make_user("other")
    Image.objects.create(
        name="y" * 22,
        extension="png",
        uploader=other,
        original_name="theirs.png",
        size=10,
        width=1,
        height=1,
    )
    text = page_text(writer_client.get("/images/"))
    assert "mine.png" in text
    assert "theirs.png" not in text


def add_images(user, count: int) -> None:
    for _ in range(count):
        Image.objects.create(
            name=secrets.token_urlsafe(16),
            extension="png",
            uploader=user,
            size=10,
            width=1,
            height=1,
        )


def test_list_page_query_count_does_not_grow(writer_client, writer):
    add_images(writer, 1)
    writer_client.get("/images/")  # sessions and the host policy cached
    with CaptureQueriesContext(connection) as few:
        assert writer_client.get("/images/").status_code == 200
    add_images(writer, 15)
    with CaptureQueriesContext(connection) as many:
        response = writer_client.get("/images/")
    assert response.content.decode().count('<article class="blurb">') == 16
    assert len(many) == len(few)


def test_writer_deletes_an_image_and_its_file(
    writer_client, stored_files, django_capture_on_commit_callbacks
):
    post_image(writer_client, png_bytes())
    image = Image.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = writer_client.post(f"/images/{image.name}/delete", follow=True)
    assert "Deleted picture.png." in page_text(response)
    assert not Image.objects.exists()
    assert stored_files() == []
    assert writer_client.get(image.get_absolute_url()).status_code == 404


def test_writer_cannot_delete_someone_elses_image(writer_client):
    other = make_user("other")
    image = Image.objects.create(
        name="z" * 22, extension="png", uploader=other, size=10, width=1, height=1
    )
    assert writer_client.post(f"/images/{image.name}/delete").status_code == 404
    assert Image.objects.filter(pk=image.pk).exists()


def test_delete_needs_a_post(writer_client):
    post_image(writer_client, png_bytes())
    image = Image.objects.get()
    assert writer_client.get(f"/images/{image.name}/delete").status_code == 405
    assert Image.objects.exists()


def test_deleting_an_account_deletes_its_image_files(
    writer_client, writer, stored_files, django_capture_on_commit_callbacks
):
    post_image(writer_client, png_bytes())
    assert len(stored_files()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        writer.delete()
    assert stored_files() == []
