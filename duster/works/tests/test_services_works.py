"""Creating, updating, posting and deleting works; status, word counts, hits."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from duster.tags.models import Tag, TagType
from duster.testing.factories import make_user, make_work
from duster.works.models import Chapter, Creatorship, Work, WorkState, WorkTag
from duster.works.services.chapters import chapter_create, chapter_post
from duster.works.services.works import (
    creatorship_respond,
    work_create,
    work_delete,
    work_post,
    work_update,
)

pytestmark = pytest.mark.django_db


def _fields(**overrides):
    return {
        "title": "Lamplight",
        "rating": "teen",
        "warnings": ["none"],
        "language": "en",
        "expected_chapters": 1,
        **overrides,
    }


def _tags(**overrides):
    return {"fandoms": ["Lamplighter Chronicles"], **overrides}


def _create(user, *, post=True, fields=None, tags=None, chapter=None, **kwargs):
    return work_create(
        pseuds=[user.default_pseud],
        fields=fields or _fields(),
        tags=tags or _tags(),
        chapter=chapter or {"body": "<p>The lamps went out one by one.</p>"},
        post=post,
        **kwargs,
    )


def _update(work, **kwargs):
    """work_update with the work's current tags unless others are given."""
    tags = kwargs.pop("tags", None) or {"fandoms": [t.name for t in work.fandoms()]}
    return work_update(work=work, fields=kwargs.pop("fields", {}), tags=tags, **kwargs)


def _tag_names(work):
    return list(
        work.tags.filter(fixed=False).order_by("worktag__position").values_list("name", flat=True)
    )


class TestDraftsAndPosting:
    def test_a_draft_is_saved_unposted_with_its_chapter_unposted(self):
        work = _create(make_user(), post=False)
        work.refresh_from_db()
        assert work.state == WorkState.DRAFT
        assert work.published_at is None
        assert work.updated_at is None
        assert list(work.chapters.values_list("posted", flat=True)) == [False]

    def test_posting_at_once_publishes_the_work_and_its_first_chapter(self):
        before = timezone.now()
        work = _create(make_user(), post=True)
        work.refresh_from_db()
        chapter = work.chapters.get()
        assert work.state == WorkState.POSTED
        assert work.published_at >= before
        assert chapter.posted
        assert chapter.published_at == work.published_at
        assert work.updated_at == work.published_at

    def test_posting_a_draft_publishes_every_chapter(self):
        user = make_user()
        work = _create(user, post=False, fields=_fields(expected_chapters=None))
        chapter_create(work=work, fields={"body": "<p>Second.</p>"})
        chapter_create(work=work, fields={"body": "<p>Third.</p>"})
        assert not work.chapters.filter(posted=True).exists()

        work_post(work=work)
        work.refresh_from_db()
        assert work.state == WorkState.POSTED
        assert work.chapters.filter(posted=True).count() == 3
        assert work.chapters_label == "3/?"

    def test_a_backdated_work_keeps_its_publication_date_when_posted(self):
        user = make_user()
        published_on = dt.date(2011, 5, 17)
        work = _create(user, post=False, published_on=published_on)
        work_post(work=work)
        work.refresh_from_db()
        assert work.published_at.date() == published_on
        assert work.updated_at.date() == published_on
        assert work.chapters.get().published_at.date() == published_on
        # A complete backdated one-shot was completed when it was published.
        assert work.completed_at.date() == published_on

    def test_a_date_in_the_future_does_not_postdate_a_work(self):
        tomorrow = timezone.now().date() + dt.timedelta(days=1)
        work = _create(make_user(), published_on=tomorrow)
        assert work.published_at <= timezone.now()

    def test_changing_the_publication_date_backdates_a_posted_oneshot_throughout(self):
        work = _create(make_user())
        _update(work, published_on=dt.date(2009, 1, 2))
        work.refresh_from_db()
        assert work.published_at.date() == dt.date(2009, 1, 2)
        assert work.chapters.get().published_at == work.published_at
        assert work.updated_at == work.published_at
        assert work.completed_at == work.published_at

    def test_a_draft_posted_later_is_not_completed_before_it_was_published(self, monkeypatch):
        user = make_user()
        now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: now - dt.timedelta(days=9))
        work = _create(user, post=False)
        monkeypatch.setattr(timezone, "now", lambda: now)
        work_post(work=work)
        work.refresh_from_db()
        assert work.completed_at >= work.published_at

    def test_deleting_a_work_deletes_its_chapters_credits_and_tag_links_but_not_tags(self):
        work = _create(make_user(), tags=_tags(freeforms=["Angst"]))
        work_delete(work=work)
        assert not Work.objects.exists()
        assert not Chapter.objects.exists()
        assert not Creatorship.objects.exists()
        assert not WorkTag.objects.exists()
        assert Tag.objects.filter(name="Angst").exists()


