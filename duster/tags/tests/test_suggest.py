"""The suggestion rules: which canonical tag a new tag most likely means."""

import pytest

from duster.tags.suggest import (
    PLATONIC,
    ROMANTIC,
    Candidate,
    compact,
    edit_distance,
    patterns_apply,
    patterns_learn,
    person_match,
    relationship_parse,
    suggest,
)

BUFFY, BTVS = 1, 100
SPIKE = 2
OTHER_FANDOM = 200


def character(pk, name, fandoms=(BTVS,), synonyms=()):
    return Candidate(pk, name, "character", frozenset(fandoms), (), tuple(synonyms))


def relationship(pk, name, fandoms=(BTVS,), characters=(), synonyms=()):
    return Candidate(pk, name, "relationship", frozenset(fandoms), tuple(characters), synonyms)


CHARACTERS = [
    character(1, "Buffy Summers"),
    character(2, "Spike"),
    character(3, "Willow Rosenberg"),
    character(4, "Dawn Summers"),
    character(5, "Rupert Giles"),
    character(6, "Willow Ufgood", fandoms=(OTHER_FANDOM,)),
]
RELATIONSHIPS = [
    relationship(10, "Buffy Summers/Spike"),
    relationship(11, "Buffy Summers & Willow Rosenberg"),
    relationship(12, "Rupert Giles/Jenny Calendar", characters=("Rupert Giles", "Jenny Calendar")),
]


class TestNames:
    def test_compact_sets_aside_case_accents_punctuation_and_spacing(self):
        assert compact("Hurt/Comfort") == compact("hurt comfort") == compact("HURT-COMFORT")
        assert compact("Pokémon") == compact("POKEMON")
        assert compact("Slow Burn") == compact("slowburn")

    @pytest.mark.parametrize(
        ("name", "kind", "people"),
        [
            ("Spike/Buffy", ROMANTIC, ("Spike", "Buffy")),
            ("spike x buffy", ROMANTIC, ("spike", "buffy")),
            ("Spike × Buffy Summers", ROMANTIC, ("Spike", "Buffy Summers")),
            ("Buffy & Spike", PLATONIC, ("Buffy", "Spike")),
            ("Buffy/Spike/Angel", ROMANTIC, ("Buffy", "Spike", "Angel")),
        ],
    )
    def test_relationships_are_parsed_into_kind_and_people(self, name, kind, people):
        pairing = relationship_parse(name)
        assert pairing is not None
        assert (pairing.kind, pairing.people) == (kind, people)

    @pytest.mark.parametrize("name", ["Spike", "Malcolm X", "Buffy/Spike & Willow", "/", "a /"])
    def test_names_that_are_not_one_kind_of_pairing_are_not_parsed(self, name):
        assert relationship_parse(name) is None

    def test_edit_distance_counts_a_swap_of_neighbours_as_one(self):
        assert edit_distance("ashdown", "ashdwon") == 1
        assert edit_distance("ashdown", "ashdow") == 1
        assert edit_distance("ashdown", "xxhdown") == 2
        assert edit_distance("ashdown", "completely", limit=2) == 3

    @pytest.mark.parametrize(
        ("written", "full", "how"),
        [
            ("Buffy", "Buffy Summers", "first"),
            ("summers", "Buffy Summers", "last"),
            ("Buffy Summers (BtVS)", "Buffy Summers", "same"),
            ("Willow Rosenbreg", "Willow Rosenberg", "spelling"),
            ("Pim", "Tim", None),
            ("Bufy", "Buffy Summers", None),
        ],
    )
    def test_person_match_says_how_a_name_matches(self, written, full, how):
        assert person_match(written, full) == how


