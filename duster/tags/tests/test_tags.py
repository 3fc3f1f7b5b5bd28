"""Tag names as writers type them, and the tags they find or create."""

import pytest

from duster.tags import services
from duster.tags.models import Tag, TagType
from duster.tags.services import split_tag_names, tags_find_or_create


class TestSplitTagNames:
    def test_names_are_split_on_commas_and_trimmed(self):
        assert split_tag_names(" Angst ,Fluff,  Hurt/Comfort ") == [
            "Angst",
            "Fluff",
            "Hurt/Comfort",
        ]

    def test_inner_white_space_is_folded_to_one_space(self):
        assert split_tag_names("Slow   Burn,\tFound\n Family") == ["Slow Burn", "Found Family"]

    def test_empty_names_are_dropped(self):
        assert split_tag_names(",, ,Angst,,") == ["Angst"]
        assert split_tag_names("") == []
        assert split_tag_names(" , ") == []

    def test_repeats_are_dropped_whatever_their_case_and_the_first_spelling_wins(self):
        assert split_tag_names("Slow Burn, slow  burn, SLOW BURN, Angst") == [
            "Slow Burn",
            "Angst",
        ]

    def test_unicode_names_are_kept_and_compared_by_case_folding(self):
        assert split_tag_names("地图不是领土, Straße, STRASSE, Émigré") == [
            "地图不是领土",
            "Straße",
            "Émigré",
        ]


@pytest.mark.django_db
class TestTagsFindOrCreate:
    def test_new_names_create_tags_of_the_given_type_in_the_given_order(self):
        tags = tags_find_or_create(tag_type=TagType.CHARACTER, names=["Mara", "Ilse"])
        assert [(t.name, t.type) for t in tags] == [
            ("Mara", TagType.CHARACTER),
            ("Ilse", TagType.CHARACTER),
        ]
        assert all(t.pk for t in tags)
        assert not tags[0].canonical
        assert tags[0].merger is None

    def test_an_existing_tag_is_reused_whatever_the_case(self):
        (first,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=["Slow Burn"])
        (again,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=["SLOW burn"])
        assert again == first
        assert again.name == "Slow Burn"
        assert Tag.objects.filter(fixed=False).count() == 1

    def test_a_non_ascii_tag_is_reused_whatever_the_case(self):
        (first,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=["Émigré"])
        (again,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=["émigré"])
        assert again == first
        assert Tag.objects.filter(fixed=False).count() == 1

    def test_repeats_in_one_call_make_one_tag_with_the_first_spelling(self):
        tags = tags_find_or_create(tag_type=TagType.FREEFORM, names=["Slow Burn", "slow burn"])
        assert [t.name for t in tags] == ["Slow Burn"]
        assert Tag.objects.filter(fixed=False).count() == 1

    def test_a_mix_of_old_and_new_names_keeps_the_given_order(self):
        tags_find_or_create(tag_type=TagType.FREEFORM, names=["Fluff"])
        tags = tags_find_or_create(tag_type=TagType.FREEFORM, names=["Angst", "fluff", "Hurt"])
        assert [t.name for t in tags] == ["Angst", "Fluff", "Hurt"]
        assert Tag.objects.filter(fixed=False).count() == 3

    def test_no_names_make_no_tags(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert tags_find_or_create(tag_type=TagType.FANDOM, names=[]) == []

    @pytest.mark.parametrize(
        ("first", "second"),
        [("A B", "A-B"), ("A/B", "AB"), ("Mara & Ilse", "Mara Ilse")],
    )
    def test_names_that_slugify_alike_get_different_slugs(self, first, second):
        (one,) = tags_find_or_create(tag_type=TagType.RELATIONSHIP, names=[first])
        (two,) = tags_find_or_create(tag_type=TagType.RELATIONSHIP, names=[second])
        assert one != two
        assert one.slug != two.slug
        assert two.slug == f"{one.slug}-2"

    def test_one_name_in_two_types_gets_two_slugs(self):
        (fandom,) = tags_find_or_create(tag_type=TagType.FANDOM, names=["Lamplighter"])
        (character,) = tags_find_or_create(tag_type=TagType.CHARACTER, names=["Lamplighter"])
        assert fandom != character
        assert (fandom.slug, character.slug) == ("lamplighter", "lamplighter-2")
        assert fandom.get_absolute_url() != character.get_absolute_url()

    @pytest.mark.parametrize(
        ("name", "slug"),
        [("地图不是领土", "地图不是领土"), ("Émigré Life", "émigré-life"), ("🙂🙂", "tag")],
    )
    def test_unicode_names_get_a_non_empty_slug(self, name, slug):
        (tag,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=[name])
        assert tag.name == name
        assert tag.slug == slug

    def test_a_tag_created_by_someone_else_meanwhile_is_reused(self, monkeypatch):
        # Between our lookup and our insert, another request creates the tag.
        unique_slug = services._unique_slug

        def slug_after_someone_else_created_it(name):
            Tag.objects.create(name=name.upper(), type=TagType.FREEFORM, slug="theirs")
            monkeypatch.setattr(services, "_unique_slug", unique_slug)
            return unique_slug(name)

        monkeypatch.setattr(services, "_unique_slug", slug_after_someone_else_created_it)
        (tag,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=["Angst"])
        assert (tag.name, tag.slug) == ("ANGST", "theirs")
        assert Tag.objects.filter(fixed=False).count() == 1

    def test_a_slug_taken_meanwhile_by_another_tag_moves_on_to_the_next(self, monkeypatch):
        unique_slug = services._unique_slug

        def slug_taken_meanwhile(name):
            slug = unique_slug(name)
            Tag.objects.create(name="Other", type=TagType.FANDOM, slug=slug)
            monkeypatch.setattr(services, "_unique_slug", unique_slug)
            return slug

        monkeypatch.setattr(services, "_unique_slug", slug_taken_meanwhile)
        (tag,) = tags_find_or_create(tag_type=TagType.FREEFORM, names=["Angst"])
        assert (tag.name, tag.slug) == ("Angst", "angst-2")
        assert Tag.objects.filter(fixed=False).count() == 2
