"""Taking everything with you: a writer's works zip (works.json and an EPUB
per posted work), an account's own data as JSON, and the whole archive with
`manage.py export_archive`, all in the one open format."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image as PILImage

from duster.accounts.blocks import block_user
from duster.accounts.models import SavedSearch, User
from duster.accounts.mutes import mute_tag, mute_user
from duster.community.models import Comment, Reading
from duster.community.services.bookmarks import bookmark_save
from duster.community.services.comments import comment_post
from duster.community.services.history import reading_mark_for_later, reading_record
from duster.community.services.kudos import kudos_leave
from duster.community.services.subscriptions import subscription_add
from duster.downloads import export, tasks_export
from duster.images.services import image_upload
from duster.tags.models import Tag, TagType
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Chapter, Series, Work
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def writer():
    return make_user("writer")


@pytest.fixture
def shelf(writer):
    """The writer's works: a posted two-chapter work with chapter notes, an
    anonymous one, a restricted one, a draft; a series ordered by hand."""
    tide = make_work(writer, title="The Tide", expected_chapters=2, freeforms=["Salt"])
    chapter_create(
        work=tide,
        fields={
            "title": "The Storm",
            "notes": "<p>Written during a storm.</p>",
            "end_notes": "<p>Thanks for reading.</p>",
            "body": "<p>Waves broke over the harbour wall.</p>",
        },
    )
    masked = make_work(writer, title="Masked", anonymous=True)
    locked = make_work(writer, title="Behind Doors", restricted=True)
    draft = make_work(writer, title="Half Done", post=False)
    series = make_series(writer, works=[tide, locked], title="Coastlines")
    series_add_work(series=series, work=draft, position=1)
    return {"tide": tide, "masked": masked, "locked": locked, "draft": draft, "series": series}


def by_title(document) -> dict:
    return {work["title"]: work for work in document["works"]}


def login(client, user) -> None:
    client.force_login(user)


def test_works_json_has_every_work_with_chapter_notes_and_the_series_order(writer, shelf):
    document = json.loads(export.dumps(export.writer_document(writer)))
    assert (document["format"], document["version"], document["kind"]) == (
        "duster-export",
        1,
        "works",
    )
    works = by_title(document)
    assert set(works) == {"The Tide", "Masked", "Behind Doors", "Half Done"}
    tide = works["The Tide"]
    assert [c["position"] for c in tide["chapters"]] == [1, 2]
    storm = tide["chapters"][1]
    assert storm["title"] == "The Storm"
    assert storm["notes"] == "<p>Written during a storm.</p>"
    assert storm["end_notes"] == "<p>Thanks for reading.</p>"
    assert storm["text"] == "<p>Waves broke over the harbour wall.</p>"
    assert storm["posted"] is True and storm["published_at"] and storm["word_count"] == 6
    assert {"name": "Salt", "type": "freeform"} in [
        {k: t[k] for k in ("name", "type")} for t in tide["tags"]
    ]
    assert tide["creators"][0]["username"] == "writer"
    assert works["Masked"]["anonymous"] is True
    assert works["Masked"]["creators"][0]["username"] == "writer"
    assert works["Behind Doors"]["restricted"] is True
    assert works["Half Done"]["state"] == "draft"
    assert works["Half Done"]["chapters"][0]["posted"] is False
    [series] = document["series"]
    assert series["title"] == "Coastlines"
    assert series["works"] == [shelf["draft"].pk, shelf["tide"].pk, shelf["locked"].pk]
    assert {"id": series["id"], "position": 2} in tide["series"]
    assert "email" not in document["user"] and "password" not in json.dumps(document)


def test_works_json_costs_the_same_queries_for_more_works(writer):
    make_series(writer, works=[make_work(writer)])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export.writer_document(writer)
        return len(captured)

    few = queries()
    for _ in range(3):
        make_series(writer, works=[make_work(writer, chapters=3, freeforms=["More"])])
    assert queries() == few


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_works_zip_holds_one_real_epub_per_posted_work(client, writer, shelf):
    login(client, writer)
    response = client.post(reverse("works_export"))
    status_url = response["Location"]
    token = status_url.rstrip("/").rsplit("/", 1)[1]
    page = client.get(status_url)
    assert page.status_code == 200
    assert b"Your works are ready" in page.content
    assert b"4 works" in page.content and b"3 EPUBs" in page.content
    assert b'http-equiv="refresh"' not in page.content
    response = client.get(reverse("works_export_file", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    bundle = zip_of(response)
    document = json.loads(bundle.read("works.json"))
    posted = [shelf["tide"], shelf["masked"], shelf["locked"]]
    assert document["epubs"] == {str(w.pk): tasks_export.epub_name(w) for w in posted}
    assert sorted(n for n in bundle.namelist() if n.endswith(".epub")) == sorted(
        document["epubs"].values()
    )
    assert len(document["works"]) == 4
    epub = zipfile.ZipFile(io.BytesIO(bundle.read(tasks_export.epub_name(shelf["tide"]))))
    assert epub.read("mimetype") == b"application/epub+zip"
    texts = b"".join(epub.read(name) for name in epub.namelist() if name.endswith(".xhtml"))
    assert b"Waves broke over the harbour wall." in texts
    assert b"Written during a storm." in texts


def test_the_status_page_reloads_itself_while_the_zip_is_being_made(
    client, writer, shelf, monkeypatch
):
    enqueued: list[tuple] = []

    class Queue:  # no worker yet: the task waits in the queue
        @staticmethod
        def enqueue(*args):
            enqueued.append(args)

    monkeypatch.setattr(tasks_export, "writer_export_build", Queue)
    login(client, writer)
    first = client.post(reverse("works_export"))
    again = client.post(reverse("works_export"))
    assert first["Location"] == again["Location"]  # one build, not two
    assert len(enqueued) == 1
    page = client.get(first["Location"])
    assert page.status_code == 202
    assert b'<meta http-equiv="refresh" content="5">' in page.content
    token = first["Location"].rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("works_export_file", args=[token])).status_code == 404
    # The worker gets to it: the same page now offers the file.
    tasks_export.works_export_build(*enqueued[0])
    page = client.get(first["Location"])
    assert b"Download the zip" in page.content
    index = client.get(reverse("export_index"))
    assert reverse("works_export_file", args=[token]).encode() in index.content


def test_a_failed_zip_says_so_and_may_be_tried_again(client, writer, shelf, monkeypatch):
    def broken(user, out):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks_export, "writer_zip_write", broken)
    login(client, writer)
    page = client.get(client.post(reverse("works_export"))["Location"])
    assert page.status_code == 200
    assert b"This export could not be made" in page.content
    assert b'http-equiv="refresh"' not in page.content


def test_an_epub_that_fails_leaves_the_rest_of_the_zip(writer, shelf, monkeypatch):
    from duster.downloads.formats import FORMATS, Format

    real = Format.build

    def build(self, book, images):
        if book.title == "Masked":
            raise ValueError("broken picture")
        return real(self, book, images)

    monkeypatch.setattr(Format, "build", build)
    out = io.BytesIO()
    facts = tasks_export.writer_zip_write(writer, out)
    assert facts == {"works": 4, "epubs": 2}
    document = json.loads(zipfile.ZipFile(out).read("works.json"))
    assert str(shelf["masked"].pk) not in document["epubs"]
    assert "Masked" in by_title(document)
    assert FORMATS["epub"].extension == "epub"


def test_a_new_zip_replaces_the_older_one(client, writer, shelf):
    login(client, writer)
    first = client.post(reverse("works_export"))["Location"]
    second = client.post(reverse("works_export"))["Location"]
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_another_user_cannot_fetch_someones_works_zip(client, writer, shelf):
    login(client, writer)
    status_url = client.post(reverse("works_export"))["Location"]
    token = status_url.rstrip("/").rsplit("/", 1)[1]
    file_url = reverse("works_export_file", args=[token])
    client.force_login(make_user("snoop"))
    assert client.get(status_url).status_code == 404
    assert client.get(file_url).status_code == 404
    document = json.loads(client.get(reverse("account_data_export")).content)
    assert document["user"]["username"] == "snoop"
    assert document["works"] == [] and document["series"] == []


@pytest.mark.parametrize(
    "name,args",
    [
        ("export_index", []),
        ("account_data_export", []),
        ("works_export_status", ["a" * 22]),
        ("works_export_file", ["a" * 22]),
    ],
)
def test_guests_are_sent_to_log_in(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


def test_a_guest_cannot_start_a_works_zip_and_a_get_starts_nothing(client, writer):
    response = client.post(reverse("works_export"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    login(client, writer)
    assert client.get(reverse("works_export")).status_code == 405
    assert tasks_export.exports_of(writer.pk) == []


def test_a_made_up_token_is_not_found(client, writer):
    login(client, writer)
    for token in ("short", "a" * 22, "../../etc/passwd" * 2):
        assert client.get(f"/account/export/works/{token}/").status_code == 404


@pytest.fixture
def reader_data(writer, shelf):
    """A reader's traces all over the writer's works, and another reader's."""
    reader = make_user("reader", time_zone="Europe/Paris", reader_theme="dark")
    tide, locked = shelf["tide"], shelf["locked"]
    bookmark_save(user=reader, work=tide, notes="Salt and storms.", tags=["Comfort"])
    bookmark_save(user=reader, work=locked, notes="Only mine.", private=True)
    bookmark_save(user=reader, series=shelf["series"], rec=True)
    reading_record(user=reader, work=tide, chapter=tide.chapters.get(position=2))
    reading_mark_for_later(user=reader, work=locked)
    comment_post(work=tide, user=reader, body="The storm chapter!")
    kudos_leave(work=tide, user=reader)
    subscription_add(user=reader, work=tide)
    subscription_add(user=reader, creator=writer)
    block_user(user=reader, other=make_user("troll"))
    mute_user(user=reader, other=make_user("loud"))
    mute_tag(user=reader, tag=Tag.objects.get(name="Salt"))
    SavedSearch.objects.create(user=reader, name="Storms", query="q=storm")
    other = make_user("other")
    bookmark_save(user=other, work=tide, notes="Someone else's secret.", private=True)
    comment_post(work=tide, user=other, body="Not the reader's comment.")
    return reader


