"""Snippets found by the ASCII shortcut are the ones the word-by-word scan
of the whole text finds."""

from hypothesis import given, settings
from hypothesis import strategies as st

from duster.search.text.fold import words
from duster.search.text.snippets import BEFORE, _excerpt, _excerpt_from, _scan_from

# Few words, so phrases often match; case, digits, underscores and the odd
# word beyond ASCII (which turns the shortcut off for that text).
VOCABULARY = ["a", "b", "Ab", "AB", "x1", "the", "Road", "was", "é", "x" * 70]
SEPARATORS = [" ", ", ", "-", ". ", "_", "\n", " (", "'"]

# Words before the matches, some long, so the shortcut starts past 0 and
# its look-back cuts words.
FILLER = ["w", "y" * 60, "z" * 63 + ".", "v" * 95, "u" * 110, "Road"]

texts = st.tuples(
    st.lists(st.sampled_from(FILLER), max_size=40).map(" ".join),
    st.sampled_from(SEPARATORS),
    st.lists(st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), max_size=40).map(
        lambda pairs: "".join(w + s for w, s in pairs)
    ),
).map("".join)
phrases = st.lists(
    st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=3).map(
        lambda ws: tuple(words(" ".join(ws)))
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=500, deadline=None)
@given(texts, phrases)
def test_the_shortcut_finds_what_the_whole_scan_finds(text, wanted):
    assert _excerpt(text, wanted) == _excerpt_from(text, wanted, 0)


def test_a_match_deep_in_a_long_text_starts_a_few_words_before_it():
    text = " ".join(f"w{n}" for n in range(5_000)) + " The_Road, was long"
    start = _scan_from(text, [("road", "was")])
    # BEFORE words before "Road": w4991 … w4999 and "The" ("_" parts words).
    assert BEFORE == 10 and text[start:].startswith("w4991 w4992 ")
    assert _excerpt(text, [("road", "was")]) == _excerpt_from(text, [("road", "was")], 0)


def test_a_text_without_the_phrase_is_not_scanned():
    assert _scan_from("the road " * 1_000, [("road", "the", "the")]) is None
    assert _scan_from("plain text", [("日",)]) is None
    assert _scan_from("crème brûlée", [("creme",)]) == 0  # beyond ASCII: scanned whole


def test_the_look_back_never_starts_inside_a_word():
    # Long words before the match: the look-back's edge cuts a word at
    # every place in it.
    for length in range(80, 130):
        text = " ".join(f"{n:02}".ljust(length, "q") for n in range(30)) + " road was"
        assert _excerpt(text, [("road",)]) == _excerpt_from(text, [("road",)], 0), length
