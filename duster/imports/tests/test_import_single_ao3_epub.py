"""AO3 HTML downloads and EPUB books (Duster's own, AO3's, any other), and bad zips."""

import datetime as dt
import io
import zipfile

import pytest

from duster.downloads import epub as duster_epub
from duster.downloads import html as duster_html
from duster.downloads.book import book_for
from duster.downloads.images import BookImages
from duster.imports.services import WorkImportError, work_import
from duster.imports.single import read_work
from duster.imports.single.detect import detect_format
from duster.lib.text import TextFormatError
from duster.testing.factories import make_user
from duster.works.models import Chapter, Work
from duster.works.services.chapters import chapter_create
from duster.works.services.works import work_create

from .single_helpers import ao3_epub, fixture, make_epub


def test_ao3_download_gives_chapters_with_their_own_titles_and_notes():
    data = fixture("ao3_download.html")
    assert detect_format("ferrylight.html", data) == "ao3"
    work = read_work("ferrylight.html", data)
    assert work.title == "Ferrylight"
    assert work.rating == "Teen And Up Audiences"
    assert work.warnings == ["Graphic Depictions Of Violence"]
    assert work.categories == ["F/M", "Gen"]
    assert work.fandoms == ["Clockwork Harbour"]
    assert work.relationships == ["Odile/Pim"]
    assert work.characters == ["Odile", "Pim", "The Ferryman"]
    assert work.freeforms == ["Slow Burn", "Boats"]
    assert work.expected_chapters == 4 and work.complete is False
    assert (work.published, work.updated) == (dt.date(2019, 4, 2), dt.date(2019, 5, 20))
    assert work.summary == "<p>The ferry runs at midnight. Nobody knows who pays the fare.</p>"
    assert work.notes == "<p>Co-written over one very long winter.</p>"
    assert work.end_notes == "<p>Thank you for reading! Chapter four is nearly done.</p>"
    assert [c.title for c in work.chapters] == ["The Landing", "", "Crossing"]
    first, second, third = work.chapters
    assert first.notes == "<p>Odile's point of view.</p>"
    assert first.end_notes == "<p>The dark lamp matters later.</p>"
    assert "landing stage" in first.body and "dark lamp matters" not in first.body
    assert "<p>* * *</p>" in second.body
    assert third.summary == "<p>Halfway across.</p>" and "Halfway across," in third.body


@pytest.mark.django_db
def test_ao3_download_becomes_a_work_with_mapped_rating_warnings_and_tags():
    user = make_user("tin")
    result = work_import(
        data=fixture("ao3_download.html"), filename="f.html", pseud=user.default_pseud, post=True
    )
    work = Work.objects.for_listing().get(pk=result.work.pk)
    assert work.rating == "teen"
    assert work.warnings == ["violence"]
    assert sorted(work.categories) == ["fm", "gen"]
    assert [t.name for t in work.relationships()] == ["Odile/Pim"]
    assert [t.name for t in work.freeforms()] == ["Slow Burn", "Boats"]
    assert work.chapters_label == "3/4" and not work.complete
    assert work.end_notes == "<p>Thank you for reading! Chapter four is nearly done.</p>"
    titles = list(work.chapters.order_by("position").values_list("title", flat=True))
    assert titles == ["The Landing", "", "Crossing"]


def _duster_work(user) -> Work:
    work = work_create(
        pseuds=[user.default_pseud],
        fields={
            "title": "Under the Glass Tide",
            "summary": "<p>Below the harbour, a second harbour.</p>",
            "notes": "<p>For the tide swap.</p>",
            "end_notes": "<p>More soon.</p>",
            "rating": "mature",
            "warnings": ["death"],
            "categories": ["ff"],
            "language": "en",
            "expected_chapters": None,
        },
        tags={
            "fandoms": ["Clockwork Harbour"],
            "relationships": ["Ada/Odile"],
            "characters": ["Ada", "Odile"],
            "freeforms": ["Underwater"],
        },
        chapter={
            "title": "Glass",
            "body": "<p>The glass was cold.</p><p>* * *</p><p>Then it was not.</p>",
            "notes": "<p>Chapter one notes.</p>",
        },
        post=True,
    )
    chapter_create(
        work=work,
        fields={"title": "Tide", "body": "<p>The tide came in.</p>", "end_notes": "<p>Bye.</p>"},
    )
    work.refresh_from_db()
    return work


@pytest.mark.django_db
def test_an_epub_made_by_duster_comes_back_as_the_same_work():
    user = make_user("glass")
    original = _duster_work(user)
    data = duster_epub.build(book_for(original), BookImages())
    assert detect_format("book.bin", data) == "epub"
    result = work_import(data=data, filename="book.epub", pseud=user.default_pseud, post=True)
    work = Work.objects.for_listing().get(pk=result.work.pk)
    assert work.pk != original.pk
    assert work.title == "Under the Glass Tide"
    assert work.rating == "mature" and work.warnings == ["death"] and work.categories == ["ff"]
    assert [t.name for t in work.fandoms()] == ["Clockwork Harbour"]
    assert [t.name for t in work.relationships()] == ["Ada/Odile"]
    assert [t.name for t in work.characters()] == ["Ada", "Odile"]
    assert [t.name for t in work.freeforms()] == ["Underwater"]
    assert "Below the harbour" in work.summary and "For the tide swap." in work.notes
    assert "More soon." in work.end_notes
    assert work.chapters_label == "2/?"
    first, second = work.chapters.order_by("position")
    assert (first.title, second.title) == ("Glass", "Tide")
    assert "Chapter one notes." in first.notes and "The glass was cold." in first.body
    assert "Chapter one notes." not in first.body and "Glass" not in first.body
    assert "Bye." in second.end_notes and "Bye." not in second.body


