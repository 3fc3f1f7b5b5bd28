"""Adding, ordering, deleting and editing chapters."""

import pytest
from django.core.exceptions import ValidationError

from duster.testing.factories import make_user, make_work
from duster.works.models import Chapter, Work
from duster.works.services.chapters import (
    EditConflict,
    chapter_create,
    chapter_delete,
    chapter_reorder,
    chapter_update,
)

pytestmark = pytest.mark.django_db


def _work_with_titled_chapters(*titles, expected=None):
    work = make_work(make_user(), expected_chapters=expected)
    Chapter.objects.filter(work=work).update(title=titles[0])
    for title in titles[1:]:
        chapter_create(work=work, fields={"title": title, "body": f"<p>{title} text.</p>"})
    work.refresh_from_db()
    return work


def _order(work):
    return list(work.chapters.order_by("position").values_list("title", "position"))


class TestCreate:
    def test_a_new_chapter_goes_at_the_end(self):
        work = _work_with_titled_chapters("One", "Two")
        chapter = chapter_create(work=work, fields={"title": "Three", "body": "<p>Three.</p>"})
        assert chapter.position == 3
        assert chapter.posted
        assert _order(work) == [("One", 1), ("Two", 2), ("Three", 3)]

    def test_a_new_chapter_gets_a_position_after_the_highest_even_with_gaps(self):
        work = _work_with_titled_chapters("One", "Two")
        Chapter.objects.filter(work=work, title="Two").update(position=7)
        chapter = chapter_create(work=work, fields={"title": "Three", "body": "<p>Three.</p>"})
        assert chapter.position == 8

    def test_a_chapter_added_to_a_draft_waits_for_the_work_to_be_posted(self):
        work = make_work(make_user(), post=False)
        chapter = chapter_create(work=work, fields={"body": "<p>More.</p>"}, post=True)
        assert not chapter.posted
        assert chapter.published_at is None

    def test_an_empty_chapter_is_refused_and_not_saved(self):
        work = make_work(make_user(), expected_chapters=None)
        with pytest.raises(ValidationError) as error:
            chapter_create(work=work, fields={"title": "Empty", "body": ""})
        assert "body" in error.value.message_dict
        assert work.chapters.count() == 1
        work.refresh_from_db()
        assert work.chapters_label == "1/?"

    def test_a_chapter_title_that_is_too_long_is_refused(self):
        work = make_work(make_user())
        with pytest.raises(ValidationError) as error:
            chapter_create(work=work, fields={"title": "x" * 256, "body": "<p>Text.</p>"})
        assert "title" in error.value.message_dict
        assert work.chapters.count() == 1


class TestReorder:
    def test_chapters_take_the_positions_given(self):
        work = _work_with_titled_chapters("One", "Two", "Three")
        ids = dict(work.chapters.values_list("title", "pk"))
        chapter_reorder(work=work, positions={ids["One"]: 3, ids["Two"]: 1, ids["Three"]: 2})
        assert _order(work) == [("Two", 1), ("Three", 2), ("One", 3)]

    @pytest.mark.parametrize(
        "numbers, problem",
        [((2, 2, 1, 3), "2 is used more than once"), ((5, 2, 1, 9), "5, 9 are outside")],
    )
    def test_duplicate_or_out_of_range_numbers_are_refused_and_named(self, numbers, problem):
        work = _work_with_titled_chapters("One", "Two", "Three", "Four")
        ids = dict(work.chapters.values_list("title", "pk"))
        positions = dict(
            zip((ids[t] for t in ("One", "Two", "Three", "Four")), numbers, strict=True)
        )
        with pytest.raises(ValidationError) as error:
            chapter_reorder(work=work, positions=positions)
        assert problem in error.value.messages[0]
        assert _order(work) == [("One", 1), ("Two", 2), ("Three", 3), ("Four", 4)]

    def test_leaving_out_a_chapter_is_refused_and_changes_nothing(self):
        work = _work_with_titled_chapters("One", "Two", "Three")
        ids = dict(work.chapters.values_list("title", "pk"))
        with pytest.raises(ValidationError):
            chapter_reorder(work=work, positions={ids["One"]: 2, ids["Two"]: 1})
        assert _order(work) == [("One", 1), ("Two", 2), ("Three", 3)]

    def test_a_chapter_of_another_work_is_refused(self):
        work = _work_with_titled_chapters("One", "Two")
        other = make_work(make_user()).chapters.get()
        ids = dict(work.chapters.values_list("title", "pk"))
        with pytest.raises(ValidationError):
            chapter_reorder(work=work, positions={ids["One"]: 2, ids["Two"]: 1, other.pk: 3})
        assert _order(work) == [("One", 1), ("Two", 2)]


