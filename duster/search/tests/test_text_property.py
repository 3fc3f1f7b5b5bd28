"""Each backend finds exactly the works the pure-Python reference
(TextQuery.matches) finds, for random small corpora and random queries."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duster.search.text import WorkText, _backend, parse_query, postgres, text_match

# Few words, so queries often hit; accents, case, ß and CJK fold together or apart.
VOCABULARY = ["a", "b", "the", "Ab", "é", "E", "ß", "ss", "日", "本", "x1", "NEAR", "or"]
SEPARATORS = ["", " ", ", ", "-", ". ", "\u200b", "_"]

segments = st.lists(st.sampled_from(VOCABULARY), max_size=6).flatmap(
    lambda ws: st.lists(st.sampled_from(SEPARATORS), min_size=len(ws), max_size=len(ws)).map(
        lambda seps: "".join(w + s for w, s in zip(ws, seps, strict=True))
    )
)
names = st.lists(segments, max_size=3).map("\n".join)
work_texts = st.builds(
    WorkText, title=segments, creators=names, tags=names, summary=segments, body=segments
)
corpora = st.dictionaries(st.integers(1, 30), work_texts, min_size=1, max_size=8)

words = st.sampled_from(VOCABULARY)
terms = st.tuples(
    st.sampled_from(["", "-"]),
    st.sampled_from(["", "title:", "creator:", "tag:", "summary:", "Tag:", "foo:"]),
    words | st.lists(words, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
).map("".join)
queries = st.lists(terms | st.sampled_from(['"', "*", "(", ")", "^", ":", "-"]), max_size=5).map(
    " ".join
)


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize("rows", [None, (4, 2)])
@given(corpus=corpora, q=queries)
def test_backend_agrees_with_the_reference(corpus, q, rows, monkeypatch):
    """With `rows`, PostgreSQL's index rows are cut to that many words
    (sharing two with the next): phrases cross the cuts everywhere. Longer
    phrases than a row can be sure of are checked against the works' own
    text, which these made-up works do not have: test_text_cases has them."""
    backend = _backend()
    if rows:
        if connection.vendor != "postgresql":
            pytest.skip("only PostgreSQL cuts a work's text into rows")
        size, overlap = rows
        monkeypatch.setattr(postgres, "ROW_WORDS", size)
        monkeypatch.setattr(postgres, "ROW_OVERLAP", overlap)
        monkeypatch.setattr(postgres, "PHRASE_MAX", overlap + 1)
    backend.index_clear()
    backend.index_write(list(corpus), backend.index_rows(corpus))
    query = parse_query(q)
    expected = [pk for pk, text in sorted(corpus.items()) if query.matches(text)]
    assert text_match(query).tolist() == expected
