"""Word pairs: a phrase made only of the commonest words, found without
looking at where each of its words stands.

"in the" or "she said" is in a large share of all works, and each of its
words in nearly every one: checking where the words stand means reading
their places in every work. So both backends also index each pair of
neighbouring words that are both COMMON, as one token, and a phrase of
COMMON words is looked up by its pairs.

A pair is numbered from its words' places in COMMON: changing the list
means indexing every work again (a migration does it).
"""

from collections.abc import Iterator

# The commonest words of English fiction, roughly most used first.
_COMMON = """
    the and to a of i he she it you was in that her his had they with for not
    but at on were as be is him me my we there so out up this all what from into
    back could would them then one like no if do just an by or when know about
    been have their did are said looked over down more before after again still
    never only even now time here its our your can will how who than too off
    through hand eyes door voice night light way head which where first little
    long yes oh well
"""
COMMON = tuple(_COMMON.split())
_RANK = {word: at for at, word in enumerate(COMMON)}
# Numbers of all pairs: a pair's number plus SPAN says something more
# about the same pair (PostgreSQL: that the title holds it). Two spans fit
# in PostgreSQL's smallint, half the size of an integer.
SPAN = len(COMMON) ** 2 + 1
assert 2 * SPAN <= 2**15, "COMMON is too long for two spans of pair numbers in a smallint"


def is_common(word: str) -> bool:
    return word in _RANK


def is_paired(phrase: tuple[str, ...]) -> bool:
    """Whether a phrase is looked up by its pairs: two words or more, all COMMON."""
    return len(phrase) > 1 and all(map(is_common, phrase))


def number(first: str, second: str) -> int:
    """The pair's number, 1 to SPAN - 1."""
    return _RANK[first] * len(COMMON) + _RANK[second] + 1


def phrase_numbers(phrase: tuple[str, ...]) -> list[int]:
    """The numbers of a paired phrase's pairs, in order."""
    return [number(a, b) for a, b in zip(phrase, phrase[1:], strict=False)]


# Every pair's number, looked up without a Python call per pair.
PAIR_NUMBERS = {(first, second): number(first, second) for first in COMMON for second in COMMON}


def numbers(words: list[str]) -> Iterator[int | None]:
    """For each word but the last, the number of the pair it starts, or
    None where it or the next word is not COMMON."""
    return map(PAIR_NUMBERS.get, zip(words, words[1:], strict=False))
