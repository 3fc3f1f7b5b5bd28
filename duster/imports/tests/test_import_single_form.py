"""The upload form at /works/import: a file becomes a draft, shown in its preview."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from duster.accounts.models import Pseud
from duster.lib import text
from duster.testing.factories import make_user
from duster.works.models import Work, WorkState

from .single_helpers import fixture

pytestmark = pytest.mark.django_db
URL = "/works/import"


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_the_url_is_named_and_needs_a_login(client):
    assert reverse("work_import") == URL
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Work.objects.exists()


def test_the_post_new_work_page_links_to_it(client):
    client.force_login(make_user("alice"))
    assert f'href="{URL}"' in client.get(reverse("work_new")).content.decode()


def test_a_file_becomes_a_draft_and_the_preview_opens(client):
    user = make_user("alice")
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200 and b'name="file"' in page.content
    assert b'name="pseud"' not in page.content  # one pseud: nothing to choose
    # No format chosen: "auto".
    response = client.post(URL, {"file": _upload("ferry.html", fixture("ao3_download.html"))})
    work = Work.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("work_preview", kwargs={"pk": work.pk})
    assert work.state == WorkState.DRAFT
    assert work.title == "Ferrylight" and work.chapters.count() == 3
    assert work.creatorships.get().pseud == user.default_pseud
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and b"The landing stage creaked" in preview.content


def test_title_fandom_and_pseud_chosen_in_the_form_win(client):
    user = make_user("alice")
    other = Pseud.objects.create(user=user, name="Lamplit")
    client.force_login(user)
    assert b'name="pseud"' in client.get(URL).content
    client.post(
        URL,
        {
            "file": _upload("print.html", fixture("efiction_berrygood_printable.html")),
            "format": "efiction",
            "title": "My Own Title",
            "fandom": "Original Work",
            "pseud": str(other.pk),
        },
    )
    work = Work.objects.for_listing().get()
    assert work.title == "My Own Title"
    assert [t.name for t in work.fandoms()] == ["Original Work"]
    assert work.creatorships.get().pseud == other
    assert work.chapters.count() == 3


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "Choose a file to import."),
        ({"file": _upload("empty.txt", b"")}, "The submitted file is empty.|This file is empty."),
        ({"file": _upload("story.pdf", b"%PDF-1.4 binary")}, "Unsupported file type"),
        ({"file": _upload("story.epub", b"PK\x03\x04broken")}, "not a valid EPUB"),
        (
            {"file": _upload("page.html", b"<html><body><script>go()</script> </body></html>")},
            "no text",
        ),
    ],
    ids=["missing", "empty", "wrong-type", "unreadable", "no-story"],
)
def test_bad_input_is_shown_at_the_file_field_and_keeps_the_other_fields(client, files, message):
    client.force_login(make_user("alice"))
    response = client.post(URL, {"format": "auto", "title": "Kept Title", **files})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["file"]
    assert any(__import__("re").search(message, error) for error in errors["file"])
    page = response.content.decode()
    assert 'value="Kept Title"' in page
    assert not Work.objects.exists()


def test_a_file_over_the_limit_is_refused(client, monkeypatch):
    monkeypatch.setattr(text, "FILE_MAX_BYTES", 10)
    monkeypatch.setattr("duster.imports.views.FILE_MAX_BYTES", 10)
    client.force_login(make_user("alice"))
    response = client.post(URL, {"file": _upload("a.txt", b"x" * 11), "format": "auto"})
    assert response.context["form"].errors["file"] == ["Upload a file of 10 MB or less."]
    assert not Work.objects.exists()


def test_the_form_needs_the_csrf_token():
    user = make_user("alice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(URL, {"file": _upload("a.txt", b"Text."), "format": "auto"})
    assert response.status_code == 403
    assert not Work.objects.exists()