class TestTags:
    def test_tags_keep_the_order_they_were_typed_in(self):
        work = _create(
            make_user(),
            tags=_tags(
                fandoms=["Zebra Fandom", "Alpha Fandom"],
                relationships=["Mara/Ilse"],
                freeforms=["Slow Burn", "Angst", "Fluff"],
            ),
        )
        assert _tag_names(work) == [
            "Zebra Fandom",
            "Alpha Fandom",
            "Mara/Ilse",
            "Slow Burn",
            "Angst",
            "Fluff",
        ]
        listed = Work.objects.for_listing().get(pk=work.pk)
        assert [t.name for t in listed.freeforms()] == ["Slow Burn", "Angst", "Fluff"]
        assert [t.name for t in listed.fandoms()] == ["Zebra Fandom", "Alpha Fandom"]

    def test_a_tag_is_created_once_and_reused_whatever_its_case(self):
        user = make_user()
        first = _create(user, tags=_tags(freeforms=["Slow Burn"]))
        second = _create(user, tags=_tags(freeforms=["slow burn"]))
        tags = Tag.objects.filter(type=TagType.FREEFORM)
        assert [t.name for t in tags] == ["Slow Burn"]
        assert first.freeforms() == second.freeforms() == [tags.get()]

    def test_the_same_name_as_different_tag_types_makes_different_tags(self):
        work = _create(make_user(), tags=_tags(fandoms=["Ilse"], characters=["Ilse"]))
        assert Tag.objects.filter(name="Ilse").count() == 2
        assert [t.type for t in work.fandoms() + work.characters()] == [
            TagType.FANDOM,
            TagType.CHARACTER,
        ]

    def test_tags_shared_by_works_keep_each_works_own_order(self):
        user = make_user()
        one = _create(user, tags=_tags(freeforms=["Angst", "Fluff"]))
        two = _create(user, tags=_tags(freeforms=["Fluff", "Angst"]))
        listed = {w.pk: w for w in Work.objects.for_listing()}
        assert [t.name for t in listed[one.pk].freeforms()] == ["Angst", "Fluff"]
        assert [t.name for t in listed[two.pk].freeforms()] == ["Fluff", "Angst"]

    def test_updating_replaces_the_tags(self):
        work = _create(make_user(), tags=_tags(freeforms=["Angst"]))
        _update(work, tags={"fandoms": ["Other Fandom"], "freeforms": ["Fluff", "angst"]})
        assert _tag_names(work) == ["Other Fandom", "Fluff", "Angst"]
        assert WorkTag.objects.filter(work=work, tag__fixed=False).count() == 3


class TestCoCreators:
    def test_an_invited_co_creator_is_not_credited_until_they_accept(self):
        author, friend = make_user(), make_user()
        work = _create(author, co_creators=[friend.default_pseud])
        invitation = Creatorship.objects.get(work=work, pseud=friend.default_pseud)
        assert invitation.approved is False
        assert work.credited_pseuds() == [author.default_pseud]
        assert not work.is_creator(friend)

        creatorship_respond(creatorship=invitation, accept=True)
        work = Work.objects.get(pk=work.pk)
        assert work.credited_pseuds() == [author.default_pseud, friend.default_pseud]
        assert work.is_creator(friend)

    def test_declining_an_invitation_removes_it(self):
        author, friend = make_user(), make_user()
        work = _create(author, co_creators=[friend.default_pseud])
        invitation = Creatorship.objects.get(work=work, pseud=friend.default_pseud)
        creatorship_respond(creatorship=invitation, accept=False)
        assert list(work.creatorships.values_list("pseud", flat=True)) == [author.default_pseud.pk]

    def test_a_creator_cannot_invite_their_own_other_pseud(self):
        author = make_user()
        pen_name = author.pseuds.create(name="Lantern")
        work = _create(author, co_creators=[pen_name])
        assert not work.creatorships.filter(pseud=pen_name).exists()

    def test_a_work_needs_a_pseud(self):
        with pytest.raises(ValidationError) as error:
            work_create(
                pseuds=[],
                fields=_fields(),
                tags=_tags(),
                chapter={"body": "<p>x</p>"},
                post=True,
            )
        assert "pseuds" in error.value.message_dict
        assert not Work.objects.exists()

    def test_updating_with_the_same_credits_keeps_an_accepted_co_creator(self):
        author, friend = make_user(), make_user()
        work = _create(author, co_creators=[friend.default_pseud])
        invitation = Creatorship.objects.get(work=work, pseud=friend.default_pseud)
        creatorship_respond(creatorship=invitation, accept=True)
        _update(work, pseuds=[author.default_pseud], co_creators=[friend.default_pseud])
        assert work.creatorships.get(pseud=friend.default_pseud).approved is True

    def test_changing_only_ones_own_pseuds_keeps_the_co_creators(self):
        author, friend = make_user(), make_user()
        pen_name = author.pseuds.create(name="Lantern")
        work = _create(author, co_creators=[friend.default_pseud])
        _update(work, pseuds=[pen_name])
        credits = work.creatorships.order_by("position")
        assert [(c.pseud, c.approved) for c in credits] == [
            (friend.default_pseud, False),
            (pen_name, True),
        ]

    def test_leaving_a_co_creator_out_removes_them(self):
        author, friend = make_user(), make_user()
        work = _create(author, co_creators=[friend.default_pseud])
        _update(work, pseuds=[author.default_pseud], co_creators=[])
        assert list(work.creatorships.values_list("pseud", flat=True)) == [author.default_pseud.pk]

    def test_a_co_creator_editing_keeps_the_original_author_listed_among_co_creators(self):
        author, friend = make_user(), make_user()
        work = _create(author, co_creators=[friend.default_pseud])
        creatorship_respond(
            creatorship=work.creatorships.get(pseud=friend.default_pseud), accept=True
        )
        _update(work, pseuds=[friend.default_pseud], co_creators=[author.default_pseud])
        work = Work.objects.get(pk=work.pk)
        assert work.credited_pseuds() == [author.default_pseud, friend.default_pseud]


