"""Serving downloads: who may have which file, one build for many requests,
new files for a changed work, and a short wait or a "preparing" page."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from duster.downloads.book import book_slug
from duster.downloads.formats import FORMATS, Format, calibre_installed, offered
from duster.downloads.models import DownloadFile, DownloadState
from duster.tags.models import Tag
from duster.testing.concurrency import in_threads, writers_share_one_database
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Work, WorkState
from duster.works.services.chapters import chapter_update


@pytest.fixture
def builds(monkeypatch):
    """Counts builds; each file holds the title and chapter text it was built from."""
    made: list[str] = []

    def build(self, book, images):
        made.append(self.extension)
        text = " | ".join([book.title, *book.tags, *(c.body for c in book.chapters)])
        return text.encode()

    monkeypatch.setattr(Format, "build", build)
    return made


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DOWNLOAD_WAIT_SECONDS = 5


def url(work, extension="txt", slug=None):
    return reverse(
        "download",
        kwargs={"pk": work.pk, "slug": slug or book_slug(work), "extension": extension},
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_guest_downloads_a_posted_work(client, builds):
    work = make_work(make_user(), title="Lanterns & <Moths>")
    response = client.get(url(work))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="lanterns-moths.txt"'
    assert b"Lanterns & <Moths>" in body(response)
    assert "private" in response["Cache-Control"]
    again = client.get(url(work))
    assert body(again).startswith(b"Lanterns")
    assert builds == ["txt"]  # built once, then served from storage
    assert client.get(url(work), HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


@pytest.mark.django_db
def test_only_readers_who_may_see_the_work_download_it(client, builds):
    writer = make_user()
    draft = make_work(writer, post=False)
    restricted = make_work(writer, restricted=True)
    hidden = make_work(writer)
    Work.objects.filter(pk=hidden.pk).update(state=WorkState.HIDDEN)
    assert client.get(url(draft)).status_code == 404
    assert client.get(url(restricted)).status_code == 404
    assert client.get(url(hidden)).status_code == 404
    client.force_login(writer)  # not even its creator: drafts and hidden works never
    assert client.get(url(draft)).status_code == 404
    assert client.get(url(hidden)).status_code == 404
    member = Client()
    member.force_login(make_user())
    assert member.get(url(restricted)).status_code == 200
    assert not DownloadFile.objects.filter(work__in=[draft, hidden]).exists()


@pytest.mark.django_db
def test_unknown_formats_and_wrong_names(client, builds):
    work = make_work(make_user(), title="Salt Roads")
    assert client.get(url(work, "exe")).status_code == 404
    assert client.get(f"/downloads/{work.pk}/salt-roads.").status_code == 404
    moved = client.get(url(work, "epub", slug="old-title"))
    assert moved.status_code == 301
    assert moved["Location"] == url(work, "epub")
    assert (
        client.get(
            url(make_work(make_user()), "txt").replace("/downloads/", "/downloads/9")
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_calibre_formats_only_when_calibre_is_installed(client, builds, monkeypatch):
    work = make_work(make_user())
    monkeypatch.setattr("duster.downloads.formats.calibre_installed", lambda: False)
    assert [f.extension for f in offered()] == ["epub", "pdf", "html", "txt"]
    assert client.get(url(work, "azw3")).status_code == 404
    page = client.get(work.get_absolute_url()).content.decode()
    assert url(work, "epub") in page and url(work, "pdf") in page and "azw3" not in page
    monkeypatch.setattr("duster.downloads.formats.calibre_installed", lambda: True)
    assert [f.extension for f in offered()][-2:] == ["azw3", "mobi"]


@pytest.mark.django_db
def test_a_changed_work_gets_a_new_file_and_the_old_one_goes(
    client, builds, django_capture_on_commit_callbacks
):
    work = make_work(make_user(), freeforms=["Slow Burn"])
    first = client.get(url(work))
    assert b"The first chapter" in body(first)
    old = DownloadFile.objects.get(work=work)
    assert default_storage.exists(old.file.name or "")

    chapter = work.chapters.get()
    chapter_update(
        chapter=chapter,
        fields={"body": "<p>Rewritten from the start.</p>"},
        version=chapter.version,
    )
    with django_capture_on_commit_callbacks(execute=True):
        changed = body(client.get(url(work)))
    assert b"Rewritten from the start." in changed and b"The first chapter" not in changed
    assert not DownloadFile.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.file.name or "")

    # A renamed tag changes the book (its title page) without touching the work row.
    tag = Tag.objects.get(name="Slow Burn")
    tag.name = "Slowest Burn"
    tag.save()
    assert b"Slowest Burn" in body(client.get(url(work)))
    assert builds == ["txt", "txt", "txt"]
    assert DownloadFile.objects.filter(work=work).count() == 1


@pytest.mark.django_db
def test_a_deleted_work_takes_its_files_along(client, builds, django_capture_on_commit_callbacks):
    work = make_work(make_user())
    client.get(url(work))
    name = DownloadFile.objects.get(work=work).file.name or ""
    with django_capture_on_commit_callbacks(execute=True):
        Work.objects.get(pk=work.pk).delete()
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_a_file_still_building_elsewhere_shows_a_page_that_refreshes(client, builds, settings):
    settings.DOWNLOAD_WAIT_SECONDS = 0
    work = make_work(make_user(), title="Long Winter")
    client.get(url(work))
    row = DownloadFile.objects.get(work=work)
    # As if another process had just claimed a new build of it.
    DownloadFile.objects.filter(pk=row.pk).update(state=DownloadState.BUILDING, file="")
    response = client.get(url(work))
    assert response.status_code == 202
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Preparing your download" in page and "Long Winter" in page
    assert response["Retry-After"] == "3"
    assert "no-store" in response["Cache-Control"]
    assert builds == ["txt"]


@pytest.mark.django_db
def test_a_build_that_died_is_claimed_again_after_a_while(client, builds, settings):
    settings.DOWNLOAD_WAIT_SECONDS = 0
    work = make_work(make_user())
    client.get(url(work))
    long_ago = timezone.now() - timedelta(seconds=settings.DOWNLOAD_RETRY_SECONDS + 1)
    DownloadFile.objects.update(state=DownloadState.BUILDING, claimed_at=long_ago)
    assert client.get(url(work)).status_code == 200
    assert builds == ["txt", "txt"]


@pytest.mark.django_db
def test_a_failed_build_says_so_and_is_retried_later(client, monkeypatch, settings):
    def broken(self, book, images):
        raise ValueError("no fonts")

    monkeypatch.setattr(Format, "build", broken)
    work = make_work(make_user(), title="Ash")
    response = client.get(url(work, "pdf"))
    assert response.status_code == 503
    assert "could not be built" in response.content.decode()
    row = DownloadFile.objects.get(work=work)
    assert row.state == DownloadState.FAILED and "no fonts" in row.error
    assert client.get(url(work, "pdf")).status_code == 503  # not rebuilt at once
    DownloadFile.objects.update(
        claimed_at=timezone.now() - timedelta(seconds=settings.DOWNLOAD_RETRY_SECONDS + 1)
    )
    monkeypatch.setattr(Format, "build", lambda self, book, images: b"%PDF-1.7 fine")
    assert client.get(url(work, "pdf")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_requests_build_the_file_once(builds, tmp_path, monkeypatch):
    work = make_work(make_user(), title="Crowded")

    def slow_build(self, book, images):
        import time

        builds.append(self.extension)
        time.sleep(0.5)
        return b"Crowded, built once"

    monkeypatch.setattr(Format, "build", slow_build)
    address = url(work, "epub")

    def fetch():
        response = Client().get(address)
        return response.status_code, body(response) if response.status_code == 200 else b""

    with writers_share_one_database(tmp_path):
        results = in_threads(*[fetch for _ in range(50)])
        [rows] = in_threads(lambda: DownloadFile.objects.filter(work_id=work.pk).count())
    connections.close_all()
    assert [r for r in results if not isinstance(r, tuple)] == []
    assert {r[0] for r in results} == {200}
    assert {r[1] for r in results} == {b"Crowded, built once"}
    assert builds == ["epub"]
    assert rows == 1


@pytest.mark.django_db
def test_the_menu_is_on_posted_works_only(client):
    writer = make_user()
    work = make_work(writer)
    page = client.get(work.get_absolute_url()).content.decode()
    assert "<summary>Download</summary>" in page
    for fmt in ("epub", "pdf", "html", "txt"):
        assert url(work, fmt) in page
    draft = make_work(writer, post=False)
    client.force_login(writer)
    assert (
        "<summary>Download</summary>" not in client.get(draft.get_absolute_url()).content.decode()
    )
    assert FORMATS["epub"].media_type == "application/epub+zip"


@pytest.mark.django_db
@pytest.mark.parametrize("chapters", [1, 12])
def test_serving_a_built_file_costs_the_same_whatever_the_work(
    client, builds, chapters, django_assert_num_queries
):
    writer = make_user()
    work = make_work(writer, chapters=chapters, freeforms=[f"Tag {n}" for n in range(chapters)])
    make_work(writer)  # another work, in no way counted
    client.get(url(work))
    # The work with its credits and tags (3), its series (1), its chapters'
    # stamps (1), the built file (1).
    with django_assert_num_queries(6):
        response = client.get(url(work))
    assert response.status_code == 200


@pytest.mark.django_db
def test_every_offered_format_downloads_through_the_real_writers(client, settings):
    """No stand-in writer: what a reader's click returns, format by format."""
    work = make_work(make_user(), title="Tidewater", chapters=2)
    starts = {
        "epub": b"PK\x03\x04",
        "pdf": b"%PDF",
        "html": b"<!DOCTYPE html>",
        "txt": b"Tidewater",
    }
    for fmt in offered():
        if fmt.extension not in starts:
            continue  # calibre's formats, where installed, are tested beside calibre
        response = client.get(url(work, fmt.extension))
        assert response.status_code == 200, fmt.extension
        content = body(response)
        assert content.startswith(starts[fmt.extension]), fmt.extension
        assert response["Content-Type"] == fmt.media_type


