"""Wrangling services: the graph changes, their log, undo and who may make them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duster.tags.models import MetaTagging, Tag, TagFandom, TagType, Wrangler, WranglingLog
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services import (
    tag_fandom_add,
    tag_fandom_remove,
    tag_make_canonical,
    tag_make_uncanonical,
    tag_media_set,
    tag_merge,
    tag_meta_add,
    tag_meta_remove,
    tag_rename,
    tag_unmerge,
    wrangling_undo,
)
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.django_db


def tag(name: str, tag_type: TagType = TagType.RELATIONSHIP, canonical: bool = False) -> Tag:
    (found,) = tags_find_or_create(tag_type=tag_type, names=[name])
    if canonical and not found.canonical:
        tag_make_canonical(actor=None, tags=[found])
        found.refresh_from_db()
    return found


def filter_names(work) -> set[str]:
    return set(Tag.objects.filter(filter_taggings__work=work).values_list("name", flat=True))


def fresh(t: Tag) -> Tag:
    t.refresh_from_db()
    return t


def message(error: ValidationError, field: str) -> str:
    return " ".join(error.message_dict[field])


@pytest.fixture
def author():
    return make_user("author")


class TestMerge:
    def test_three_spellings_become_synonyms_and_their_works_are_found_under_the_canonical(
        self, author
    ):
        spellings = ["Spike/Buffy", "buffy x spike", "Spuffy"]
        works = [
            make_work(author, fandoms=["Buffy the Vampire Slayer (TV)"], relationships=[name])
            for name in spellings
        ]
        canonical = tag("Buffy Summers/Spike", canonical=True)
        merged = tag_merge(actor=None, tags=[tag(name) for name in spellings], into=canonical)
        assert {t.name for t in merged} == set(spellings)
        for work in works:
            assert "Buffy Summers/Spike" in filter_names(work)
        for name in spellings:
            synonym = Tag.objects.get(name=name)
            assert synonym.merger == canonical
            assert not synonym.canonical

    def test_each_merged_tag_is_logged_with_its_state_before_and_after(self):
        canonical = tag("Buffy Summers/Spike", canonical=True)
        spelling = tag("Spike/Buffy")
        tag_merge(actor=None, tags=[spelling], into=canonical)
        entry = WranglingLog.objects.get(tag=spelling)
        assert entry.action == "merge"
        assert entry.actor is None
        assert entry.before == {"canonical": False, "merger": None}
        assert entry.after["merger"] == canonical.pk

    def test_a_tag_of_another_type_is_refused_at_the_target(self):
        canonical = tag("Spike", TagType.CHARACTER, canonical=True)
        with pytest.raises(ValidationError) as caught:
            tag_merge(actor=None, tags=[tag("Spike/Buffy")], into=canonical)
        assert "same type" in message(caught.value, "into")
        assert not WranglingLog.objects.filter(action="merge").exists()

    def test_merging_into_a_tag_that_is_not_canonical_is_refused(self):
        with pytest.raises(ValidationError) as caught:
            tag_merge(actor=None, tags=[tag("Spike/Buffy")], into=tag("Buffy/Spike"))
        assert "not canonical" in message(caught.value, "into")

    def test_a_tag_cannot_be_merged_into_itself(self):
        canonical = tag("Buffy Summers/Spike", canonical=True)
        with pytest.raises(ValidationError) as caught:
            tag_merge(actor=None, tags=[canonical], into=canonical)
        assert "itself" in message(caught.value, "tags")

    def test_merging_a_canonical_tag_moves_its_synonyms_meta_tags_and_fandoms(self, author):
        fandom = tag("Slayers", TagType.FANDOM, canonical=True)
        old = tag("Spuffy", canonical=True)
        new = tag("Buffy Summers/Spike", canonical=True)
        meta = tag("Spike/Everyone", canonical=True)
        sub = tag("Spuffy (Season 6)", canonical=True)
        synonym = tag("spuffy!!")
        tag_merge(actor=None, tags=[synonym], into=old)
        tag_meta_add(actor=None, tags=[old], meta=meta)
        tag_meta_add(actor=None, tags=[sub], meta=old)
        tag_fandom_add(actor=None, tags=[old], fandom=fandom)
        work = make_work(author, relationships=["spuffy!!"])

        tag_merge(actor=None, tags=[old], into=new)

        assert fresh(synonym).merger == new
        assert fresh(old).merger == new and not fresh(old).canonical
        assert MetaTagging.objects.filter(sub=new, meta=meta).exists()
        assert MetaTagging.objects.filter(sub=sub, meta=new).exists()
        assert not MetaTagging.objects.filter(sub=old).exists()
        assert TagFandom.objects.filter(tag=new, fandom=fandom).exists()
        assert {"Buffy Summers/Spike", "Spike/Everyone"} <= filter_names(work)
        assert "Spuffy" not in filter_names(work)

    def test_undoing_a_merge_of_a_canonical_tag_puts_everything_back(self, author):
        old = tag("Spuffy", canonical=True)
        new = tag("Buffy Summers/Spike", canonical=True)
        meta = tag("Spike/Everyone", canonical=True)
        synonym = tag("spuffy!!")
        tag_merge(actor=None, tags=[synonym], into=old)
        tag_meta_add(actor=None, tags=[old], meta=meta)
        work = make_work(author, relationships=["spuffy!!"])
        tag_merge(actor=None, tags=[old], into=new)

        wrangling_undo(actor=None, entry=WranglingLog.objects.get(tag=old, action="merge"))

        assert fresh(old).canonical and fresh(old).merger is None
        assert fresh(synonym).merger == old
        assert MetaTagging.objects.filter(sub=old, meta=meta).exists()
        assert not MetaTagging.objects.filter(sub=new).exists()
        assert filter_names(work) >= {"Spuffy", "Spike/Everyone"}
        assert "Buffy Summers/Spike" not in filter_names(work)

    def test_unmerged_tags_keep_their_works_findable_under_themselves(self, author):
        canonical = tag("Buffy Summers/Spike", canonical=True)
        spelling = tag("Spike/Buffy")
        work = make_work(author, relationships=["Spike/Buffy"])
        tag_merge(actor=None, tags=[spelling], into=canonical)
        assert "Buffy Summers/Spike" in filter_names(work)
        tag_unmerge(actor=None, tags=[spelling])
        assert fresh(spelling).merger is None
        assert filter_names(work) >= {"Spike/Buffy"}
        assert "Buffy Summers/Spike" not in filter_names(work)

    def test_un_merging_a_tag_that_is_no_synonym_is_refused(self):
        with pytest.raises(ValidationError) as caught:
            tag_unmerge(actor=None, tags=[tag("Spike/Buffy")])
        assert "synonym" in message(caught.value, "tags")


class TestCanonical:
    def test_many_tags_are_made_canonical_at_once(self):
        tags = [tag(name, TagType.FREEFORM) for name in ("Angst", "Fluff", "Hurt/Comfort")]
        changed = tag_make_canonical(actor=None, tags=tags)
        assert len(changed) == 3
        assert all(fresh(t).canonical for t in tags)
        assert WranglingLog.objects.filter(action="canonical").count() == 3

    def test_a_tag_with_synonyms_cannot_stop_being_canonical(self):
        canonical = tag("Buffy Summers/Spike", canonical=True)
        tag_merge(actor=None, tags=[tag("Spuffy")], into=canonical)
        with pytest.raises(ValidationError) as caught:
            tag_make_uncanonical(actor=None, tags=[canonical])
        assert "has synonyms" in message(caught.value, "tags")
        assert fresh(canonical).canonical

    def test_a_tag_with_sub_tags_cannot_stop_being_canonical(self):
        meta = tag("Buffy the Vampire Slayer - All Media Types", TagType.FANDOM, canonical=True)
        sub = tag("Buffy the Vampire Slayer (TV)", TagType.FANDOM, canonical=True)
        tag_meta_add(actor=None, tags=[sub], meta=meta)
        with pytest.raises(ValidationError) as caught:
            tag_make_uncanonical(actor=None, tags=[meta])
        assert "sub tags" in message(caught.value, "tags")

    def test_fixed_tags_cannot_be_wrangled(self):
        fixed = Tag.objects.filter(fixed=True).first() or tag("x")
        if not fixed.fixed:
            pytest.skip("no fixed tags in this database")
        with pytest.raises(ValidationError) as caught:
            tag_make_uncanonical(actor=None, tags=[fixed])
        assert "fixed" in message(caught.value, "tags")


class TestMetaTags:
    def test_works_of_a_sub_tag_are_found_under_its_meta_tags_several_levels_up(self, author):
        tv = tag("Buffy the Vampire Slayer (TV)", TagType.FANDOM, canonical=True)
        all_media = tag(
            "Buffy the Vampire Slayer - All Media Types", TagType.FANDOM, canonical=True
        )
        whedonverse = tag("Whedonverse", TagType.FANDOM, canonical=True)
        work = make_work(author, fandoms=["Buffy the Vampire Slayer (TV)"])
        tag_meta_add(actor=None, tags=[tv], meta=all_media)
        tag_meta_add(actor=None, tags=[all_media], meta=whedonverse)
        assert filter_names(work) >= {tv.name, all_media.name, whedonverse.name}
        tag_meta_remove(actor=None, tags=[tv], meta=all_media)
        assert tv.name in filter_names(work)
        assert not {all_media.name, whedonverse.name} & filter_names(work)

    def test_a_cycle_is_refused_with_a_message_naming_the_chain(self):
        a = tag("A", TagType.FREEFORM, canonical=True)
        b = tag("B", TagType.FREEFORM, canonical=True)
        c = tag("C", TagType.FREEFORM, canonical=True)
        tag_meta_add(actor=None, tags=[a], meta=b)
        tag_meta_add(actor=None, tags=[b], meta=c)
        with pytest.raises(ValidationError) as caught:
            tag_meta_add(actor=None, tags=[c], meta=a)
        text = message(caught.value, "meta")
        assert "cycle" in text and "“A”" in text and "“C”" in text
        assert not MetaTagging.objects.filter(sub=c).exists()

    def test_a_meta_tag_of_another_type_is_refused(self):
        with pytest.raises(ValidationError) as caught:
            tag_meta_add(
                actor=None,
                tags=[tag("Spike", TagType.CHARACTER, canonical=True)],
                meta=tag("Slayers", TagType.FANDOM, canonical=True),
            )
        assert "same type" in message(caught.value, "meta")

    def test_an_unwrangled_tag_cannot_be_a_meta_tag(self):
        with pytest.raises(ValidationError) as caught:
            tag_meta_add(
                actor=None,
                tags=[tag("Angst", TagType.FREEFORM, canonical=True)],
                meta=tag("Feels", TagType.FREEFORM),
            )
        assert "not canonical" in message(caught.value, "meta")


class TestFandoms:
    def test_tags_get_and_lose_parent_fandoms(self):
        fandom = tag("Slayers", TagType.FANDOM, canonical=True)
        spike = tag("Spike", TagType.CHARACTER, canonical=True)
        assert tag_fandom_add(actor=None, tags=[spike], fandom=fandom) == [spike]
        assert list(spike.fandoms.all()) == [fandom]
        tag_fandom_remove(actor=None, tags=[spike], fandom=fandom)
        assert not spike.fandoms.exists()

    def test_a_parent_that_is_not_a_fandom_is_refused(self):
        with pytest.raises(ValidationError) as caught:
            tag_fandom_add(
                actor=None,
                tags=[tag("Spike", TagType.CHARACTER)],
                fandom=tag("Angst", TagType.FREEFORM, canonical=True),
            )
        assert "not a fandom" in message(caught.value, "fandom")

    def test_a_fandom_gets_a_media_type_and_a_bad_one_is_refused(self):
        fandom = tag("Slayers", TagType.FANDOM, canonical=True)
        tag_media_set(actor=None, tags=[fandom], media="tv")
        assert fresh(fandom).media == "tv"
        with pytest.raises(ValidationError) as caught:
            tag_media_set(actor=None, tags=[fandom], media="radio")
        assert "media type" in message(caught.value, "media_type")


class TestRename:
    def test_a_renamed_tag_keeps_its_old_name_as_a_synonym(self, author):
        old = tag("Spike/Buffy", canonical=True)
        work = make_work(author, relationships=["Spike/Buffy"])
        tag_rename(actor=None, tag=old, name="Buffy Summers/Spike")
        assert fresh(old).name == "Buffy Summers/Spike"
        synonym = Tag.objects.get(name="Spike/Buffy")
        assert synonym.merger == old
        later = make_work(author, relationships=["spike/buffy"])
        assert "Buffy Summers/Spike" in filter_names(work)
        assert "Buffy Summers/Spike" in filter_names(later)

    def test_a_change_of_case_only_makes_no_synonym(self):
        old = tag("spike/buffy", canonical=True)
        tag_rename(actor=None, tag=old, name="Spike/Buffy")
        assert fresh(old).name == "Spike/Buffy"
        assert Tag.objects.count() == Tag.objects.filter(fixed=True).count() + 1

    def test_a_name_taken_by_another_tag_is_refused(self):
        old = tag("Spike/Buffy", canonical=True)
        tag("Buffy/Spike")
        with pytest.raises(ValidationError) as caught:
            tag_rename(actor=None, tag=old, name="buffy/spike")
        assert "choose another name" in message(caught.value, "name")
        assert fresh(old).name == "Spike/Buffy"

    @pytest.mark.parametrize(("name", "words"), [("a, b", "Commas"), ("x" * 151, "at most 150")])
    def test_a_bad_name_is_refused_at_the_name(self, name, words):
        old = tag("Spike/Buffy", canonical=True)
        with pytest.raises(ValidationError) as caught:
            tag_rename(actor=None, tag=old, name=name)
        assert words in message(caught.value, "name")

    def test_undoing_a_rename_folds_the_synonym_back_into_the_tag(self, author):
        old = tag("Spike/Buffy", canonical=True)
        tag_rename(actor=None, tag=old, name="Buffy Summers/Spike")
        work = make_work(author, relationships=["Spike/Buffy"])
        wrangling_undo(actor=None, entry=WranglingLog.objects.get(action="rename"))
        assert fresh(old).name == "Spike/Buffy"
        assert not Tag.objects.filter(name="Buffy Summers/Spike").exists()
        assert list(work.tags.filter(type=TagType.RELATIONSHIP)) == [old]


class TestUndo:
    def test_only_the_last_change_to_a_tag_can_be_undone(self):
        canonical = tag("Buffy Summers/Spike", canonical=True)
        spelling = tag("Spike/Buffy")
        tag_merge(actor=None, tags=[spelling], into=canonical)
        tag_unmerge(actor=None, tags=[spelling])
        merge = WranglingLog.objects.get(tag=spelling, action="merge")
        with pytest.raises(ValidationError) as caught:
            wrangling_undo(actor=None, entry=merge)
        assert "last change" in message(caught.value, "tags")
        undo = wrangling_undo(actor=None, entry=WranglingLog.objects.get(action="unmerge"))
        assert undo.action == "undo"
        assert fresh(spelling).merger == canonical
        assert WranglingLog.objects.get(action="unmerge").undone_at is not None

    def test_a_change_cannot_be_undone_twice(self):
        spelling = tag("Spike/Buffy")
        tag_make_canonical(actor=None, tags=[spelling])
        entry = WranglingLog.objects.get(action="canonical")
        wrangling_undo(actor=None, entry=entry)
        assert not fresh(spelling).canonical
        with pytest.raises(ValidationError):
            wrangling_undo(actor=None, entry=entry)

    def test_undo_is_refused_when_the_data_no_longer_allows_it(self):
        canonical = tag("Buffy Summers/Spike", canonical=True)
        entry = WranglingLog.objects.get(tag=canonical, action="canonical")
        tag_merge(actor=None, tags=[tag("Spuffy")], into=canonical)
        # The canonical tag's own last change is still "canonical", but it
        # now has a synonym: un-making it canonical is refused with a reason.
        with pytest.raises(ValidationError) as caught:
            wrangling_undo(actor=None, entry=entry)
        assert "synonyms" in message(caught.value, "tags")
        assert fresh(canonical).canonical


class TestPermissions:
    def test_a_reader_cannot_wrangle(self):
        reader = make_user("reader")
        with pytest.raises(PermissionDenied):
            tag_make_canonical(actor=reader, tags=[tag("Spike/Buffy")])
        assert not fresh(Tag.objects.get(name="Spike/Buffy")).canonical

    def test_a_wrangler_of_every_fandom_and_a_superuser_can_wrangle(self):
        wrangler = make_user("wrangler")
        Wrangler.objects.create(user=wrangler)
        admin = make_user("admin", is_superuser=True, is_staff=True)
        tag_make_canonical(actor=wrangler, tags=[tag("Spike/Buffy")])
        tag_make_canonical(actor=admin, tags=[tag("Buffy/Faith")])
        entry = WranglingLog.objects.get(tag__name="Spike/Buffy")
        assert entry.actor == wrangler

    def test_a_wrangler_of_one_fandom_wrangles_only_tags_in_it(self, author):
        slayers = tag("Slayers", TagType.FANDOM, canonical=True)
        tag("Lamplighter Chronicles", TagType.FANDOM, canonical=True)
        wrangler = make_user("wrangler")
        Wrangler.objects.create(user=wrangler, fandom=slayers)
        make_work(author, fandoms=["Slayers"], relationships=["Spike/Buffy"])
        make_work(author, fandoms=["Lamplighter Chronicles"], relationships=["Wren/Idris"])
        tag_make_canonical(actor=wrangler, tags=[Tag.objects.get(name="Spike/Buffy")])
        with pytest.raises(PermissionDenied):
            tag_make_canonical(actor=wrangler, tags=[Tag.objects.get(name="Wren/Idris")])