class TestRules:
    def suggested(self, name, tag_type, candidates, **kwargs):
        found = suggest(name, tag_type, candidates, **kwargs)
        return (found.canonical.id, found.rule) if found else None

    def test_the_same_name_up_to_case_accents_and_punctuation_is_suggested(self):
        freeforms = [Candidate(30, "Hurt/Comfort", "freeform"), Candidate(31, "Angst", "freeform")]
        assert self.suggested("hurt - comfort", "freeform", freeforms) == (30, "same-name")
        found = suggest("HURT COMFORT", "freeform", freeforms)
        assert found is not None
        assert "Hurt/Comfort" in found.reason

    def test_only_candidates_of_the_same_type_are_suggested(self):
        assert self.suggested("Spike", "relationship", CHARACTERS) is None

    def test_a_spelling_of_an_existing_synonym_is_suggested_as_its_canonical(self):
        candidates = [relationship(10, "Buffy Summers/Spike", synonyms=("Spuffy",))]
        assert self.suggested("spuffy", "relationship", candidates) == (10, "synonym")

    @pytest.mark.parametrize(
        "name", ["Spike/Buffy", "spike x buffy", "Spike / Buffy Summers", "Spike/Summers"]
    )
    def test_relationships_naming_the_same_characters_are_suggested(self, name):
        assert self.suggested(
            name, "relationship", RELATIONSHIPS, fandom_ids=frozenset({BTVS})
        ) == (
            10,
            "relationship",
        )

    def test_a_platonic_relationship_is_never_suggested_as_a_romantic_one(self):
        assert self.suggested("Spike & Buffy", "relationship", RELATIONSHIPS) is None
        assert self.suggested("Spike and Buffy", "relationship", RELATIONSHIPS) is None
        assert self.suggested("Willow & Buffy", "relationship", RELATIONSHIPS) == (
            11,
            "relationship",
        )
        assert self.suggested("Willow/Buffy", "relationship", RELATIONSHIPS) is None

    def test_same_name_keeps_platonic_and_romantic_apart(self):
        candidates = [relationship(10, "Buffy/Spike"), relationship(13, "Buffy & Spike")]
        assert self.suggested("buffy / spike", "relationship", candidates) == (10, "same-name")
        assert self.suggested("buffy &spike", "relationship", candidates) == (13, "same-name")

    def test_a_relationship_uses_the_characters_a_wrangler_set(self):
        assert self.suggested("Jenny/Giles", "relationship", RELATIONSHIPS) == (12, "relationship")

    def test_a_relationship_with_another_number_of_characters_is_not_suggested(self):
        assert self.suggested("Spike/Buffy/Angel", "relationship", RELATIONSHIPS) is None

    def test_a_first_name_is_suggested_as_the_character_of_that_fandom(self):
        in_btvs = frozenset({BTVS})
        assert self.suggested("Willow", "character", CHARACTERS, fandom_ids=in_btvs) == (
            3,
            "character-name",
        )
        assert self.suggested("Willow", "character", CHARACTERS, fandom_ids=frozenset({200})) == (
            6,
            "character-name",
        )

    def test_an_ambiguous_first_or_last_name_is_not_suggested(self):
        assert (
            self.suggested("Summers", "character", CHARACTERS, fandom_ids=frozenset({BTVS})) is None
        )

    def test_a_first_name_needs_a_known_fandom(self):
        assert self.suggested("Giles", "character", CHARACTERS) is None

    def test_synonym_patterns_are_learnt_and_applied(self):
        patterns = patterns_learn(
            [("Buffy the Vampire Slayer", "Buffy the Vampire Slayer (TV)"), ("a", "a")]
        )
        assert [name for name, _, _ in patterns_apply("Angel", patterns)] == ["angel tv"]
        fandoms = [Candidate(40, "Angel (TV)", "fandom"), Candidate(41, "Angelus", "fandom")]
        found = suggest("Angel", "fandom", fandoms, patterns=patterns)
        assert found is not None
        assert (found.canonical.id, found.rule) == (40, "synonym-pattern")
        assert "Buffy the Vampire Slayer (TV)" in found.reason

    def test_a_misspelling_of_a_long_enough_name_is_suggested(self):
        assert self.suggested("Rupert Gils", "character", CHARACTERS) == (5, "spelling")
        assert self.suggested("Willow Rosenbreg", "character", CHARACTERS) == (3, "spelling")

    def test_a_short_name_one_letter_off_is_not_a_misspelling(self):
        candidates = [character(7, "Pim")]
        assert self.suggested("Tim", "character", candidates) is None

    def test_a_misspelling_close_to_two_names_is_not_suggested(self):
        candidates = [Candidate(50, "Fluffy", "freeform"), Candidate(51, "Fluffs", "freeform")]
        assert self.suggested("Fluffx", "freeform", candidates) is None

    def test_excluded_candidates_are_not_suggested(self):
        freeforms = [Candidate(30, "Hurt/Comfort", "freeform")]
        assert (
            self.suggested("hurt comfort", "freeform", freeforms, exclude=frozenset({30})) is None
        )

    def test_a_name_without_letters_gets_no_suggestion(self):
        assert self.suggested("!!!", "freeform", [Candidate(30, "Angst", "freeform")]) is None