@pytest.mark.django_db
def test_an_html_download_from_duster_comes_back_as_the_same_work():
    user = make_user("glass")
    original = _duster_work(user)
    data = duster_html.build(book_for(original), BookImages())
    assert detect_format("book.html", data) == "duster"
    work = read_work("book.html", data)
    assert work.title == "Under the Glass Tide" and work.rating == "Mature"
    assert work.fandoms == ["Clockwork Harbour"] and work.characters == ["Ada", "Odile"]
    assert [c.title for c in work.chapters] == ["Glass", "Tide"]
    assert "Chapter one notes." in work.chapters[0].notes
    assert "More soon." in work.end_notes and "Contents" not in work.chapters[0].body


@pytest.mark.django_db
def test_an_epub_made_by_ao3_gives_its_preface_and_chapters():
    user = make_user("pim")
    result = work_import(data=ao3_epub(), filename="nine.epub", pseud=user.default_pseud, post=True)
    work = Work.objects.for_listing().get(pk=result.work.pk)
    assert work.title == "Nine Bells for Pim"
    assert work.rating == "mature" and work.warnings == ["none"]
    assert work.chapters_label == "2/2" and work.complete
    assert work.summary == "<p>Nine bells, one thief.</p>"
    assert work.end_notes == "<p>Thanks for reading.</p>"
    first, second = work.chapters.order_by("position")
    assert (first.title, second.title) == ("The First Bell", "The Ninth Bell")
    assert first.notes == "<p>Bell one.</p>" and "<hr>" in second.body
    # "Not, A, Tag" (the file's links give names Duster refuses) is dropped, with a warning.
    assert [t.name for t in work.freeforms()] == ["Bells"]
    assert any("Not, A, Tag" in warning for warning in result.warnings)
    assert work.published_at.date() == dt.date(2018, 12, 1)
    assert second.published_at.date() == dt.date(2019, 1, 5)


def test_any_other_epub_gives_one_chapter_per_document():
    data = make_epub(
        [
            ("one.xhtml", "<h1>Part One</h1><p>First.</p>"),
            ("two.xhtml", "<h1>Part Two</h1><p>Second.</p>"),
        ],
        title="Plain Book",
    )
    work = read_work("plain.epub", data)
    assert work.title == "Plain Book"
    assert [c.title for c in work.chapters] == ["Part One", "Part Two"]
    assert "First." in work.chapters[0].body and "Part One" not in work.chapters[0].body


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", b" " * (50 * 2**20))
    return buffer.getvalue()


def _lying_sizes() -> bytes:
    """A zip whose directory says a part is small while it unpacks to far more."""
    data = bytearray(_bomb())
    # Patch the central directory's uncompressed size of the second entry to 100 bytes.
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = (100).to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ao3_epub()[: len(ao3_epub()) // 2], "not a valid EPUB"),
        (_bomb(), "zip bomb"),
        (_lying_sizes(), "zip bomb|not a valid EPUB"),
        (make_epub([("a.xhtml", "<p> </p>")]), "no chapter text"),
        (
            make_epub([("a.xhtml", "<p>x</p>")], extra=[("OEBPS/x", "")])[:0] + b"PK\x03\x04junk",
            "not a valid EPUB|damaged",
        ),
    ],
    ids=["truncated", "bomb", "lying-sizes", "empty", "junk"],
)
def test_bad_epubs_are_refused_with_a_reason(data, message):
    with pytest.raises(TextFormatError, match=message):
        read_work("book.epub", data)


def test_an_epub_with_an_entity_declaration_is_refused():
    data = make_epub([("a.xhtml", "<p>x</p>")])
    evil = data.replace(b"urn:uuid:1", b"urn:uuid:2")  # still valid
    assert read_work("b.epub", evil).chapters
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY e SYSTEM "file:///etc/passwd">]><c>&e;</c>',
        )
    with pytest.raises(TextFormatError, match="not a valid EPUB"):
        read_work("c.epub", buffer.getvalue())


@pytest.mark.django_db
def test_a_bad_epub_creates_no_work():
    user = make_user("nobody")
    with pytest.raises(WorkImportError, match="book.epub: .*zip bomb"):
        work_import(data=_bomb(), filename="book.epub", pseud=user.default_pseud, post=True)
    assert not Work.objects.exists() and not Chapter.objects.exists()


def test_a_file_with_too_many_chapters_is_refused():
    chapter = (
        '<div class="meta group"><h2 class="heading">Chapter {n}</h2></div>'
        '<div class="userstuff"><p>Text {n}.</p></div>'
    )
    chapters = "".join(chapter.format(n=n) for n in range(1, 1_002))
    page = f'<html><body><div id="preface"></div><div id="chapters">{chapters}</div></body></html>'
    with pytest.raises(TextFormatError, match="1,001 chapters: import at most 1,000"):
        read_work("long.html", page.encode(), "ao3")