class TestDelete:
    def test_deleting_a_chapter_renumbers_the_rest(self):
        work = _work_with_titled_chapters("One", "Two", "Three")
        chapter_delete(chapter=work.chapters.get(title="Two"))
        assert _order(work) == [("One", 1), ("Three", 2)]
        work.refresh_from_db()
        assert work.chapters_label == "2/?"

    def test_deleting_a_chapter_takes_its_words_off_the_work(self):
        work = _work_with_titled_chapters("One", "Two")
        two = work.chapters.get(title="Two")
        before = work.word_count
        chapter_delete(chapter=two)
        work.refresh_from_db()
        assert work.word_count == before - two.word_count

    def test_the_last_chapter_cannot_be_deleted(self):
        work = make_work(make_user())
        with pytest.raises(ValidationError) as error:
            chapter_delete(chapter=work.chapters.get())
        assert "delete the work" in error.value.messages[0]
        assert work.chapters.count() == 1

    def test_the_last_posted_chapter_of_a_posted_work_cannot_be_deleted(self):
        # Otherwise readers would find a posted work with nothing to read.
        work = make_work(make_user(), expected_chapters=None)
        chapter_create(work=work, fields={"body": "<p>Not yet.</p>"}, post=False)
        with pytest.raises(ValidationError):
            chapter_delete(chapter=work.chapters.get(position=1))
        assert work.chapters.filter(posted=True).count() == 1

    def test_an_unposted_chapter_of_a_posted_work_can_be_deleted(self):
        work = make_work(make_user(), expected_chapters=None)
        draft = chapter_create(work=work, fields={"body": "<p>Not yet.</p>"}, post=False)
        chapter_delete(chapter=draft)
        assert work.chapters.count() == 1

    def test_deleting_a_chapter_of_a_complete_work_makes_it_incomplete(self):
        work = _work_with_titled_chapters("One", "Two", expected=2)
        assert work.complete
        chapter_delete(chapter=work.chapters.get(title="Two"))
        work.refresh_from_db()
        assert work.chapters_label == "1/2"
        assert not work.complete
        assert work.completed_at is None


class TestEditConflicts:
    def test_an_edit_saves_the_text_and_a_new_version(self):
        work = make_work(make_user())
        chapter = work.chapters.get()
        saved = chapter_update(
            chapter=chapter, fields={"body": "<p>New words here.</p>"}, version=chapter.version
        )
        assert saved.version == 2
        stored = Chapter.objects.get(pk=chapter.pk)
        assert stored.body == "<p>New words here.</p>"
        assert stored.word_count == 3
        assert Work.objects.get(pk=work.pk).word_count == 3

    def test_the_second_of_two_edits_from_the_same_version_conflicts(self):
        work = make_work(make_user())
        chapter = work.chapters.get()
        opened = chapter.version
        # Two edit forms opened on the same version, e.g. in two browser tabs.
        first_tab = Chapter.objects.get(pk=chapter.pk)
        second_tab = Chapter.objects.get(pk=chapter.pk)
        chapter_update(chapter=first_tab, fields={"body": "<p>Newer text.</p>"}, version=opened)

        with pytest.raises(EditConflict) as conflict:
            chapter_update(
                chapter=second_tab, fields={"body": "<p>Stale text.</p>"}, version=opened
            )
        assert conflict.value.current.body == "<p>Newer text.</p>"
        assert conflict.value.current.version == opened + 1
        stored = Chapter.objects.get(pk=chapter.pk)
        assert stored.body == "<p>Newer text.</p>"
        assert stored.version == opened + 1
        assert Work.objects.get(pk=work.pk).word_count == 2

    def test_saving_on_top_of_the_newer_version_works(self):
        work = make_work(make_user())
        chapter = work.chapters.get()
        opened = chapter.version
        chapter_update(
            chapter=Chapter.objects.get(pk=chapter.pk),
            fields={"body": "<p>Newer text.</p>"},
            version=opened,
        )
        with pytest.raises(EditConflict) as conflict:
            chapter_update(
                chapter=Chapter.objects.get(pk=chapter.pk),
                fields={"body": "<p>Stale.</p>"},
                version=opened,
            )
        # The author has seen both versions and saves knowingly over the newer one.
        chapter_update(
            chapter=Chapter.objects.get(pk=chapter.pk),
            fields={"body": "<p>Merged text at last.</p>"},
            version=conflict.value.current.version,
        )
        stored = Chapter.objects.get(pk=chapter.pk)
        assert stored.body == "<p>Merged text at last.</p>"
        assert stored.version == opened + 2

    def test_an_invalid_edit_is_refused_and_saves_nothing(self):
        work = make_work(make_user())
        chapter = work.chapters.get()
        body = chapter.body
        with pytest.raises(ValidationError):
            chapter_update(chapter=chapter, fields={"body": ""}, version=chapter.version)
        stored = Chapter.objects.get(pk=chapter.pk)
        assert stored.body == body
        assert stored.version == 1

    def test_editing_one_field_keeps_the_others(self):
        work = make_work(make_user())
        chapter = work.chapters.get()
        chapter_update(
            chapter=chapter, fields={"title": "Arrival", "notes": "Hi."}, version=chapter.version
        )
        stored = Chapter.objects.get(pk=chapter.pk)
        assert (stored.title, stored.notes) == ("Arrival", "Hi.")
        assert stored.body == "<p>The first chapter, in a few words.</p>"
