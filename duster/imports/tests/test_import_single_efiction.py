"""Story pages saved from eFiction archives: HTML of several skins and text copied from a
browser, read by the labels eFiction's templates print."""

import datetime as dt

import pytest

from duster.imports.services import work_import
from duster.imports.single import read_work
from duster.imports.single.detect import detect_format
from duster.lib.text import TextFormatError
from duster.testing.factories import make_user
from duster.works.models import Chapter, Work, WorkState

from .single_helpers import fixture

CHROME = ("Report This", "Reviews", "to review", "Text Size", "Featured Story", "Most Recent",
          "Back to index", "archived at", "skin created", "Options", "Table of Contents")  # fmt: skip


def _all_text(work) -> str:
    parts = [work.title, work.summary, work.notes, work.end_notes]
    for chapter in work.chapters:
        parts += [chapter.title, chapter.notes, chapter.body, chapter.end_notes]
    return "\n".join(parts)


@pytest.mark.parametrize(
    "name",
    [
        "efiction_ezfiction_viewstory.html",
        "efiction_epiphany_viewstory.html",
        "efiction_berrygood_printable.html",
        "efiction_viewstory_copied.txt",
        "efiction_printable_copied.txt",
    ],
)
def test_every_saved_page_is_detected_by_content_and_loses_its_chrome(name):
    data = fixture(name)
    assert detect_format(name, data) == "efiction"
    # Content decides, not the name: the same bytes under another name read the same.
    assert detect_format("download", data) == "efiction"
    work = read_work(name, data)
    text = _all_text(work)
    for chrome in CHROME:
        assert chrome.casefold() not in text.casefold(), chrome
    assert "login" not in text and "Lantern Hollow Archive" not in text


def test_story_view_of_the_e_zfiction_skin():
    work = read_work("page.html", fixture("efiction_ezfiction_viewstory.html"))
    assert work.title == "The Cartographer's Daughter"
    assert work.notes == (
        "Written for the autumn map swap.<br>\n<br>\nThanks to mossgreen for the beta read!"
    )
    [chapter] = work.chapters
    assert chapter.title == "Ink and Salt"  # from the chapter menu
    assert chapter.notes.count("Chapter one!") == 1 and "Maren" not in chapter.notes
    assert "<i>moving</i>" in chapter.body and "地图不是领土。" in chapter.body
    assert '<p align="center">* * *</p>' in chapter.body
    assert "the map is not the territory" in chapter.end_notes
    assert "map is not" not in chapter.body
    # The featured story box of the skin's header is not this story's info.
    assert work.rating == "" and work.summary == ""


def test_story_view_of_a_german_skin():
    work = read_work("page.html", fixture("efiction_epiphany_viewstory.html"))
    assert work.title == "Salt in the Gears"
    [chapter] = work.chapters
    assert chapter.title == "Tick & Tock — or, Why 3 < 4 > 2"
    assert chapter.notes == "Odile finally meets the clockmaker."
    # eFiction's "<br /><br />" paragraphs become paragraphs, the "~~~" line a scene break.
    assert chapter.body == (
        "<p>The clockmaker kept his shop shut on Tuesdays.</p>\n"
        "<p>Odile knocked anyway, twice, then a third time for luck.</p>\n<hr>\n"
        "<p>Inside, every clock said a different hour, and all of them were right.</p>"
    )
    assert "clockmaker kept" not in chapter.notes


def test_printable_view_gives_every_chapter_and_the_info_block():
    work = read_work("print.html", fixture("efiction_berrygood_printable.html"))
    assert work.title == "Letters to the Lamplighter"
    assert "<i>very</i> stubborn" in work.summary
    assert work.fandoms == ["The Lamplighter Chronicles"]
    assert work.characters == ["Ada Finch", "Bram Holloway"]
    assert work.freeforms == ["Epistolary", "Romance"]
    assert work.warnings == []  # "None"
    assert work.complete is True and work.expected_chapters == 3
    assert (work.published, work.updated) == (dt.date(2009, 1, 14), dt.date(2009, 3, 2))
    assert "<b>sent</b>" in work.notes
    assert [c.title for c in work.chapters] == [
        "The First Letter",
        "Return to Sender",
        "Postmarked Home",
    ]
    first, second, third = work.chapters
    assert "Ada writes first." in first.notes and "Dear Lamplighter" in first.body
    assert "Bram is not good" in second.end_notes and "Bram is not" not in second.body
    assert "<hr>" in third.body and "All stories belong" not in third.body