class TestNothingHalfWritten:
    def _assert_nothing_written(self):
        assert not Work.objects.exists()
        assert not Chapter.objects.exists()
        assert not Creatorship.objects.exists()
        assert not WorkTag.objects.exists()

    def test_an_invalid_rating_writes_nothing(self):
        with pytest.raises(ValidationError) as error:
            _create(make_user(), fields=_fields(rating="unrated-ish"))
        assert "rating" in error.value.message_dict
        self._assert_nothing_written()

    def test_a_missing_title_writes_nothing(self):
        with pytest.raises(ValidationError) as error:
            _create(make_user(), fields=_fields(title=""))
        assert "title" in error.value.message_dict
        self._assert_nothing_written()

    def test_an_expected_count_of_zero_is_refused(self):
        with pytest.raises(ValidationError):
            _create(make_user(), fields=_fields(expected_chapters=0))
        self._assert_nothing_written()

    @pytest.mark.django_db(transaction=True)
    def test_an_invalid_first_chapter_rolls_back_the_work_its_credits_and_new_tags(self):
        # The work, its credits and its tags are written before the chapter
        # is validated: all of it must go when the chapter is refused.
        author, friend = make_user(), make_user()
        with pytest.raises(ValidationError) as error:
            _create(
                author,
                co_creators=[friend.default_pseud],
                tags=_tags(freeforms=["Brand New Tag"]),
                chapter={"body": ""},
            )
        assert "body" in error.value.message_dict
        self._assert_nothing_written()
        assert not Tag.objects.filter(fixed=False).exists()

    @pytest.mark.django_db(transaction=True)
    def test_an_invalid_update_leaves_the_work_as_it_was(self):
        work = _create(make_user(), tags=_tags(freeforms=["Angst"]))
        with pytest.raises(ValidationError):
            _update(
                work,
                fields={"title": "New title", "rating": "bogus"},
                tags={"fandoms": ["Other"], "freeforms": ["Fluff"]},
            )
        stored = Work.objects.get(pk=work.pk)
        assert stored.title == "Lamplight"
        assert stored.rating == "teen"
        assert _tag_names(stored) == ["Lamplighter Chronicles", "Angst"]
        assert not Tag.objects.filter(name__in=["Other", "Fluff"], fixed=False).exists()


