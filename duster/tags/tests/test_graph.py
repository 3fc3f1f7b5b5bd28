"""The tag model: names and keys, synonyms, meta tags without cycles."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from duster.tags.filtering import meta_cycle_check, sub_tag_scope
from duster.tags.models import MetaTagging, Tag, TagType, tag_key, tag_match_key
from duster.tags.services import tags_find_or_create
from duster.tags.tests.graphs import add_meta, canonical

FANDOM = TagType.FANDOM


class TestKeys:
    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("Pokémon", "pokemon"),
            ("Spike/Buffy", "spike/buffy"),
            ("  Slow   Burn ", "slow burn"),
            ("STRASSE", "straße"),
            ("Zoë", "ZOE"),
        ],
    )
    def test_names_differing_in_case_accents_or_spacing_share_a_key(self, one, other):
        assert tag_key(one) == tag_key(other)

    @pytest.mark.parametrize(("one", "other"), [("Spike/Buffy", "Spike & Buffy"), ("A", "B")])
    def test_punctuation_still_tells_tags_apart(self, one, other):
        assert tag_key(one) != tag_key(other)

    def test_the_match_key_ignores_punctuation_too(self):
        assert tag_match_key("Spike/Buffy") == tag_match_key("spike - BUFFY") == "spike buffy"
        assert tag_match_key("Buffy & Spike") == "buffy spike"


@pytest.mark.django_db
class TestNames:
    def test_an_accented_spelling_finds_the_existing_tag(self):
        (first,) = tags_find_or_create(tag_type=FANDOM, names=["Pokémon"])
        (again,) = tags_find_or_create(tag_type=FANDOM, names=["POKEMON"])
        assert again == first

    def test_white_space_is_normalised_on_save(self):
        tag = Tag.objects.create(name="  Slow \t Burn ", type=TagType.FREEFORM, slug="sb")
        assert (tag.name, tag.key, tag.match_key) == ("Slow Burn", "slow burn", "slow burn")

    def test_bulk_create_and_bulk_update_keep_the_keys(self):
        (tag,) = Tag.objects.bulk_create([Tag(name="Émigré", type=FANDOM, slug="e")])
        assert Tag.objects.get(slug="e").key == "emigre"
        tag.name = "Exile Life"
        Tag.objects.bulk_update([tag], ["name"])
        assert Tag.objects.get(slug="e").key == "exile life"

    def test_renaming_with_update_must_set_the_keys(self):
        Tag.objects.create(name="Old", type=FANDOM, slug="old")
        with pytest.raises(ValueError, match="key"):
            Tag.objects.filter(slug="old").update(name="New")
        Tag.objects.filter(slug="old").update(name="New", key="new", match_key="new")
        assert Tag.objects.get(slug="old").key == "new"

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("a, b", "Commas separate tags"),
            ("x" * 151, "at most 150 characters"),
            ("   ", "can't be empty"),
        ],
    )
    def test_a_bad_name_is_refused_with_a_message(self, name, message):
        with pytest.raises(ValidationError, match=message):
            Tag(name=name, type=FANDOM, slug="bad").full_clean()

    def test_writers_cannot_make_fixed_tags(self):
        with pytest.raises(ValueError, match="fixed"):
            tags_find_or_create(tag_type=TagType.WARNING, names=["My Own Warning"])


@pytest.mark.django_db
class TestSynonyms:
    def test_a_synonym_must_point_at_a_canonical_tag_of_its_type(self):
        fandom = canonical("Buffy", FANDOM)
        loose = Tag.objects.create(name="Buffy?", type=FANDOM, slug="b2")
        character = Tag.objects.create(name="Buffy", type=TagType.CHARACTER, slug="b3")
        character.merger = fandom
        with pytest.raises(ValidationError, match="character tag and can only be a synonym"):
            character.full_clean()
        other = Tag(name="Buffy!", type=FANDOM, slug="b4", merger=loose)
        with pytest.raises(ValidationError, match="is not canonical"):
            other.full_clean()

    def test_the_database_refuses_a_canonical_tag_with_a_merger(self):
        fandom = canonical("Buffy", FANDOM)
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(name="Also", type=FANDOM, slug="also", canonical=True, merger=fandom)


@pytest.mark.django_db
class TestMetaTags:
    def test_a_cycle_is_refused_with_the_chain_named(self):
        a, b, c = (canonical(name, FANDOM) for name in ("Alpha", "Beta", "Gamma"))
        add_meta(a, b)
        add_meta(b, c)
        with pytest.raises(ValidationError) as error:
            meta_cycle_check(c, a)
        message = error.value.messages[0]
        assert "cycle" in message
        assert "“Gamma” → “Alpha” → “Beta” → “Gamma”" in message
        assert MetaTagging.objects.count() == 2

    def test_a_tag_cannot_be_its_own_meta_tag(self):
        a = canonical("Alpha", FANDOM)
        with pytest.raises(ValidationError, match="itself"):
            meta_cycle_check(a, a)

    def test_a_meta_tag_must_be_of_the_same_type(self):
        fandom = canonical("Alpha", FANDOM)
        character = canonical("Alpha", TagType.CHARACTER)
        with pytest.raises(ValidationError, match="same type"):
            meta_cycle_check(character, fandom)

    def test_a_diamond_is_no_cycle(self):
        base, left, right, top = (canonical(n, FANDOM) for n in ("Base", "Left", "Right", "Top"))
        add_meta(base, left)
        add_meta(base, right)
        add_meta(left, top)
        meta_cycle_check(right, top)  # no error

    def test_the_scope_of_a_meta_tag_holds_its_sub_tags_and_their_synonyms(self):
        top, sub = canonical("Top", FANDOM), canonical("Sub", FANDOM)
        add_meta(sub, top)
        synonym = Tag.objects.create(name="Sub?", type=FANDOM, slug="sub2", merger=sub)
        assert sub_tag_scope([top.pk]) == {top.pk, sub.pk, synonym.pk}

    def test_fandom_parents_and_relationship_characters(self):
        fandom = canonical("Buffy", FANDOM)
        spike = canonical("Spike", TagType.CHARACTER)
        pairing = canonical("Buffy Summers/Spike")
        spike.fandoms.add(fandom)
        pairing.characters.add(spike)
        assert list(fandom.children.all()) == [spike]
        assert list(spike.relationships.all()) == [pairing]
