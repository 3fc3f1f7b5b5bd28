"""Members' reading pages reuse fragments that are the same for everyone (the
work's tags block, a chapter's text, the chapter menu), cached under a digest
of what each shows: whatever changes what a reader would see, however it was
written, the next member request shows it."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.images.models import ImageHostPolicy
from duster.lib.pagecache import pages_changed
from duster.tags.models import Tag, tag_key, tag_match_key
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Chapter, Work
from duster.works.selectors import chapters_for_reader, work_for_creator, work_for_reader
from duster.works.services.chapters import chapter_reorder, chapter_update
from duster.works.services.works import work_set_tags, work_update

pytestmark = pytest.mark.django_db

IMAGE = '<p><img src="https://i.example.org/map.png" alt="The map"></p>'


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member() -> Client:
    client = Client()
    client.force_login(make_user("reader"))
    return client


@pytest.fixture
def serial():
    return make_work(
        make_user("author"),
        title="Lanterns",
        chapters=3,
        expected_chapters=3,
        relationships=["Ada/Bram"],
        freeforms=["Slow Burn"],
    )


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def fragments_stored() -> int:
    """How many fragments of each kind the cache holds (local memory in tests)."""
    keys = list(cache._cache)  # type: ignore[attr-defined]
    return len([key for key in keys if "template.cache." in key])


def test_members_share_the_fragments_a_page_is_made_of(serial):
    first, second = Client(), Client()
    first.force_login(make_user("one"))
    second.force_login(make_user("two"))
    chapter = serial.chapters.get(position=2)
    html = page(first, chapter.get_absolute_url())
    stored = fragments_stored()
    assert stored == 3  # tags block, chapter text, chapter menu
    again = page(second, chapter.get_absolute_url())
    assert fragments_stored() == stored
    for shown in ('<dt class="rating">', "Chapter 2 text goes here.", '" selected>Chapter 2<'):
        assert html.count(shown) == again.count(shown) == 1
    tags_block = again[again.index('<dl class="work meta') : again.index('<dd class="language">')]
    assert "Ada/Bram" in tags_block and tags_block in html


def test_a_metadata_edit_shows_on_the_next_member_request(member, serial):
    assert "Slow Burn" in page(member, serial.get_absolute_url())
    work_update(
        work=serial,
        fields={"rating": "teen"},
        tags={"fandoms": ["Lamplighter Chronicles"], "freeforms": ["Hurt/Comfort"]},
    )
    html = page(member, serial.get_absolute_url())
    assert "Hurt/Comfort" in html and "Slow Burn" not in html
    assert "Teen And Up Audiences" in html
    assert "Ada/Bram" not in html


def test_tags_set_by_a_service_show_at_once(member, serial):
    page(member, serial.get_absolute_url())
    serial.warnings = ["violence"]
    work_set_tags(work=serial, tags={"fandoms": ["Another Fandom"]})
    html = page(member, serial.get_absolute_url())
    assert "Another Fandom" in html and "Graphic Depictions Of Violence" in html


def test_a_tag_renamed_without_signals_shows_at_once(member, serial):
    # A bulk rename moves no work's modified_at and sends no signal.
    page(member, serial.get_absolute_url())
    new = "Slowest Burn"
    Tag.objects.filter(name="Slow Burn").update(
        name=new, key=tag_key(new), match_key=tag_match_key(new)
    )
    assert "Slowest Burn" in page(member, serial.get_absolute_url())


def test_a_chapter_edit_shows_on_the_next_member_request(member, serial):
    chapter = serial.chapters.get(position=2)
    assert "Chapter 2 text goes here." in page(member, chapter.get_absolute_url())
    chapter_update(
        chapter=chapter, fields={"body": "<p>Rewritten at dawn.</p>"}, version=chapter.version
    )
    html = page(member, chapter.get_absolute_url())
    assert "Rewritten at dawn." in html and "Chapter 2 text goes here." not in html
    entire = page(member, serial.get_absolute_url() + "?view_full_work=true")
    assert "Rewritten at dawn." in entire


def test_chapter_text_written_around_the_services_still_shows(member, serial):
    chapter = serial.chapters.get(position=1)
    page(member, serial.get_absolute_url())
    Chapter.objects.filter(pk=chapter.pk).update(body="<p>Patched in place.</p>")
    assert "Patched in place." in page(member, serial.get_absolute_url())


def test_the_chapter_menu_follows_titles_and_order(member, serial):
    chapters = list(serial.chapters.order_by("position"))
    url = chapters[1].get_absolute_url()
    page(member, url)
    chapter_update(
        chapter=chapters[2],
        fields={"title": "The Bridge", "body": "<p>Over the river.</p>"},
        version=chapters[2].version,
    )
    assert "3. The Bridge</option>" in page(member, url)
    chapter_reorder(
        work=serial, positions={chapters[0].pk: 1, chapters[1].pk: 3, chapters[2].pk: 2}
    )
    html = page(member, url)
    assert "2. The Bridge</option>" in html
    assert f'<option value="{chapters[1].pk}" selected>Chapter 3</option>' in html


def test_outside_images_follow_the_allowed_hosts(member, serial):
    chapter = serial.chapters.get(position=1)
    chapter_update(chapter=chapter, fields={"body": IMAGE}, version=chapter.version)
    assert "outside image, not loaded" in page(member, serial.get_absolute_url())
    ImageHostPolicy(allowed_hosts="i.example.org").save()
    html = page(member, serial.get_absolute_url())
    assert "outside image, not loaded" not in html
    assert '<img src="https://i.example.org/map.png"' in html


def test_reading_pages_leave_what_the_writer_typed_unloaded(serial):
    """The sources only the edit forms reopen are not read for a page."""
    reader = make_user("reader")
    work = work_for_reader(serial.pk, reader)
    assert "notes_source" not in work.__dict__ and "notes" in work.__dict__
    assert all("body_source" not in c.__dict__ for c in chapters_for_reader(work, reader))
    listed = Work.objects.for_listing().get(pk=serial.pk)
    assert "notes" not in listed.__dict__ and "summary" in listed.__dict__
    author = serial.credited_pseuds()[0].user
    assert "notes_source" in work_for_creator(serial.pk, author).__dict__


def test_a_work_in_no_series_looks_none_up_and_shows_one_once_added(member, serial):
    page(member, serial.get_absolute_url())  # the day's hit is counted once
    pages_changed(work_ids=[serial.pk])  # both pages built afresh, as after a change
    with CaptureQueriesContext(connection) as alone:
        html = page(member, serial.get_absolute_url())
    assert "Part 1 of" not in html
    make_series(serial.credited_pseuds()[0].user, works=[serial], title="Lamp Cycle")
    with CaptureQueriesContext(connection) as in_series:
        html = page(member, serial.get_absolute_url())
    assert "Part 1 of" in html and "Lamp Cycle" in html
    assert len(in_series) == len(alone) + 1