def test_copied_story_view_splits_notes_from_text_at_the_single_line_break():
    work = read_work("copied.txt", fixture("efiction_viewstory_copied.txt"))
    assert work.title == "The Cartographer's Daughter"
    assert work.notes == (
        "<p>Written for the autumn map swap.</p>\n<p>Thanks to mossgreen for the beta read!</p>"
    )
    [chapter] = work.chapters
    assert chapter.notes == (
        "<p>Chapter one! Updates every couple of weeks, hopefully.</p>\n<p>Keep the lamps lit.</p>"
    )
    assert chapter.body.startswith("<p>Maren had drawn")
    assert "<hr>" in chapter.body  # the "* * *" line
    assert chapter.end_notes == "<p>The Chinese line means “the map is not the territory”.</p>"


def test_copied_printable_view_gives_every_chapter_in_order():
    work = read_work("copied.txt", fixture("efiction_printable_copied.txt"))
    assert work.title == "Letters to the Lamplighter"
    assert work.summary == (
        "<p>Forty-one letters, one lamplighter, and a very stubborn post office.</p>"
    )
    assert work.warnings == ["Character Death"] and work.complete is False
    assert work.notes == "<p>The letters are in the order they were sent, not received.</p>"
    assert [c.title for c in work.chapters] == ["The First Letter", "Return to Sender"]
    first, second = work.chapters
    assert first.notes == "<p>Ada writes first.</p>"
    assert first.body.startswith("<p>Dear Lamplighter,</p>") and "<hr>" in first.body
    assert second.end_notes == "<p>Bram is not good at letters. Yet.</p>"
    assert "Back to index" not in second.body


@pytest.mark.parametrize(
    "markup",
    [
        "<html><body><p>Just a page.</p></body></html>",
        # eFiction chrome with no story in it: a saved browse page.
        '<html><body><div id="pagetitle"><a href="viewstory.php?sid=1">A</a> by '
        '<a href="viewuser.php?uid=1">B</a></div>[<a href="reviews.php?x">Reviews</a> - 2] '
        "<a href='contact.php'>Report This</a></body></html>",
    ],
)
def test_html_that_is_not_a_story_page_is_refused(markup):
    with pytest.raises(TextFormatError, match="not a story saved from an eFiction archive"):
        read_work("page.html", markup.encode(), "efiction")


@pytest.mark.django_db
def test_importing_the_printable_page_posts_a_multi_chapter_work_with_its_metadata():
    user = make_user("juniper")
    result = work_import(
        data=fixture("efiction_berrygood_printable.html"),
        filename="print.html",
        pseud=user.default_pseud,
        post=True,
    )
    work = Work.objects.for_listing().get(pk=result.work.pk)
    assert work.state == WorkState.POSTED
    assert work.title == "Letters to the Lamplighter"
    assert work.chapters_label == "3/3" and work.complete
    assert [t.name for t in work.fandoms()] == ["The Lamplighter Chronicles"]
    assert [t.name for t in work.characters()] == ["Ada Finch", "Bram Holloway"]
    assert [t.name for t in work.freeforms()] == ["Epistolary", "Romance"]
    assert work.rating == "not_rated"  # the printable view prints no rating
    assert work.published_at.date() == dt.date(2009, 1, 14)
    chapters = list(Chapter.objects.filter(work=work).order_by("position"))
    assert [c.title for c in chapters] == [
        "The First Letter",
        "Return to Sender",
        "Postmarked Home",
    ]
    assert all(c.posted for c in chapters)
    first, last = chapters[0].published_at, chapters[2].published_at
    assert first is not None and first.date() == dt.date(2009, 1, 14)
    assert last is not None and last.date() == dt.date(2009, 3, 2)
    assert "Ada writes first." in chapters[0].notes
    assert "Bram is not good" in chapters[1].end_notes
    assert "<b>sent</b>" in work.notes


def test_copied_page_without_notes_starts_after_the_chrome_and_ends_at_the_navigation():
    copied = (
        "Home | Login | Search\nA Small Hour by mossgreen\n [Reviews - 0]\n"
        "Table of Contents [Report This]\n- Text Size +\nOnce upon a small hour.\n"
        "The clock stopped.\n\no0o\n\nSecond para.\nPrevious Next\n"
        "You must login (register) to review.\nFooter text\n"
    )
    work = read_work("a.txt", copied.encode())
    assert work.title == "A Small Hour" and not work.notes
    [chapter] = work.chapters
    assert chapter.body == (
        "<p>Once upon a small hour.<br>The clock stopped.</p>\n<hr>\n<p>Second para.</p>"
    )
