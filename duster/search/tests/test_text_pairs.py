"""Pairs of the commonest words (duster.search.text.pairs): numbered the
same way by both backends, and indexed for an archive that upgrades."""

import random

import pytest
from django.core.management import call_command

from duster.search.text import parse_query, text_match
from duster.search.text.pairs import COMMON, SPAN, is_paired, number, numbers, phrase_numbers
from duster.search.text.sqlite import _pairs
from duster.testing.factories import make_user, make_work


def test_each_pair_has_its_own_number_below_span():
    seen = {number(a, b) for a in COMMON for b in COMMON}
    assert len(seen) == len(COMMON) ** 2
    assert min(seen) == 1 and max(seen) == SPAN - 1


def test_numbers_name_the_pair_each_word_starts():
    got = list(numbers(["she", "said", "the", "raven", "was", "in", "the"]))
    assert got == [
        number("she", "said"),
        number("said", "the"),
        None,
        None,
        number("was", "in"),
        number("in", "the"),
    ]
    assert list(numbers(["the"])) == [] and list(numbers([])) == []


def _pairs_one_by_one(lines):
    """SQLite's pairs column as the rule says it, a pair at a time."""
    tokens = []
    for line in lines:
        for pair in numbers(line):
            if pair is not None:
                tokens.append(f"\ue001{pair}")
            elif tokens and tokens[-1] != "\ue000":
                tokens.append("\ue000")
        if tokens and tokens[-1] != "\ue000":
            tokens.append("\ue000")
    return " ".join(tokens)


def test_sqlite_pairs_column_has_one_break_between_runs_and_none_first():
    rng = random.Random(5)
    vocabulary = [*COMMON[:6], "raven", "fox"]
    for _ in range(500):
        lines = [rng.choices(vocabulary, k=rng.randint(0, 8)) for _ in range(rng.randint(0, 4))]
        assert _pairs(lines) == _pairs_one_by_one(lines), lines
    assert _pairs([["in", "the", "raven"], ["she", "said"]]) == (
        f"\ue001{number('in', 'the')} \ue000 \ue001{number('she', 'said')} \ue000"
    )


@pytest.mark.parametrize(
    ("phrase", "paired"),
    [
        (("in", "the"), True),
        (("she", "said", "it"), True),
        (("the",), False),
        (("the", "raven"), False),
    ],
)
def test_a_phrase_is_paired_when_all_its_words_are_common(phrase, paired):
    assert is_paired(phrase) is paired
    if paired:
        assert phrase_numbers(phrase) == list(filter(None, numbers(list(phrase))))


@pytest.mark.django_db(transaction=True)
def test_an_archive_with_posted_works_is_indexed_again_on_upgrading():
    work = make_work(make_user("upgrader"), title="Out in the Rain")
    call_command("migrate", "search", "0004_text_rows", verbosity=0)
    call_command("migrate", "search", verbosity=0)
    assert text_match(parse_query('"in the"')).tolist() == [work.pk]
    assert text_match(parse_query('"out in the rain"')).tolist() == [work.pk]
