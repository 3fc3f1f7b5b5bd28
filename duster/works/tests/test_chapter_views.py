"""Chapters through their pages: add (posted or draft), edit, delete, reorder
without JavaScript, bad input, and edit conflicts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from duster.testing.factories import make_user, make_work
from duster.testing.files import make_docx
from duster.testing.html import errors_at, form_values
from duster.works.models import Chapter

pytestmark = pytest.mark.django_db


def chapter_data(**overrides) -> dict:
    data = {
        "title": "The Second Night",
        "summary": "",
        "notes": "",
        "end_notes": "",
        "text_format": "html",
        "body": "<p>The lamps stayed dark.</p>",
        "action": "post",
    }
    data.update(overrides)
    return data


@pytest.fixture
def work(author):
    return make_work(author, title="Lamplight", expected_chapters=None)


def bodies(work) -> list[str]:
    return list(work.chapters.order_by("position").values_list("body", flat=True))


# --- Add ------------------------------------------------------------------------------------


def test_adding_a_chapter_posts_it_on_a_posted_work(author_client, work):
    form = author_client.get(f"/works/{work.pk}/chapters/new")
    assert form.status_code == 200
    assert 'value="post"' in form.content.decode()

    response = author_client.post(f"/works/{work.pk}/chapters/new", chapter_data())
    chapter = work.chapters.get(position=2)
    assert response.status_code == 302
    assert response["Location"] == chapter.get_absolute_url()
    assert chapter.posted
    work.refresh_from_db()
    assert work.chapters_label == "2/?"

    page = Client().get(chapter.get_absolute_url()).content.decode()
    assert "The Second Night" in page
    assert "The lamps stayed dark." in page
    assert 'Chapters:</dt><dd class="chapters">2/?' in page


def test_draft_chapter_is_hidden_from_readers_until_posted(author_client, work):
    author_client.post(f"/works/{work.pk}/chapters/new", chapter_data(action="draft"))
    chapter = work.chapters.get(position=2)
    assert not chapter.posted
    work.refresh_from_db()
    assert work.chapters_label == "1/?"

    guest = Client()
    assert guest.get(chapter.get_absolute_url()).status_code == 404
    assert (
        "The lamps stayed dark."
        not in guest.get(work.get_absolute_url() + "?view_full_work=true").content.decode()
    )
    assert "The Second Night" not in guest.get(f"/works/{work.pk}/navigate").content.decode()

    own = author_client.get(chapter.get_absolute_url()).content.decode()
    assert "The lamps stayed dark." in own
    assert "(Draft)" in own
    assert "Post this chapter" in own

    response = author_client.post(f"/works/{work.pk}/chapters/{chapter.pk}/post")
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.posted
    assert guest.get(chapter.get_absolute_url()).status_code == 200


def test_a_draft_works_chapters_are_added_to_the_draft(author_client, author):
    draft = make_work(author, post=False)
    form = author_client.get(f"/works/{draft.pk}/chapters/new").content.decode()
    assert "Add chapter to the draft" in form
    author_client.post(f"/works/{draft.pk}/chapters/new", chapter_data(action="draft"))
    assert draft.chapters.count() == 2
    assert Client().get(f"/works/{draft.pk}/").status_code == 404


def test_chapter_text_can_be_uploaded(author_client, work):
    upload = SimpleUploadedFile("chapter.docx", make_docx("From Word."))
    author_client.post(f"/works/{work.pk}/chapters/new", chapter_data(body="", upload=upload))
    assert work.chapters.get(position=2).body == "<p>From Word.</p>"


def test_chapter_notes_and_summary_show_on_the_chapter(author_client, work):
    data = chapter_data(
        text_format="text",
        summary="Chapter summary here",
        notes="Chapter notes here",
        end_notes="Chapter end notes here",
        body="Line one\nLine two",
    )
    author_client.post(f"/works/{work.pk}/chapters/new", data)
    chapter = work.chapters.get(position=2)
    html = Client().get(chapter.get_absolute_url()).content.decode()
    assert "<p>Chapter summary here</p>" in html
    assert "<p>Chapter notes here</p>" in html
    assert "<p>Chapter end notes here</p>" in html
    assert "<p>Line one<br>Line two</p>" in html


def test_only_a_creator_can_add_a_chapter(work):
    other = Client()
    other.force_login(make_user())
    assert other.get(f"/works/{work.pk}/chapters/new").status_code == 404
    assert other.post(f"/works/{work.pk}/chapters/new", chapter_data()).status_code == 404
    assert Client().post(f"/works/{work.pk}/chapters/new", chapter_data()).status_code == 302
    assert work.chapters.count() == 1


_BAD_CHAPTER_INPUT = {
    "empty body": ({"body": ""}, "body", "Type or paste the chapter text"),
    "body only a script": ({"body": "<script>x()</script>"}, "body", "empty once unsafe HTML"),
    "body too long": ({"body": "b" * 500_001}, "body", "Keep this to 500,000 characters"),
    "summary too long": ({"summary": "s" * 1251}, "summary", "Keep this to 1,250 characters"),
    "notes too long": ({"notes": "n" * 5001}, "notes", "Keep this to 5,000 characters"),
    "end notes too long": ({"end_notes": "n" * 5001}, "end_notes", "5,000 characters"),
    "title too long": ({"title": "t" * 256}, "title", "at most 255 characters"),
    "unknown format": ({"text_format": "rtf"}, "text_format", "Select a valid choice."),
}
_BAD_CHAPTER_UPLOADS = {
    "pdf": (("c.pdf", b"%PDF-1.4"), "Unsupported file type '.pdf'"),
    "corrupt docx": (("c.docx", b"not a zip at all"), "not a valid .docx document"),
    "non-UTF-8 txt": (("c.txt", "naïve".encode("latin-1")), "not UTF-8 text"),
}


@pytest.mark.parametrize(
    ("overrides", "field", "message"), _BAD_CHAPTER_INPUT.values(), ids=_BAD_CHAPTER_INPUT.keys()
)
def test_bad_chapter_input_is_refused_at_the_field_and_kept(
    author_client, work, overrides, field, message
):
    data = chapter_data(**overrides)
    response = author_client.post(f"/works/{work.pk}/chapters/new", data)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    assert Chapter.objects.count() == 1
    kept = form_values(response)
    for name in ("title", "body", "summary", "notes", "end_notes"):
        assert kept[name] == [data[name]]


@pytest.mark.parametrize(
    ("file", "message"), _BAD_CHAPTER_UPLOADS.values(), ids=_BAD_CHAPTER_UPLOADS.keys()
)
def test_bad_chapter_upload_is_refused_at_the_upload_field(author_client, work, file, message):
    upload = SimpleUploadedFile(*file)
    data = chapter_data(title="Kept Title", body="", upload=upload)
    response = author_client.post(f"/works/{work.pk}/chapters/new", data)
    assert response.status_code == 200
    assert message in errors_at(response, "upload")
    assert form_values(response)["title"] == ["Kept Title"]
    assert Chapter.objects.count() == 1


# --- Edit -----------------------------------------------------------------------------------


def test_editing_a_chapter_saves_the_new_text(author_client, work):
    chapter = work.chapters.get()
    form = author_client.get(f"/works/{work.pk}/chapters/{chapter.pk}/edit")
    values = form_values(form)
    assert values["body"] == [chapter.body]
    assert values["version"] == ["1"]

    data = chapter_data(title="Renamed", body="<p>Better words.</p>", version="1")
    response = author_client.post(f"/works/{work.pk}/chapters/{chapter.pk}/edit", data)
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert (chapter.title, chapter.body, chapter.version) == ("Renamed", "<p>Better words.</p>", 2)
    assert "Better words." in Client().get(work.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"), _BAD_CHAPTER_INPUT.values(), ids=_BAD_CHAPTER_INPUT.keys()
)
def test_bad_chapter_edit_saves_nothing(author_client, work, overrides, field, message):
    chapter = work.chapters.get()
    data = chapter_data(version="1", **overrides)
    response = author_client.post(f"/works/{work.pk}/chapters/{chapter.pk}/edit", data)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    assert form_values(response)["body"] == [data["body"]]
    saved = Chapter.objects.get(pk=chapter.pk)
    assert (saved.body, saved.title, saved.version) == (chapter.body, chapter.title, 1)


def test_only_a_creator_can_edit_a_chapter(work):
    chapter = work.chapters.get()
    other = Client()
    other.force_login(make_user())
    url = f"/works/{work.pk}/chapters/{chapter.pk}/edit"
    assert other.get(url).status_code == 404
    assert other.post(url, chapter_data(version="1")).status_code == 404
    chapter.refresh_from_db()
    assert chapter.version == 1


def test_a_chapter_of_another_work_is_not_found(author_client, author, work):
    elsewhere = make_work(author).chapters.get()
    url = f"/works/{work.pk}/chapters/{elsewhere.pk}/edit"
    assert author_client.get(url).status_code == 404


def test_stale_edit_shows_the_conflict_and_keeps_both_texts(author_client, author, work):
    chapter = work.chapters.get()
    url = f"/works/{work.pk}/chapters/{chapter.pk}/edit"
    first_form = form_values(author_client.get(url))
    assert first_form["version"] == ["1"]

    # Another window saves a newer version in between.
    other_window = Client()
    other_window.force_login(author)
    newer = chapter_data(body="<p>The newer text, saved elsewhere.</p>", version="1")
    assert other_window.post(url, newer).status_code == 302

    mine = chapter_data(body="<p>My own careful rewrite.</p>", version=first_form["version"][0])
    response = author_client.post(url, mine)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This chapter changed after you opened it" in html
    assert '<div class="userstuff conflict-current"><p>The newer text, saved elsewhere.</p>' in html
    kept = form_values(response)
    assert kept["body"] == ["<p>My own careful rewrite.</p>"]
    assert kept["version"] == ["2"]
    chapter.refresh_from_db()
    assert chapter.body == "<p>The newer text, saved elsewhere.</p>"
    assert chapter.version == 2

    # Saving again, knowingly, on top of the newer version.
    again = {**mine, "version": kept["version"][0]}
    response = author_client.post(url, again)
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.body == "<p>My own careful rewrite.</p>"
    assert chapter.version == 3


def test_stale_edit_from_an_uploaded_file_keeps_the_files_text(author_client, work):
    chapter = work.chapters.get()
    url = f"/works/{work.pk}/chapters/{chapter.pk}/edit"
    chapter.body = "<p>Newer.</p>"
    chapter.version = 2
    chapter.save()

    upload = SimpleUploadedFile("rewrite.md", b"My *uploaded* rewrite.")
    data = chapter_data(text_format="markdown", notes="Typed **notes**", body="", upload=upload)
    response = author_client.post(url, {**data, "version": "1"})
    assert response.status_code == 200
    assert "This chapter changed after you opened it" in response.content.decode()
    kept = form_values(response)
    assert kept["body"] == ["My *uploaded* rewrite."]
    assert kept["notes"] == ["Typed **notes**"]
    assert kept["text_format"] == ["markdown"]
    assert 'id="id_body_error"' not in response.content.decode()

    resubmit = {name: values[0] for name, values in kept.items()}
    response = author_client.post(url, {**resubmit, "action": "save"})
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.body == "<p>My <em>uploaded</em> rewrite.</p>"
    assert chapter.notes == "<p>Typed <strong>notes</strong></p>"


def test_edit_without_a_version_is_treated_as_stale(author_client, work):
    chapter = work.chapters.get()
    url = f"/works/{work.pk}/chapters/{chapter.pk}/edit"
    response = author_client.post(url, chapter_data(body="<p>Versionless.</p>"))
    assert response.status_code == 200
    assert "This chapter changed after you opened it" in response.content.decode()
    chapter.refresh_from_db()
    assert chapter.body == "<p>The first chapter, in a few words.</p>"


# --- Delete ---------------------------------------------------------------------------------


def test_deleting_a_chapter_asks_first_and_renumbers_the_rest(author_client, author):
    work = make_work(author, chapters=3, expected_chapters=None)
    second = work.chapters.get(position=2)
    url = f"/works/{work.pk}/chapters/{second.pk}/delete"
    page = author_client.get(url)
    assert page.status_code == 200
    assert "Delete Chapter 2 of “" in page.content.decode()
    assert work.chapters.count() == 3

    response = author_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()
    assert list(work.chapters.values_list("position", flat=True)) == [1, 2]
    assert bodies(work)[1] == "<p>Chapter 3 text goes here.</p>"
    work.refresh_from_db()
    assert work.chapters_label == "2/?"


def test_the_only_chapter_cannot_be_deleted(author_client, work):
    chapter = work.chapters.get()
    response = author_client.post(f"/works/{work.pk}/chapters/{chapter.pk}/delete")
    assert response.status_code == 200
    assert "delete the work instead" in response.content.decode()
    assert work.chapters.count() == 1


def test_only_a_creator_can_delete_a_chapter(author):
    work = make_work(author, chapters=2, expected_chapters=None)
    chapter = work.chapters.get(position=2)
    other = Client()
    other.force_login(make_user())
    assert other.post(f"/works/{work.pk}/chapters/{chapter.pk}/delete").status_code == 404
    assert work.chapters.count() == 2


# --- Reorder --------------------------------------------------------------------------------


def test_chapters_are_reordered_by_their_position_numbers(author_client, author):
    work = make_work(author, chapters=3, expected_chapters=None)
    one, two, three = work.chapters.order_by("position")
    page = author_client.get(f"/works/{work.pk}/chapters/order")
    assert page.status_code == 200
    values = form_values(page)
    assert [values[f"position_{c.pk}"] for c in (one, two, three)] == [["1"], ["2"], ["3"]]

    data = {f"position_{one.pk}": "3", f"position_{two.pk}": "1", f"position_{three.pk}": "2"}
    response = author_client.post(f"/works/{work.pk}/chapters/order", data)
    assert response.status_code == 302
    assert response["Location"] == f"/works/{work.pk}/navigate"
    assert bodies(work) == [two.body, three.body, one.body]

    index = Client().get(f"/works/{work.pk}/navigate").content.decode()
    assert index.index(f"/chapters/{two.pk}/") < index.index(f"/chapters/{three.pk}/")
    assert index.index(f"/chapters/{three.pk}/") < index.index(f"/chapters/{one.pk}/")
    first_page = Client().get(work.get_absolute_url()).content.decode()
    assert "Chapter 2 text goes here." in first_page


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0", "greater than or equal to 1"),
        ("4", "less than or equal to 3"),
        ("abc", "Enter a whole number."),
        ("", "This field is required."),
    ],
)
def test_bad_chapter_positions_are_refused_at_the_field(author_client, author, bad, message):
    work = make_work(author, chapters=3, expected_chapters=None)
    one, two, three = work.chapters.order_by("position")
    before = bodies(work)
    data = {f"position_{one.pk}": bad, f"position_{two.pk}": "1", f"position_{three.pk}": "2"}
    response = author_client.post(f"/works/{work.pk}/chapters/order", data)
    assert response.status_code == 200
    assert message in errors_at(response, f"position_{one.pk}")
    values = form_values(response)
    assert values[f"position_{one.pk}"] == [bad]
    assert values[f"position_{two.pk}"] == ["1"]
    assert bodies(work) == before


def test_only_a_creator_can_reorder_chapters(author):
    work = make_work(author, chapters=2, expected_chapters=None)
    one, two = work.chapters.order_by("position")
    other = Client()
    other.force_login(make_user())
    data = {f"position_{one.pk}": "2", f"position_{two.pk}": "1"}
    assert other.post(f"/works/{work.pk}/chapters/order", data).status_code == 404
    assert list(work.chapters.order_by("position")) == [one, two]


def test_preview_of_a_new_chapter_shows_it_and_saves_nothing(author_client, work):
    data = chapter_data(body="A *new* chapter.", text_format="markdown", action="preview")
    response = author_client.post(f"/works/{work.pk}/chapters/new", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<em>new</em>" in page
    assert work.chapters.count() == 1
    assert form_values(response)["body"] == ["A *new* chapter."]


def test_preview_of_an_edit_saves_nothing(author_client, work):
    chapter = work.chapters.get()
    url = f"/works/{work.pk}/chapters/{chapter.pk}/edit"
    data = chapter_data(body="<p>Changed <b>text</b></p>", action="preview")
    response = author_client.post(url, {**data, "version": chapter.version})
    assert "Changed <b>text</b>" in response.content.decode()
    chapter.refresh_from_db()
    assert "Changed" not in chapter.body
