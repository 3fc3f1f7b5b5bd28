"""Importing an eFiction archive (issue 13): the real archive-A fixture checked fact by fact
against the ground truth in its README, importing it again, and variants of the dump written
by rewriting its text (another prefix, no CREATE TABLE, DATETIME dates, double-encoded text,
a cut-off dump, an unknown table, chapter text in files, a mapping file)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError
from django.db import transaction
from django.db.models import Count
from django.test import TestCase, override_settings
from django.urls import reverse

from duster.accounts.models import User, username_validator
from duster.community.choices import CommentState
from duster.community.models import Bookmark, Comment, Notification, Subscription
from duster.community.services.subscriptions import subscription_add
from duster.imports.efiction import read_dump
from duster.imports.models import ImportKind, LegacyId
from duster.imports.tests.efiction_helpers import (
    ARCHIVE_A,
    add_after,
    archive_text,
    insert_line,
    legacy,
    rewrite_rows,
    row_counts,
    run_import,
    snapshot,
    users_by_uid,
    visible_text,
    without_rows,
    works_by_sid,
)
from duster.works.models import Chapter, Series, Work
from duster.works.services.chapters import chapter_create

pytestmark = pytest.mark.skipif(not ARCHIVE_A.exists(), reason="archive-a fixture missing")


def utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)


def minute(when: dt.datetime | None) -> dt.datetime | None:
    return when.replace(second=0, microsecond=0) if when else None


# --- the ground truth of the fixture's README ------------------------------------------

# uid: (pen name, real name, joined)
MEMBERS = {
    1: ("Hollowkeeper", "", "2008-11-02 14:22"),
    2: ("mossgreen", "Zoë Brennan", "2008-11-05 19:12"),
    3: ("Quillfeather", "Tobias Lund", "2008-11-09 21:40"),
    4: ("bramblereader", "", "2008-11-15 13:00"),
    5: ("tin_lantern", "", "2008-12-01 10:00"),
    6: ("Juniper Vane", "June Åkesson", "2008-12-20 16:20"),
}


# sid: title, creators, rating, complete, chapters, eFiction's words, fandoms, characters,
# warnings, genres, published, updated
STORIES: dict[int, tuple[Any, ...]] = {
    1: ("Lamplight, Slowly", ["mossgreen"], "general", True, 1, 300, ["The Ember Road"],
        ["Wren Ashdown", "Mother Hobb"], ["none"], ["Friendship", "Drama"],
        "2008-11-12 20:10", "2008-11-12 20:10"),
    2: ("The Cartographer's Daughter", ["mossgreen"], "teen", True, 3, 538, ["The Glass Tide"],
        ["Tamsin Reed", "The Cartographer"], ["none"], ["Adventure", "Mystery"],
        "2008-11-20 18:05", "2009-01-08 21:04"),
    3: ("Salt in the Gears", ["Quillfeather"], "teen", False, 4, 566, ["Clockwork Harbour"],
        ["Odile Marchetti", "Pim"], ["violence"], ["Mystery", "Adventure"],
        "2008-12-10 23:50", "2009-05-11 21:04"),
    4: ("A Small Hour", ["Quillfeather"], "general", True, 1, 175, ["Clockwork Harbour"],
        ["August Fenwick"], ["none"], ["Angst"], "2009-01-05 11:05", "2009-01-05 11:05"),
    5: ("What the River Kept", ["tin_lantern"], "mature", True, 2, 314, ["The Ember Road"],
        ["Wren Ashdown", "Idris Vell"], ["death"], ["Angst", "Romance"],
        "2009-02-14 14:05", "2009-02-18 20:04"),
    6: ("Ferrylight", ["tin_lantern", "Juniper Vane"], "teen", False, 3, 508,
        ["The Ember Road", "The Glass Tide"], ["Wren Ashdown", "Idris Vell", "Tamsin Reed"],
        ["none"], ["Adventure", "Friendship"], "2009-03-20 21:05", "2009-07-30 22:34"),
    7: ("Nine Bells for Pim", ["Juniper Vane"], "general", True, 1, 218, ["Clockwork Harbour"],
        ["Pim", "Odile Marchetti"], ["none"], ["Humor", "Friendship"],
        "2009-04-02 15:05", "2009-04-02 15:05"),
    8: ("The Orchard Ledger", ["Juniper Vane"], "teen", True, 1, 194, ["Original Fiction"],
        ["Original Character"], ["none"], ["Drama"], "2009-06-18 17:05", "2009-06-18 17:05"),
    9: ("Under the Glass Tide", ["mossgreen"], "teen", False, 2, 284, ["The Glass Tide"],
        ["Tamsin Reed"], ["violence"], ["Adventure"], "2009-08-09 15:05", "2009-10-31 21:04"),
    10: ("Letters to the Lamplighter", ["tin_lantern"], "teen", True, 3, 426, ["The Ember Road"],
         ["Wren Ashdown", "Mother Hobb"], ["none"], ["Friendship", "Romance"],
         "2009-09-15 20:05", "2010-01-10 18:04"),
}  # fmt: skip

# sid: [(chapid, title, eFiction's words, notes?, end notes?, tags in the text, non-ASCII)]
CHAPTERS: dict[int, list[tuple[Any, ...]]] = {
    1: [(1, "Lamplight, Slowly", 300, True, True, "b hr i p", "—’“”…")],
    2: [(2, "The Blank Corner", 182, True, False, "b i p", "—’“”地图不是领土。"),
        (3, "Soundings", 158, False, True, "p", "—’“”"),
        (6, "Here Be Nothing", 198, True, True, "i p", "—’“”")],
    3: [(4, "The Stopped Clock", 133, True, False, "br", ""),
        (7, "Brine", 109, False, True, "br i", "—"),
        (10, "Tick & Tock — or, Why 3 < 4 > 2", 170, True, False, "br", "—"),
        (14, "The Harbourmaster's Ledger", 154, False, True, "br i", "")],
    4: [(5, "Chapter 1", 175, True, True, "", "")],
    5: [(8, "Low Water", 156, True, False, "em p", "—’"),
        (9, "High Water", 158, True, True, "p strong", "—’“”")],
    6: [(11, "The Night Crossing", 161, True, False, "b p", "—’“”"),
        (13, "Three Passengers", 188, True, True, "p", "—’“”"),
        (16, "The Far Landing", 159, True, False, "i p", "“”")],
    7: [(12, "Nine Bells for Pim", 218, True, True, "i", "éïü—")],
    8: [(15, "The Orchard Ledger", 194, True, False, "blockquote i li ol p u", "—")],
    9: [(17, "Descent", 155, True, False, "hr i p", "—’"),
        (19, "The Knocking", 129, False, True, "b p", "’“”…")],
    10: [(18, "Autumn", 113, True, False, "b blockquote center i p", "—"),
         (20, "Winter", 135, True, True, "b blockquote center i p u", "—"),
         (21, "Spring", 178, True, True, "b blockquote center p", "—")],
}  # fmt: skip

# seriesid: (title, owner, story ids in reading order)
SERIES = {
    1: ("Odile's Casebook", "Quillfeather", [3, 7, 4]),
    2: ("Roads and Tides", "mossgreen", [10, 1, 9, 2]),
    3: ("The Lantern Hollow Omnibus", "mossgreen", [5, 10, 1, 9, 2, 6]),
}

# reviewid: (sid, chapter inorder, reviewer uid, rating, date, text starts)
REVIEWS = {
    1: (1, 1, 3, 9, "2008-11-14 08:30", "The bit where Wren tries to turn the key and it wo"),
    2: (1, 1, 4, None, "2008-11-18 22:10", "More Mother Hobb, please! She's my favourite and s"),
    3: (2, 2, 5, 8, "2008-12-05 09:15", "“It simply stopped being there, like a word rubbed"),
    4: (3, 1, 4, 10, "2008-12-12 07:50", 'Odile making a note "for things that were probably'),
    5: (4, 1, 2, 7, "2009-01-06 20:00", 'Oof. The "Liar." line. Poor August.'),
    6: (
        2,
        3,
        6,
        10,
        "2009-01-10 10:30",
        "地图不是领土 — I had to look it up, and then I had to si",
    ),
    7: (3, 2, 4, None, "2009-01-22 12:00", 'Pim and her "before"... I need to know what happen'),
    8: (5, 1, 3, 9, "2009-02-16 09:00", "The boots by the door. Eleven of them. That's all,"),
    9: (5, 2, 4, 10, "2009-02-20 23:00", "I cried on the bus. Thank you for this — the line "),
    10: (3, 3, 2, 8, "2009-03-05 18:00", "The chapter title made me laugh out loud, and then"),
    11: (7, 1, 3, 10, "2009-04-03 08:00", '"A cake that had never been lied to in its life" —'),
    12: (6, 2, 4, 9, "2009-04-28 22:00", "Juniper's chapter is wonderful — the ferryman sayi"),
    13: (8, 1, 2, None, "2009-06-20 09:30", "The last line turned the whole thing around for me"),
    14: (9, 1, 6, 8, "2009-08-12 19:00", "Fish moving through its ribs like thoughts through"),
    15: (10, 2, 3, 9, "2009-11-22 10:00", '"Tell me something about yourself that is not abou'),
    16: (10, 3, 4, 10, "2010-01-12 08:00", "THE WHISTLE. THE HORSE. I'm so happy. Thank you fo"),
    17: (9, 2, 5, None, "2010-01-15 22:00", "Straight down!! Please update soon, I need to know"),
}
SERIES_REVIEW = (
    18,
    1,
    4,
    9,
    "2010-02-05 20:00",
    "Reading these in the order Quill put them makes th",
)
# reviewid: uid of the member whose response it is
REPLIES = {9: 5, 12: 6}

# (member uid, sid or seriesid, notes)
STORY_BOOKMARKS = [
    (2, 7, "Pure joy."),
    (3, 10, "Gentle and perfect."),
    (4, 2, "My favourite Glass Tide story."),
    (4, 5, ""),
    (6, 3, "Need chapter five!!"),
]
SERIES_BOOKMARKS = [(4, 1, "Best read in order!"), (6, 2, "")]
SUBSCRIPTIONS = [(2, 3), (3, 5), (4, 2), (5, 6)]

FIRST_REPORT = [
    "member: 6 imported",
    "story: 10 imported",
    "series: 3 imported",
    "review: 18 imported",
    "reply: 2 imported",
    "favourite story: 5 imported",
    "favourite author: 4 imported",
    "favourite series: 2 imported",
]


def report_lines(output: str) -> list[str]:
    return [
        line
        for line in output.splitlines()
        if re.match(r"(member|story|series|review|reply|favourite \w+): ", line)
    ]


@pytest.fixture(scope="module")
def dump_rows():
    dump = read_dump(ARCHIVE_A)
    return {table: dump.rows(table) for table in ("authors", "stories", "chapters", "reviews")}


# --- archive A imported once for the whole class -------------------------------------------

# The first import's snapshot, for the variant tests to compare with.
_BASELINE: dict[str, Any] = {}

# What conftest.py's autouse fixture sets per test, for the class-wide import.
_TEST_SETTINGS = {
    "SEARCH_INDEX_DIR": "",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "TASKS": {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "efiction-import-tests",
        }
    },
}


@pytest.fixture(scope="class")
def imported(django_db_setup, django_db_blocker):
    """Archive A imported once; every test of the class runs in a savepoint inside this
    transaction, which is rolled back after the class."""
    with django_db_blocker.unblock(), override_settings(**_TEST_SETTINGS), transaction.atomic():
        mail.outbox = []
        # What would run once the import commits (subscribers' notices among it) runs too.
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            output = run_import(ARCHIVE_A)
        _BASELINE.setdefault("snapshot", snapshot())
        yield {"output": output, "mails": list(mail.outbox), "callbacks": len(callbacks)}
        transaction.set_rollback(True)


@pytest.fixture
def baseline(django_db_blocker):
    """The snapshot of a plain import of archive A (taken by `imported`, or here)."""
    if "snapshot" not in _BASELINE:
        with django_db_blocker.unblock(), transaction.atomic():
            run_import(ARCHIVE_A)
            _BASELINE["snapshot"] = snapshot()
            transaction.set_rollback(True)
    return _BASELINE["snapshot"]


@pytest.mark.django_db
@pytest.mark.usefixtures("imported")
class TestArchiveA:
    def test_the_report_counts_everything(self, imported):
        assert report_lines(imported["output"]) == FIRST_REPORT
        assert "skipped" not in imported["output"] and "error" not in imported["output"]
        kinds = dict(
            LegacyId.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
        )
        assert kinds == {
            "author": 6,
            "story": 10,
            "chapter": 21,
            "series": 3,
            "review": 18,
            "reply": 2,
            "bookmark": 7,
            "subscription": 4,
        }

    def test_members_are_unclaimed_accounts_with_their_pen_names(self, dump_rows):
        bios = {row["uid"]: row["bio"] or "" for row in dump_rows["authors"]}
        users = users_by_uid()
        assert sorted(users) == [1, 2, 3, 4, 5, 6]
        assert User.objects.count() == 6
        for uid, (penname, realname, joined) in MEMBERS.items():
            user = users[uid]
            username_validator(user.username)
            assert not user.has_usable_password()
            assert minute(user.date_joined) == utc(joined)
            pseud = user.default_pseud
            assert pseud.name == penname
            assert user.pseuds.count() == 1
            if realname:
                assert f"Real name: {realname}" in pseud.description
            assert visible_text(bios[uid]) in visible_text(pseud.description), uid
        assert users[6].username != "Juniper Vane"  # a space is no good in a username
        assert "I write about lamps, maps and people who won’t give up." in (
            users[2].default_pseud.description
        )
        assert "Mostly a reader." in users[4].default_pseud.description

    def test_every_story_of_the_table(self):
        works = works_by_sid()
        assert sorted(works) == list(range(1, 11))
        assert Work.objects.count() == 10
        for sid, row in STORIES.items():
            title, creators, rating, complete, chapters, _words, fandoms, characters = row[:8]
            warnings, genres, published, updated = row[8:]
            work = works[sid]
            assert work.title == title
            assert work.state == "posted"
            credits = list(work.creatorships.order_by("position"))
            assert [c.pseud.name for c in credits] == creators, sid
            assert all(c.approved for c in credits), sid
            assert work.rating == rating, sid
            assert work.complete is complete, sid
            assert work.chapter_count == chapters == work.chapters.count(), sid
            expected = f"{chapters}/{chapters}" if complete else f"{chapters}/?"
            assert work.chapters_label == expected, sid
            tags = {kind: sorted(t.name for t in work.tags_of(kind)) for kind in
                    ("fandom", "character", "freeform", "relationship")}  # fmt: skip
            assert tags == {
                "fandom": sorted(fandoms),
                "character": sorted(characters),
                "freeform": sorted(genres),
                "relationship": [],
            }, sid
            assert work.warnings == warnings, sid
            assert minute(work.published_at) == utc(published), sid
            assert minute(work.updated_at) == utc(updated), sid
            assert work.language == "en"
            # eFiction keeps no date per chapter: they run from published to updated.
            dates = [c.published_at for c in work.chapters.order_by("position")]
            assert None not in dates and dates == sorted(d for d in dates if d), sid
            assert dates[0] == work.published_at and minute(dates[-1]) == utc(updated), sid

    def test_summaries_and_notes_keep_their_text(self, dump_rows):
        works = works_by_sid()
        for row in dump_rows["stories"]:
            work = works[row["sid"]]
            assert visible_text(work.summary) == visible_text(row["summary"]), row["sid"]
            assert visible_text(work.notes) == visible_text(row["storynotes"]), row["sid"]
        # format_story() made the line break <br />: it is kept.
        assert re.search(r"the beta!<br ?/?>Set about a year before <i>The Ember Road</i>",
                         works[1].notes)  # fmt: skip
        assert "Übermäßig süß" in works[7].notes
        chapters = {c.pk: c for c in Chapter.objects.all()}
        ids = legacy(ImportKind.CHAPTER)
        for row in dump_rows["chapters"]:
            chapter = chapters[ids[row["chapid"]]]
            assert visible_text(chapter.notes) == visible_text(row["notes"]), row["chapid"]
            assert visible_text(chapter.end_notes) == visible_text(row["endnotes"])

    def test_warning_labels(self):
        works = works_by_sid()
        assert works[1].warning_labels == ["No Archive Warnings Apply"]
        assert works[3].warning_labels == ["Graphic Depictions Of Violence"]
        assert works[5].warning_labels == ["Major Character Death"]

    def test_hits_come_from_the_story_counter(self, dump_rows):
        works = works_by_sid()
        for row in dump_rows["stories"]:
            assert works[row["sid"]].hits == int(row["count"]), row["sid"]
        assert sum(w.hits for w in works.values()) > 0

    def test_word_counts(self):
        # Duster counts words its own way (lib.text.word_count: whitespace-separated tokens
        # with a letter or digit, each CJK character a word), while eFiction stored what PHP's
        # str_word_count made of the text (letters, ' and - only: digits do not count, "don't"
        # or "—" glued to a word count differently, CJK is not counted). So the totals differ
        # by a few percent, but a work's count is always the sum of its chapters'.
        works = works_by_sid()
        for sid, work in works.items():
            chapters = list(work.chapters.order_by("position"))
            assert work.word_count == sum(c.word_count for c in chapters), sid
            assert work.word_count == pytest.approx(STORIES[sid][5], rel=0.05), sid
            for chapter, expected in zip(chapters, CHAPTERS[sid], strict=True):
                assert chapter.word_count == pytest.approx(expected[2], rel=0.05), sid

    def test_chapters_in_order_with_notes_and_posters_text(self, dump_rows):
        works = works_by_sid()
        chapter_ids = legacy(ImportKind.CHAPTER)
        source = {row["chapid"]: row for row in dump_rows["chapters"]}
        assert Chapter.objects.count() == 21
        for sid, rows in CHAPTERS.items():
            chapters = list(works[sid].chapters.order_by("position"))
            assert [c.title for c in chapters] == [r[1] for r in rows], sid
            for chapter, (chapid, title, _, notes, end_notes, tags, non_ascii) in zip(
                chapters, rows, strict=True
            ):
                assert chapter_ids[chapid] == chapter.pk
                assert chapter.posted
                assert bool(chapter.notes.strip()) is notes, (sid, title)
                assert bool(chapter.end_notes.strip()) is end_notes, (sid, title)
                # Every word of the posted text is there, in order.
                assert visible_text(chapter.body) == visible_text(source[chapid]["storytext"])
                for tag in tags.split():
                    if tag != "br":
                        assert f"<{tag}" in chapter.body, (sid, title, tag)
                for char in non_ascii:
                    assert char in chapter.body, (sid, title, char)
                assert "\r" not in chapter.body

    def test_chapter_title_with_ampersand_and_angle_brackets(self, client):
        work = works_by_sid()[3]
        chapter = work.chapters.get(position=3)
        assert chapter.title == "Tick & Tock — or, Why 3 < 4 > 2"
        page = client.get(reverse("chapter_detail", args=[work.pk, chapter.pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert "Tick &amp; Tock — or, Why 3 &lt; 4 &gt; 2" in text
        assert "Why 3 < 4 > 2" not in text

    def test_html_kept_and_plain_text_made_paragraphs(self, dump_rows):
        works = works_by_sid()
        body = {sid: [c.body for c in works[sid].chapters.order_by("position")] for sid in works}
        source = {row["chapid"]: row["storytext"] for row in dump_rows["chapters"]}
        assert body[1][0].count("<hr") == source[1].count("<hr") >= 1
        assert body[9][0].count("<hr") == source[17].count("<hr") >= 1
        assert "<center>" in body[10][0] and "<blockquote>" in body[10][0]
        assert "<ol>" in body[8][0] and "<li>" in body[8][0] and "<u>" in body[8][0]
        assert "<u>" in body[10][1]
        # sid 4 has no tags at all, sid 7 only <i>: blank lines separate their paragraphs.
        for sid, chapid in ((4, 5), (7, 12)):
            paragraphs = [p for p in source[chapid].split("\r\n\r\n") if p.strip()]
            assert len(paragraphs) >= 5
            found = re.findall(r"<p>(.*?)</p>", body[sid][0], re.S)
            assert len(found) == len(paragraphs), sid
            assert [visible_text(p) for p in found] == [visible_text(p) for p in paragraphs]
        assert "<i>naïve</i>" in body[7][0]
        # sid 3 is laid out with <br /><br />: those runs became paragraphs too.
        for chapter_body in body[3]:
            assert chapter_body.startswith("<p>")
            assert "<br><br>" not in chapter_body.replace("<br />", "<br>")

    def test_series_in_their_custom_orders(self):
        series_ids = legacy(ImportKind.SERIES)
        assert sorted(series_ids) == [1, 2, 3] and Series.objects.count() == 3
        works = works_by_sid()
        sid_of = {w.pk: sid for sid, w in works.items()}
        for seriesid, (title, owner, order) in SERIES.items():
            series = Series.objects.get(pk=series_ids[seriesid])
            assert series.title == title
            assert "\\" not in series.title + series.summary
            assert [p.name for p in series.credited_pseuds()] == [owner]
            assert [sid_of[e.work_id] for e in series.entries.order_by("position")] == order
        omnibus = Series.objects.get(pk=series_ids[3])
        assert "Roads and Tides" in omnibus.notes
        casebook = Series.objects.get(pk=series_ids[1])
        assert "It's not the order they were written in!" in casebook.summary

    def test_chapter_reviews_on_the_right_chapters(self, dump_rows):
        source = {row["reviewid"]: row["review"] for row in dump_rows["reviews"]}
        works = works_by_sid()
        users = users_by_uid()
        reviews = legacy(ImportKind.REVIEW)
        assert sorted(reviews) == list(range(1, 19))
        for reviewid, (sid, inorder, uid, rating, when, starts) in REVIEWS.items():
            comment = Comment.objects.select_related("chapter").get(pk=reviews[reviewid])
            assert comment.work_id == works[sid].pk, reviewid
            assert comment.chapter is not None and comment.chapter.position == inorder, reviewid
            assert comment.user_id == users[uid].pk, reviewid
            assert comment.pseud == users[uid].default_pseud
            assert comment.rating == rating, reviewid
            assert minute(comment.created_at) == utc(when), reviewid
            assert visible_text(comment.body).startswith(starts), reviewid
            # The whole review, without the author's response eFiction appended to it.
            review = source[reviewid].split("<br><br><i>Author's Response:")[0]
            assert visible_text(comment.body) == visible_text(review), reviewid
            assert comment.state == CommentState.PUBLISHED
            assert comment.parent_id is None and comment.thread_id == comment.pk
            assert not comment.by_creator, reviewid
            # No review is older than the chapter it is about.
            posted = comment.chapter.published_at
            assert posted is not None and comment.created_at >= posted, reviewid

    def test_the_series_review_is_a_comment_on_the_series_first_work(self):
        reviewid, seriesid, uid, rating, when, starts = SERIES_REVIEW
        comment = Comment.objects.get(pk=legacy(ImportKind.REVIEW)[reviewid])
        assert comment.work_id == works_by_sid()[SERIES[seriesid][2][0]].pk
        assert comment.chapter is None
        assert comment.user_id == users_by_uid()[uid].pk
        assert comment.rating == rating
        assert minute(comment.created_at) == utc(when)
        text = visible_text(comment.body)
        assert "series" in text and "Odile's Casebook" in text
        assert starts in text

    def test_author_responses_are_threaded_replies(self):
        users = users_by_uid()
        reviews = legacy(ImportKind.REVIEW)
        replies = legacy(ImportKind.REPLY)
        assert sorted(replies) == sorted(REPLIES)
        for reviewid, uid in REPLIES.items():
            review = Comment.objects.get(pk=reviews[reviewid])
            reply = Comment.objects.get(pk=replies[reviewid])
            assert reply.parent_id == review.pk and reply.thread_id == review.pk
            assert reply.work_id == review.work_id and reply.chapter_id == review.chapter_id
            assert reply.user_id == users[uid].pk
            assert reply.by_creator
            assert reply.state == CommentState.PUBLISHED
            assert "Author's Response" not in review.body
            assert "Response" not in visible_text(reply.body)
        assert visible_text(Comment.objects.get(pk=replies[9]).body).startswith(
            "Thank you so much for reading, and I'm sorry about the bus!"
        )
        assert visible_text(Comment.objects.get(pk=replies[12]).body).startswith("Maybe... ;)")
        # Only those two are replies.
        assert Comment.objects.filter(parent__isnull=False).count() == 2
        assert Comment.objects.count() == 20

    def test_comment_counts(self):
        expected = {sid: 0 for sid in STORIES}
        for sid, *_ in REVIEWS.values():
            expected[sid] += 1
        expected[SERIES[1][2][0]] += 1  # the series review
        for reviewid in REPLIES:
            expected[REVIEWS[reviewid][0]] += 1
        works = works_by_sid()
        assert {sid: w.comment_count for sid, w in works.items()} == expected
        for work in works.values():
            assert work.comment_count == work.comments.count()

    def test_favourites(self):
        users = users_by_uid()
        works = works_by_sid()
        series_ids = legacy(ImportKind.SERIES)
        story_bookmarks = sorted(
            (b.user_id, b.work_id, visible_text(b.notes))
            for b in Bookmark.objects.filter(work__isnull=False)
        )
        assert story_bookmarks == sorted(
            (users[uid].pk, works[sid].pk, notes) for uid, sid, notes in STORY_BOOKMARKS
        )
        series_bookmarks = sorted(
            (b.user_id, b.series_id, visible_text(b.notes))
            for b in Bookmark.objects.filter(series__isnull=False)
        )
        assert series_bookmarks == sorted(
            (users[uid].pk, series_ids[s], notes) for uid, s, notes in SERIES_BOOKMARKS
        )
        assert Bookmark.objects.count() == 7
        subscriptions = sorted(
            (s.user_id, s.creator_id) for s in Subscription.objects.filter(creator__isnull=False)
        )
        assert subscriptions == sorted((users[a].pk, users[b].pk) for a, b in SUBSCRIPTIONS)
        assert Subscription.objects.count() == 4
        counts = {sid: w.bookmark_count for sid, w in works.items()}
        assert counts == {sid: (1 if sid in (2, 3, 5, 7, 10) else 0) for sid in STORIES}

    def test_nobody_was_notified(self, imported):
        assert imported["callbacks"] > 0  # the on-commit work did run
        assert Notification.objects.count() == 0
        assert imported["mails"] == []

    def test_importing_twice_changes_nothing(self):
        counts = row_counts()
        modified = dict(Work.objects.values_list("pk", "modified_at"))
        chapters = dict(Chapter.objects.values_list("pk", "modified_at"))
        before = snapshot()
        output = run_import(ARCHIVE_A)
        lines = report_lines(output)
        assert lines == [
            "member: 6 unchanged",
            "story: 10 unchanged",
            "series: 3 unchanged",
            "review: 18 unchanged",
            "favourite story: 5 unchanged",
            "favourite author: 4 unchanged",
            "favourite series: 2 unchanged",
        ]
        assert row_counts() == counts
        assert dict(Work.objects.values_list("pk", "modified_at")) == modified
        assert dict(Chapter.objects.values_list("pk", "modified_at")) == chapters
        assert snapshot() == before

    def _changed_archive(self) -> tuple[str, str, str]:
        """Archive A with one sentence of sid 2's third chapter (chapid 6) changed and a
        review of sid 4 added."""
        text = archive_text()
        old = "“You can’t sail into nothing,” said the bosun."
        new = "“Nobody sails into nothing,” said the bosun."
        line = insert_line(text, "chapters", "chapid", 6)
        assert line.count(old) == 1
        text = text.replace(line, line.replace(old, new))
        review = (
            "INSERT INTO `fanfiction_reviews` VALUES (19,4,5,'tin_lantern',5,"
            "'Late to this one, but it stayed with me all day.',1265500000,8,'0','ST');"
        )
        text = add_after(text, insert_line(text, "reviews", "reviewid", 18), review)
        return text, old, new

    def test_a_changed_chapter_and_a_new_review(self, tmp_path):
        text, old, new = self._changed_archive()
        counts = row_counts()
        works = dict(Work.objects.values_list("pk", "modified_at"))
        chapters = dict(Chapter.objects.values_list("pk", "modified_at"))
        bodies = dict(Chapter.objects.values_list("pk", "body"))
        changed = legacy(ImportKind.CHAPTER)[6]
        sid_2 = set(works_by_sid()[2].chapters.values_list("pk", flat=True))

        output = run_import(text, tmp_path=tmp_path)

        lines = report_lines(output)
        assert "story: 1 updated, 9 unchanged" in lines
        assert "review: 1 imported, 18 unchanged" in lines
        after = row_counts()
        # Search index updates queued for the changed work and comment are no content.
        after.pop("search.SearchChange"), counts.pop("search.SearchChange")
        assert after.pop("imports.LegacyId") == counts.pop("imports.LegacyId") + 1
        assert after.pop("community.Comment") == counts.pop("community.Comment") + 1
        assert after == counts
        now = dict(Chapter.objects.values_list("pk", "body"))
        assert [pk for pk in bodies if now[pk] != bodies[pk]] == [changed]
        assert now[changed] == bodies[changed].replace(old, new)
        # Chapters of other stories are not touched at all.
        modified = dict(Chapter.objects.values_list("pk", "modified_at"))
        assert {pk for pk in chapters if modified[pk] != chapters[pk]} <= sid_2
        now_works = dict(Work.objects.values_list("pk", "modified_at"))
        sid_of = {w.pk: sid for sid, w in works_by_sid().items()}
        assert {sid_of[pk] for pk in works if now_works[pk] != works[pk]} <= {2, 4}
        comment = Comment.objects.get(pk=legacy(ImportKind.REVIEW)[19])
        assert comment.work == works_by_sid()[4]
        assert comment.rating == 8 and comment.user == users_by_uid()[5]
        assert comment.parent_id is None and comment.thread_id == comment.pk
        assert works_by_sid()[4].comment_count == 2

    def test_a_new_review_of_an_unchanged_story_is_on_its_chapter(self, tmp_path):
        text, _, _ = self._changed_archive()
        run_import(text, tmp_path=tmp_path)
        comment = Comment.objects.get(pk=legacy(ImportKind.REVIEW)[19])
        assert comment.chapter_id == legacy(ImportKind.CHAPTER)[5]

    def test_a_changed_chapter_leaves_the_other_chapters_of_its_story_alone(self, tmp_path):
        text, _, _ = self._changed_archive()
        changed = legacy(ImportKind.CHAPTER)[6]
        chapters = {
            c.pk: (c.version, c.modified_at) for c in works_by_sid()[2].chapters.exclude(pk=changed)
        }
        run_import(text, tmp_path=tmp_path)
        after = {
            c.pk: (c.version, c.modified_at) for c in works_by_sid()[2].chapters.exclude(pk=changed)
        }
        assert after == chapters
        assert Chapter.objects.get(pk=changed).version == 2

    def _edited_review_archive(self) -> str:
        """Archive A with review 9 (on sid 5, answered by its author) and its response edited;
        no story changed."""
        text = archive_text()
        line = insert_line(text, "reviews", "reviewid", 9)
        edited = line.replace("I cried on the bus.", "I cried on the tram.").replace(
            "sorry about the bus!", "sorry about the tram!"
        )
        assert edited.count("tram") == 2
        return text.replace(line, edited)

    def test_an_edited_review_and_its_response_change_in_place(self, tmp_path):
        review = Comment.objects.get(pk=legacy(ImportKind.REVIEW)[9])
        reply = Comment.objects.get(pk=legacy(ImportKind.REPLY)[9])
        counts = row_counts()
        output = run_import(self._edited_review_archive(), tmp_path=tmp_path)
        assert "review: 1 updated, 17 unchanged" in report_lines(output)
        assert "story: 10 unchanged" in report_lines(output)
        after = row_counts()
        after.pop("search.SearchChange"), counts.pop("search.SearchChange")
        assert after == counts
        assert legacy(ImportKind.REVIEW)[9] == review.pk
        assert legacy(ImportKind.REPLY)[9] == reply.pk
        review.refresh_from_db()
        reply.refresh_from_db()
        assert visible_text(review.body).startswith("I cried on the tram.")
        assert "Author's Response" not in review.body
        assert visible_text(reply.body).startswith("Thank you so much for reading, and I'm sorry")
        assert "tram" in reply.body
        assert reply.parent_id == review.pk and reply.user == users_by_uid()[5]
        assert review.user == users_by_uid()[4] and review.rating == 10

    def test_an_edited_review_of_an_unchanged_story_stays_on_its_chapter(self, tmp_path):
        chapter = legacy(ImportKind.CHAPTER)[9]
        run_import(self._edited_review_archive(), tmp_path=tmp_path)
        review = Comment.objects.get(pk=legacy(ImportKind.REVIEW)[9])
        reply = Comment.objects.get(pk=legacy(ImportKind.REPLY)[9])
        assert review.chapter_id == chapter
        assert reply.chapter_id == chapter

    def test_subscribers_are_not_told_of_imported_postings(
        self, tmp_path, django_capture_on_commit_callbacks
    ):
        # Quillfeather's sid 3 gets a fifth chapter and mossgreen a new story: bramblereader
        # follows mossgreen (a favourite author) and, since the first import, sid 3 too.
        subscription_add(user=users_by_uid()[4], work=works_by_sid()[3])
        text = archive_text()
        chapter = (
            "INSERT INTO `fanfiction_chapters` VALUES (22,'The Fifth Bell',5,'','"
            "<p>Odile found the last clock in the harbourmaster\\'s cellar.</p>','','1',10,0,0,3,3,0);"
        )
        text = add_after(text, insert_line(text, "chapters", "chapid", 21), chapter)
        story_line = insert_line(text, "stories", "sid", 9)
        story = re.sub(r"VALUES \(9,'Under the Glass Tide'", "VALUES (11,'A Harbour Ghost'",
                       story_line)  # fmt: skip
        assert story != story_line
        text = add_after(text, insert_line(text, "stories", "sid", 10), story)
        new_chapter = (
            "INSERT INTO `fanfiction_chapters` VALUES (23,'Boo',1,'','<p>A ghost story.</p>',"
            "'','1',3,0,0,11,2,0);"
        )
        text = add_after(text, chapter, new_chapter)
        with django_capture_on_commit_callbacks(execute=True):
            output = run_import(text, tmp_path=tmp_path)
        assert "story: 1 imported, 1 updated, 9 unchanged" in report_lines(output)
        assert works_by_sid()[3].chapter_count == 5
        assert works_by_sid()[11].title == "A Harbour Ghost"
        assert Notification.objects.count() == 0
        assert mail.outbox == []
        # The same posting outside an import is announced: the test above could fail.
        with django_capture_on_commit_callbacks(execute=True):
            chapter_create(
                work=works_by_sid()[3],
                fields={"title": "Six", "body": "<p>More.</p>", "text_format": "html"},
            )
        assert Notification.objects.filter(user=users_by_uid()[4]).exists()


# --- a fresh database each ---------------------------------------------------------------


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_reports_the_same_counts():
    counts = row_counts()
    output = run_import(ARCHIVE_A, "--dry-run")
    assert "Dry run: nothing was written." in output
    assert report_lines(output) == FIRST_REPORT
    assert row_counts() == counts
    assert Work.objects.count() == User.objects.count() == LegacyId.objects.count() == 0


@pytest.mark.django_db
def test_another_prefix_and_unknown_tables(tmp_path, baseline):
    text = archive_text().replace("`fanfiction_", "`efic_fanfiction_")
    assert "`fanfiction_" not in text
    extra = (
        "CREATE TABLE `wp_posts` (`ID` int(11) NOT NULL, `post_title` text);\n"
        "INSERT INTO `wp_posts` VALUES (1,'Hello world');\n"
        "INSERT INTO `wp_posts` VALUES (2,'Sample page');\n"
    )
    output = run_import(text + extra, tmp_path=tmp_path)
    assert report_lines(output) == FIRST_REPORT
    assert re.search(r"^warning: .*unknown table wp_posts, 2 rows skipped$", output, re.M)
    assert snapshot() == baseline


@pytest.mark.django_db
def test_dump_without_create_table(tmp_path, baseline):
    # mysqldump --no-create-info: the importer knows eFiction's column order itself.
    text = re.sub(r"CREATE TABLE .*?\) ENGINE=[^;]*;", "", archive_text(), flags=re.S)
    assert "CREATE TABLE" not in text
    output = run_import(text, tmp_path=tmp_path)
    assert report_lines(output) == FIRST_REPORT
    assert snapshot() == baseline


def _dates_as_datetime(columns: list[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A row change: those Unix timestamps written as MySQL DATETIME values (UTC)."""

    def change(row: dict[str, Any]) -> dict[str, Any]:
        return row | {
            name: dt.datetime.fromtimestamp(int(row[name]), dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            for name in columns
        }

    return change


@pytest.mark.django_db
def test_dates_stored_as_datetime(tmp_path, baseline):
    # eFiction 3.5.5 and earlier keep these dates in DATETIME columns.
    text = archive_text()
    for table, columns in (("authors", ["date"]), ("stories", ["date", "updated"]),
                           ("reviews", ["date"])):  # fmt: skip
        text = rewrite_rows(text, table, _dates_as_datetime(columns))
    text = re.sub(
        r"`(date|updated)` int\(10\) unsigned NOT NULL DEFAULT 0",
        r"`\1` datetime NOT NULL DEFAULT '0000-00-00 00:00:00'",
        text,
    )
    assert "'2008-11-12 20:10:" in insert_line(text, "stories", "sid", 1)
    output = run_import(text, tmp_path=tmp_path)
    assert report_lines(output) == FIRST_REPORT
    assert snapshot() == baseline


def _double_encoded(text: str) -> str:
    """UTF-8 read as Latin-1 and stored again."""
    return text.encode("utf-8").decode("latin-1")


@pytest.mark.django_db
def test_double_encoded_text_is_repaired(tmp_path, baseline):
    text = archive_text()
    story = insert_line(text, "stories", "sid", 7)
    renamed = story.replace("'Nine Bells for Pim'", "'Nine Bells for Pim — Café Müller'")
    assert renamed != story and "Übermäßig süß" in renamed
    text = text.replace(story, _double_encoded(renamed))
    for table, key, value in (("chapters", "chapid", 12), ("chapters", "chapid", 2),
                              ("reviews", "reviewid", 6)):  # fmt: skip
        line = insert_line(text, table, key, value)
        text = text.replace(line, _double_encoded(line))
    assert "CafÃ©" in text and "Ã\x9cbermÃ¤Ã\x9f" in text
    output = run_import(text, tmp_path=tmp_path)
    assert report_lines(output) == FIRST_REPORT
    got = snapshot()
    work = works_by_sid()[7]
    assert work.title == "Nine Bells for Pim — Café Müller"
    assert "Übermäßig süß" in work.notes
    assert got["stories"][7]["chapters"] == baseline["stories"][7]["chapters"]
    assert got["stories"][2] == baseline["stories"][2]
    assert got["reviews"][6] == baseline["reviews"][6]
    assert "地图不是领土" in got["reviews"][6][0][6]
    got["stories"][7]["fields"] = got["stories"][7]["fields"][1:]
    baseline = baseline | {"stories": dict(baseline["stories"])}
    baseline["stories"][7] = baseline["stories"][7] | {
        "fields": baseline["stories"][7]["fields"][1:]
    }
    assert got == baseline


@pytest.mark.django_db
def test_truncated_dump_imports_what_came_before_the_cut(tmp_path):
    text = archive_text()
    line = insert_line(text, "stories", "sid", 6)
    cut = text.index(line) + len(line) // 2
    output = run_import(text[:cut], tmp_path=tmp_path)
    works = works_by_sid()
    assert sorted(works) == [1, 2, 3, 4, 5]
    for sid, work in works.items():
        assert work.chapters.count() == work.chapter_count == STORIES[sid][4], sid
        assert [c.title for c in work.chapters.order_by("position")] == [
            row[1] for row in CHAPTERS[sid]
        ]
    assert Chapter.objects.count() == 11
    assert "story: 5 imported" in report_lines(output)
    # What was lost is named: the cut in table stories, and reviews of stories not there.
    assert re.search(
        r"^error: line \d+, table fanfiction_stories, row 6: the dump ends in the middle",
        output,
        re.M,
    ), output
    assert "skipped: review 12: on story 6, which was not imported" in output
    assert "skipped: favourite story 3:ST:10: story 10 was not imported" in output
    series_ids = legacy(ImportKind.SERIES)
    casebook = Series.objects.get(pk=series_ids[1])
    assert [e.work.title for e in casebook.entries.order_by("position")] == [
        "Salt in the Gears",
        "A Small Hour",
    ]


@pytest.mark.django_db
def test_chapter_text_in_files(tmp_path, baseline, dump_rows):
    stories_dir = tmp_path / "stories"
    for row in dump_rows["chapters"]:
        if row["chapid"] == 7:
            continue  # sid 3's second chapter: its file is missing
        path = stories_dir / str(row["uid"]) / f"{row['chapid']}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(row["storytext"].encode("utf-8"))
    # Reviews and favourites play no part here: left out, the test is quicker.
    text = without_rows(archive_text(), "reviews", "favorites")
    text = rewrite_rows(text, "chapters", lambda row: row | {"storytext": ""})
    text = rewrite_rows(text, "settings", lambda row: row | {"store": "files"})
    assert "Wren Ashdown had counted" not in text
    output = run_import(text, "--files-dir", str(stories_dir), tmp_path=tmp_path)
    assert "story: 9 imported, 1 skipped" in report_lines(output)
    skipped = [line for line in output.splitlines() if line.startswith("skipped: story")]
    assert len(skipped) == 1
    assert "sid 3" in skipped[0] and "chapter 7" in skipped[0] and "3/7.txt" in skipped[0]
    got = snapshot()
    assert sorted(got["stories"]) == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    # Text, titles and notes as from the dump (dates differ: no reviews to date chapters by).
    for sid in got["stories"]:
        texts = [c[:6] for c in got["stories"][sid]["chapters"]]
        assert texts == [c[:6] for c in baseline["stories"][sid]["chapters"]], sid
    assert Chapter.objects.count() == 17


def _mapping_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


@pytest.mark.django_db
def test_write_mapping_lists_every_rating_category_character_and_class(tmp_path):
    target = tmp_path / "mapping.csv"
    output = run_import(ARCHIVE_A, "--write-mapping", str(target))
    assert "Wrote the mapping" in output
    assert User.objects.count() == 0 and Work.objects.count() == 0
    rows = _mapping_rows(target)
    assert rows[0] == ["kind", "id", "efiction_name", "type", "value"]
    by_key = {(kind, int(item)): (name, kind_to, value) for kind, item, name, kind_to, value
              in rows[1:]}  # fmt: skip
    assert sorted(k for k in by_key if k[0] == "rating") == [("rating", i) for i in (1, 2, 3)]
    assert sorted(k[1] for k in by_key if k[0] == "category") == [1, 2, 3, 4, 5]
    assert sorted(k[1] for k in by_key if k[0] == "character") == list(range(1, 10))
    assert sorted(k[1] for k in by_key if k[0] == "class") == list(range(1, 12))
    assert len(rows) == 1 + 3 + 5 + 9 + 11
    assert by_key[("rating", 1)] == ("G", "rating", "general")
    assert by_key[("rating", 2)] == ("PG-13", "rating", "teen")
    assert by_key[("rating", 3)] == ("R", "rating", "mature")
    assert by_key[("category", 4)] == ("The Ember Road", "fandom", "The Ember Road")
    assert by_key[("category", 3)] == ("Original Fiction", "fandom", "Original Fiction")
    assert by_key[("character", 9)] == ("Original Character", "character", "Original Character")
    assert by_key[("class", 5)] == ("Humor", "freeform", "Humor")
    assert by_key[("class", 8)] == ("None", "warning", "none")
    assert by_key[("class", 9)] == ("Character Death", "warning", "death")
    assert by_key[("class", 10)] == ("Violence", "warning", "violence")
    assert by_key[("class", 11)][:2] == ("Strong Language", "freeform")


@pytest.mark.django_db
def test_an_edited_mapping_changes_the_import(tmp_path):
    target = tmp_path / "mapping.csv"
    run_import(ARCHIVE_A, "--write-mapping", str(target))
    rows = _mapping_rows(target)
    for row in rows:
        if row[:3] == ["category", "3", "Original Fiction"]:
            row[3] = "freeform"
        elif row[:3] in (["class", "11", "Strong Language"], ["class", "5", "Humor"]):
            row[3], row[4] = "skip", ""
        elif row[:3] == ["class", "2", "Angst"]:
            row[3], row[4] = "freeform", "Hurt/Comfort"
        elif row[:3] == ["rating", "3", "R"]:
            row[4] = "explicit"
    with open(target, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    # Only stories matter here: without reviews, favourites and series it is quicker.
    text = without_rows(archive_text(), "reviews", "favorites", "series", "inseries")
    output = run_import(text, "--mapping", str(target), tmp_path=tmp_path)
    assert "story: 10 imported" in report_lines(output)
    works = works_by_sid()
    assert works[5].rating == "explicit"
    assert [t.name for t in works[8].tags_of("freeform")].count("Original Fiction") == 1
    assert "Original Fiction" not in [t.name for t in works[8].tags_of("fandom")]
    assert "Humor" not in [t.name for t in works[7].tags_of("freeform")]
    assert sorted(t.name for t in works[4].tags_of("freeform")) == ["Hurt/Comfort"]
    # The rest follows the defaults.
    assert works[2].rating == "teen"
    assert [t.name for t in works[7].tags_of("fandom")] == ["Clockwork Harbour"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("class,5,Humor,genre,Humor", "unknown type 'genre'"),
        ("class,8,None,warning,sort of", "'sort of' is not a warning"),
        ("rating,3,R,rating,adults", "'adults' is not a rating"),
    ],
)
def test_a_bad_mapping_file_is_an_error_naming_the_line(tmp_path, line, problem):
    target = tmp_path / "mapping.csv"
    target.write_text(
        "kind,id,efiction_name,type,value\nrating,1,G,rating,general\n" + line + "\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        run_import(ARCHIVE_A, "--mapping", str(target))
    assert "line 3" in str(error.value) and problem in str(error.value)
    assert User.objects.count() == 0