class TestStatus:
    def test_unknown_expected_count_reads_as_a_question_mark(self):
        work = make_work(make_user(), chapters=3, expected_chapters=None)
        assert work.chapters_label == "3/?"
        assert work.complete is False
        assert work.completed_at is None

    def test_a_known_expected_count_reads_as_posted_of_expected(self):
        work = make_work(make_user(), chapters=3, expected_chapters=5)
        assert work.chapters_label == "3/5"
        assert work.complete is False

    def test_a_work_is_complete_exactly_when_posted_chapters_reach_the_expected_count(self):
        work = make_work(make_user(), chapters=4, expected_chapters=5)
        assert not work.complete
        assert work.completed_at is None
        last = chapter_create(work=work, fields={"body": "<p>The end.</p>"})
        work.refresh_from_db()
        assert work.chapters_label == "5/5"
        assert work.complete
        assert work.completed_at == last.published_at
        assert not work.is_oneshot

    def test_a_one_chapter_complete_work_is_a_oneshot(self):
        work = make_work(make_user(), chapters=1, expected_chapters=1)
        assert work.chapters_label == "1/1"
        assert work.complete
        assert work.is_oneshot

    def test_a_one_chapter_work_of_unknown_length_is_not_a_oneshot(self):
        work = make_work(make_user(), chapters=1, expected_chapters=None)
        assert not work.complete
        assert not work.is_oneshot

    def test_raising_the_expected_count_clears_completion(self):
        work = make_work(make_user(), chapters=2, expected_chapters=2)
        assert work.completed_at is not None
        _update(work, fields={"expected_chapters": 3})
        work.refresh_from_db()
        assert work.chapters_label == "2/3"
        assert not work.complete
        assert work.completed_at is None

    def test_setting_the_expected_count_to_the_posted_count_completes_the_work(self):
        work = make_work(make_user(), chapters=2, expected_chapters=None)
        _update(work, fields={"expected_chapters": 2})
        work.refresh_from_db()
        assert work.complete
        assert work.completed_at is not None

    def test_posting_beyond_the_expected_count_raises_it(self):
        work = make_work(make_user(), chapters=2, expected_chapters=2)
        chapter_create(work=work, fields={"body": "<p>An epilogue.</p>"})
        work.refresh_from_db()
        assert work.chapters_label == "3/3"
        assert work.complete

    def test_adding_chapters_to_a_draft_beyond_the_expected_count_raises_it(self):
        work = make_work(make_user(), post=False, chapters=3, expected_chapters=1)
        assert work.chapters_label == "3/3"
        work_post(work=work)
        work.refresh_from_db()
        assert work.chapters_label == "3/3"
        assert work.complete

    def test_a_draft_chapter_does_not_count_until_it_is_posted(self):
        work = make_work(make_user(), chapters=2, expected_chapters=3)
        draft = chapter_create(work=work, fields={"body": "<p>Not yet.</p>"}, post=False)
        work.refresh_from_db()
        assert not draft.posted
        assert work.chapters_label == "2/3"
        assert not work.complete

        chapter_post(chapter=draft)
        work.refresh_from_db()
        assert work.chapters_label == "3/3"
        assert work.complete
        assert work.updated_at == Chapter.objects.get(pk=draft.pk).published_at

    def test_posting_a_posted_chapter_again_changes_nothing(self):
        work = make_work(make_user(), chapters=2, expected_chapters=2)
        chapter = work.chapters.get(position=2)
        published_at = chapter.published_at
        chapter_post(chapter=chapter)
        work.refresh_from_db()
        assert work.chapters_label == "2/2"
        assert Chapter.objects.get(pk=chapter.pk).published_at == published_at

    def test_an_expected_count_below_the_posted_count_is_refused(self):
        work = make_work(make_user(), chapters=3, expected_chapters=None)
        with pytest.raises(ValidationError) as error:
            _update(work, fields={"expected_chapters": 2})
        assert "expected_chapters" in error.value.message_dict
        assert "3" in error.value.message_dict["expected_chapters"][0]
        assert Work.objects.get(pk=work.pk).expected_chapters is None


class TestWordCounts:
    def test_each_cjk_character_counts_as_one_word(self):
        work = _create(make_user(), chapter={"body": "<p>地图不是领土 — I had</p>"})
        assert work.chapters.get().word_count == 8
        work.refresh_from_db()
        assert work.word_count == 8

    def test_notes_and_summaries_are_not_counted(self):
        work = _create(
            make_user(),
            fields=_fields(
                summary="A summary of many many words",
                notes="Work notes that go on and on",
                end_notes="End notes, thanks for reading",
                expected_chapters=None,
            ),
            chapter={
                "body": "<p>one two three</p>",
                "summary": "chapter summary words",
                "notes": "chapter notes words",
                "end_notes": "chapter end notes words",
            },
        )
        chapter_create(
            work=work, fields={"body": "<p>four five</p>", "notes": "more note words here"}
        )
        work.refresh_from_db()
        assert list(work.chapters.values_list("word_count", flat=True)) == [3, 2]
        assert work.word_count == 5

    def test_a_draft_chapter_adds_its_words_only_once_posted(self):
        work = make_work(make_user(), expected_chapters=None)
        words = work.word_count
        draft = chapter_create(work=work, fields={"body": "<p>a b c d</p>"}, post=False)
        work.refresh_from_db()
        assert work.word_count == words
        chapter_post(chapter=draft)
        work.refresh_from_db()
        assert work.word_count == words + 4
