"""A muted tag or creator is left out of every list a member sees (home,
tag and creator pages, search) and its counts, not hidden by styling."""

import pytest
from django.urls import reverse

from duster.accounts.mutes import mute_tag, mute_user
from duster.tags.models import Tag
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    writer, other = make_user("ink"), make_user("quill")
    kept = make_work(writer, title="Kept Tale", fandoms=["Harbour"])
    angst = make_work(writer, title="Sad Tale", fandoms=["Harbour"], freeforms=["Angst"])
    theirs = make_work(other, title="Their Tale", fandoms=["Harbour"])
    return writer, other, kept, angst, theirs


def test_a_muted_tag_leaves_home_tag_pages_and_counts(client, shelf):
    writer, other, kept, angst, theirs = shelf
    reader = make_user("reader")
    mute_tag(user=reader, tag=Tag.objects.get(name="Angst"))
    client.force_login(reader)
    harbour = Tag.objects.get(name="Harbour")
    for url in (reverse("home"), harbour.get_absolute_url(), harbour.works_url):
        html = client.get(url).content.decode()
        assert "Kept Tale" in html and "Sad Tale" not in html, url
    assert client.get(harbour.get_absolute_url()).context["work_total"] == 2
    angst_page = client.get(Tag.objects.get(name="Angst").get_absolute_url()).content.decode()
    assert "Unmute Angst" in angst_page


def test_a_muted_creator_leaves_lists(client, shelf):
    writer, other, kept, angst, theirs = shelf
    reader = make_user("reader")
    mute_user(user=reader, other=other)
    client.force_login(reader)
    html = client.get(reverse("works_latest")).content.decode()
    assert "Their Tale" not in html and "Kept Tale" in html
    assert "Unmute quill" in client.get(reverse("user_detail", args=["quill"])).content.decode()


def test_guests_get_no_mute_button(client, shelf):
    html = client.get(Tag.objects.get(name="Angst").get_absolute_url()).content.decode()
    assert "Mute Angst" not in html
