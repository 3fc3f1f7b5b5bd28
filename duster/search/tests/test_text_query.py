"""Reading text queries, and folding text the same way on both sides."""

from duster.search.text import Term, WorkText, parse_query
from duster.search.text.fold import fold, words
from duster.search.text.query import QUERY_MAX, TERMS_MAX


def test_fold_ignores_case_accents_and_compatibility_forms():
    assert fold("Crème BRÛLÉE ﬁne Ｆｕｌｌ") == "creme brulee fine full"
    assert words("Straße İstanbul") == ["strasse", "istanbul"]


def test_each_cjk_character_is_a_word_and_kana_keep_their_voicing():
    assert words("日本語のテキスト") == ["日", "本", "語", "の", "テ", "キ", "ス", "ト"]
    assert words("がか") == ["が", "か"]
    assert words("ﾃｽﾄ 한국어") == ["テ", "ス", "ト", "한", "국", "어"]


def test_words_split_on_punctuation_but_keep_marks():
    assert words("don't snake_case 3.14 हिन्दी") == ["don", "t", "snake", "case", "3", "14", "हिनदी"]


def test_phrases_negation_and_fields_are_read():
    query = parse_query(
        'dragon "The Long  Road" -angst -"slow burn" title:Winter tag:"found family"'
    )
    assert query.terms == (
        Term(("dragon",)),
        Term(("the", "long", "road")),
        Term(("angst",), negated=True),
        Term(("slow", "burn"), negated=True),
        Term(("winter",), field="title"),
        Term(("found", "family"), field="tags"),
    )
    assert query.messages == ()
    assert not query.is_empty()


def test_a_word_punctuation_splits_is_a_phrase():
    assert parse_query("foo-bar").terms == (Term(("foo", "bar")),)
    assert parse_query("東京").terms == (Term(("東", "京")),)


def test_curly_quotes_make_a_phrase():
    assert parse_query("“long road”").terms == (Term(("long", "road")),)


def test_an_unclosed_quote_makes_the_rest_a_phrase_with_a_message():
    query = parse_query('road "long way home')
    assert query.terms == (Term(("road",)), Term(("long", "way", "home")))
    assert query.messages[0][0] == "q"
    assert "not closed" in query.messages[0][1]


def test_an_unknown_field_is_searched_as_words_with_a_message():
    query = parse_query("fandom:Lamplighter")
    assert query.terms == (Term(("fandom",)), Term(("lamplighter",)))
    assert "“fandom:”" in query.messages[0][1]


def test_a_long_query_is_cut_with_a_message():
    query = parse_query("word " * 200)
    assert query.terms == (Term(("word",)),)
    assert "cut" in query.messages[0][1]
    assert len(parse_query("x" * (QUERY_MAX + 1)).terms[0].words[0]) <= QUERY_MAX


def test_too_many_terms_keep_the_first_with_a_message():
    query = parse_query(" ".join(f"w{n}" for n in range(30)))
    assert len(query.terms) == TERMS_MAX
    assert query.terms[-1] == Term((f"w{TERMS_MAX - 1}",))
    assert "first 20" in query.messages[0][1]


def test_only_exclusions_or_punctuation_are_empty():
    for q in ("", "  ", "-road", '-"a b" -title:c', "*** ^ ( ) :", '""'):
        assert parse_query(q).is_empty(), q


def test_reference_matches_fields_phrases_and_exclusions():
    text = WorkText(
        title="The Long Road", creators="Alice\nalice99", tags="Slow Burn\nAngst", body="a road"
    )
    assert parse_query('title:"long road" -fluff').matches(text)
    assert parse_query("creator:alice99 tag:angst").matches(text)
    assert not parse_query('tag:"burn angst"').matches(text)
    assert not parse_query("summary:road").matches(text)
    assert not parse_query("-road").matches(text)