def test_an_account_export_has_its_own_data_and_no_one_elses(client, reader_data, shelf):
    login(client, reader_data)
    response = client.get(reverse("account_data_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="duster-reader-')
    document = json.loads(response.content)
    assert (document["format"], document["version"], document["kind"]) == (
        "duster-export",
        1,
        "account",
    )
    user = document["user"]
    assert user["username"] == "reader" and user["email"] == "reader@example.com"
    assert user["preferences"]["time_zone"] == "Europe/Paris"
    assert user["preferences"]["reader_theme"] == "dark"
    assert "password" not in json.dumps(document)
    notes = {b["notes"]: b for b in document["bookmarks"]}
    assert set(notes) == {"<p>Salt and storms.</p>", "<p>Only mine.</p>", ""}
    assert notes["<p>Only mine.</p>"]["private"] is True
    assert notes["<p>Salt and storms.</p>"]["tags"] == ["Comfort"]
    assert notes["<p>Salt and storms.</p>"]["work"]["title"] == "The Tide"
    assert notes[""]["series"]["title"] == "Coastlines"
    assert "Someone else" not in response.content.decode()
    history = {h["work"]["title"]: h for h in document["history"]}
    assert history["The Tide"]["chapter_id"] == shelf["tide"].chapters.get(position=2).pk
    assert history["Behind Doors"]["marked_for_later"] is True
    [comment] = document["comments"]
    assert comment["text"] == "<p>The storm chapter!</p>"
    assert comment["work"]["title"] == "The Tide"
    assert [k["work_id"] for k in document["kudos"]] == [shelf["tide"].pk]
    assert {s.get("creator", {}).get("username") for s in document["subscriptions"]} == {
        None,
        "writer",
    }
    assert [b["blocked"]["username"] for b in document["blocks"]] == ["troll"]
    assert {
        (m.get("muted_user") or m["tag"])["username" if "muted_user" in m else "name"]
        for m in document["mutes"]
    } == {
        "loud",
        "Salt",
    }
    assert [s["name"] for s in document["saved_searches"]] == ["Storms"]
    assert document["works"] == []


def test_a_writers_account_export_lists_their_works_without_chapter_text(client, writer, shelf):
    login(client, writer)
    document = json.loads(client.get(reverse("account_data_export")).content)
    works = by_title(document)
    assert set(works) == {"The Tide", "Masked", "Behind Doors", "Half Done"}
    assert works["Masked"]["anonymous"] is True
    assert works["The Tide"]["chapter_count"] == 2
    assert "chapters" not in works["The Tide"]
    assert [s["title"] for s in document["series"]] == ["Coastlines"]


def test_an_account_export_writes_nothing_and_costs_fixed_queries(client, reader_data, shelf):
    login(client, reader_data)

    def run() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("account_data_export")).status_code == 200
        return [q["sql"].split()[0].upper() for q in captured]

    run()  # the first request of a session warms caches up
    before = run()
    assert set(before) <= {"SELECT", "SAVEPOINT", "RELEASE"}, before
    for number in range(3):
        work = make_work(make_user(), title=f"More {number}")
        bookmark_save(user=reader_data, work=work, tags=[f"Tag {number}"])
        comment_post(work=work, user=reader_data, body="More!")
        kudos_leave(work=work, user=reader_data)
        reading_record(user=reader_data, work=work)
    assert len(run()) == len(before)


def read_archive(path) -> tuple[dict, dict[str, list[dict]]]:
    with zipfile.ZipFile(path) as bundle:
        head = json.loads(bundle.read("export.json"))
        kinds = {
            kind: [json.loads(line) for line in bundle.read(name).splitlines()]
            for kind, name in head["files"].items()
        }
    return head, kinds


def test_export_archive_round_trips_the_counts(tmp_path, reader_data, shelf, capsys):
    Tag.objects.filter(name="Salt").update(canonical=True)
    synonym = Tag.objects.create(name="Sea Salt", type=TagType.FREEFORM, slug="sea-salt")
    synonym.merger = Tag.objects.get(name="Salt")
    synonym.save()
    target = tmp_path / "archive.zip"
    call_command("export_archive", str(target), "--batch-size", "2")
    head, kinds = read_archive(target)
    assert (head["format"], head["version"], head["kind"]) == ("duster-export", 1, "archive")
    assert len(kinds["works"]) == Work.objects.count() == head["counts"]["works"]
    assert sum(len(w["chapters"]) for w in kinds["works"]) == Chapter.objects.count()
    assert head["counts"]["chapters"] == Chapter.objects.count()
    assert len(kinds["users"]) == User.objects.count()
    assert len(kinds["tags"]) == Tag.objects.count()
    assert len(kinds["comments"]) == Comment.objects.count() == 2
    assert len(kinds["series"]) == Series.objects.count()
    assert len(kinds["history"]) == Reading.objects.count()
    assert {k: len(v) for k, v in kinds.items()} == {
        k: v for k, v in head["counts"].items() if k != "chapters"
    }
    works = by_title(kinds)
    assert works["Masked"]["anonymous"] is True
    assert works["Masked"]["creators"][0]["username"] == "writer"
    assert works["Half Done"]["state"] == "draft"
    assert works["Behind Doors"]["restricted"] is True
    tags = {t["name"]: t for t in kinds["tags"]}
    assert tags["Sea Salt"]["synonym_of"] == tags["Salt"]["id"]
    assert tags["No Archive Warnings Apply"]["type"] == "warning"
    text = target.read_bytes()
    assert b"example.com" not in zipfile.ZipFile(target).read("users.jsonl")
    assert text  # the zip is written, and no half file is left beside it
    assert not (tmp_path / "archive.zip.part").exists()
    [series] = kinds["series"]
    assert series["works"] == [shelf["draft"].pk, shelf["tide"].pk, shelf["locked"].pk]
    assert any(b["private"] for b in kinds["bookmarks"])
    out = capsys.readouterr()
    assert f"Exported {Work.objects.count()} works ({Chapter.objects.count()} chapters)" in out.out
    assert "Exporting [" in out.err


def test_export_archive_reads_in_batches_whatever_the_number_of_works(tmp_path, writer):
    make_work(writer)

    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            call_command("export_archive", str(tmp_path / name), "--batch-size", "1000")
        return len(captured)

    few = queries("few.zip")
    for _ in range(4):
        make_work(writer, chapters=2, freeforms=["Extra"])
    assert queries("more.zip") == few


def test_export_archive_refuses_a_folder_and_an_existing_file(tmp_path):
    with pytest.raises(CommandError, match="is a directory"):
        call_command("export_archive", str(tmp_path))
    taken = tmp_path / "taken.zip"
    taken.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("export_archive", str(taken))
    assert taken.read_bytes() == b"keep me"
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_archive", str(tmp_path / "nowhere" / "a.zip"))
    call_command("export_archive", str(taken), "--force")
    assert zipfile.is_zipfile(taken)


def test_the_works_page_links_to_the_export_for_its_owner_only(client, writer, shelf):
    url = reverse("user_works", args=[writer.username])
    link = reverse("export_index").encode()
    assert link not in client.get(url).content
    login(client, make_user("visitor"))
    assert link not in client.get(url).content
    login(client, writer)
    assert link in client.get(url).content
    assert link in client.get(reverse("preferences")).content


def test_export_archive_carries_the_uploaded_pictures(tmp_path, writer, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    picture = io.BytesIO()
    PILImage.new("RGB", (12, 8), (200, 80, 40)).save(picture, "PNG")
    upload = SimpleUploadedFile("cover.png", picture.getvalue(), content_type="image/png")
    image = image_upload(uploader=writer, upload=upload)
    target = tmp_path / "archive.zip"
    call_command("export_archive", str(target))
    head, kinds = read_archive(target)
    [record] = kinds["images"]
    assert record["url"].endswith(image.get_absolute_url())
    assert (record["width"], record["height"]) == (12, 8)
    with zipfile.ZipFile(target) as bundle, image.file.open("rb") as stored:
        assert bundle.read(record["file"]) == stored.read()
    assert head["counts"]["images"] == 1