@pytest.mark.django_db
@pytest.mark.skipif(not calibre_installed(), reason="calibre's ebook-convert is not installed")
@pytest.mark.parametrize("extension", ["azw3", "mobi"])
def test_calibre_converts_the_epub_where_it_is_installed(client, extension):
    work = make_work(make_user(), title="Kindled")
    response = client.get(url(work, extension))
    assert response.status_code == 200
    content = body(response)
    assert content[60:68] == b"BOOKMOBI", content[:80]  # both are Palm databases


@pytest.mark.django_db
@pytest.mark.skipif(not shutil.which("ebook-meta"), reason="calibre's ebook-meta is not installed")
def test_calibre_reads_the_series_and_its_place_from_the_epub(client, tmp_path):
    writer = make_user("harbourwriter")
    first, second = make_work(writer, title="First Light"), make_work(writer, title="Second Tide")
    make_series(writer, [first, second], title="Lamps & Ladders")
    book = tmp_path / "second.epub"
    book.write_bytes(body(client.get(url(second, "epub"))))
    shown = subprocess.run(
        ["ebook-meta", str(book)], capture_output=True, text=True, timeout=120
    ).stdout
    facts = dict(line.split(":", 1) for line in shown.splitlines() if " : " in line)
    facts = {label.strip(): value.strip() for label, value in facts.items()}
    assert facts["Title"] == "Second Tide"
    assert facts["Series"] == "Lamps & Ladders #2"
    assert facts["Author(s)"] == "harbourwriter"
