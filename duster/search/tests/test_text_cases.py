"""Full-text search on the active database (CI runs it on SQLite and on
PostgreSQL): one list of queries, each with the works it must find."""

import numpy as np
import pytest

from duster.search.text import (
    parse_query,
    scores_of,
    text_index_rebuild,
    text_index_refresh,
    text_match,
    text_ranked,
    text_snippets,
)
from duster.search.text.documents import work_texts
from duster.tags.filtering import work_filter_tags_refresh
from duster.tags.models import Tag, TagType
from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.services.chapters import chapter_update


def _work(author, title, body, **fields):
    work = make_work(author, title=title, **fields)
    chapter = work.chapters.get()
    chapter_update(chapter=chapter, fields={"body": body}, version=chapter.version)
    return work


@pytest.fixture
def works(db):
    alice = make_user("alice")
    bob = make_user("bobbin")
    found = {
        "road": _work(
            alice,
            "The Long Road Home",
            "<p>Café crème and a naïve résumé.</p><p>STRASSE</p><p>un<em>believ</em>able</p>",
            summary="<p>A journey through <em>snow</em> &amp; ice.</p>",
            freeforms=["Slow Burn", "Angst"],
        ),
        "winter": _work(
            bob,
            "Winter",
            "<p>the road was long, and the home far</p>",
            anonymous=True,
            freeforms=["Fluff"],
        ),
        "tokyo": _work(alice, "東京物語", "<p>日本語のテキストです。한국어 문장</p>"),
        "syntax": _work(bob, "Stars", "<p>NEAR the OR gate, AND a*b ^ c (maybe) title: none</p>"),
        # Only the commonest words (duster.search.text.pairs).
        "common": _work(
            make_user("carol"),
            "In the Night",
            "<p>She said that it was time. Then he said it was not.</p>",
            summary="<p>What she said</p><p>then</p>",
            freeforms=["Over Again", "Back Then"],
        ),
    }
    draft = _work(alice, "Draft", "<p>draftword</p>", post=False)
    hidden = _work(alice, "Hidden", "<p>hiddenword</p>")
    Work.objects.filter(pk=hidden.pk).update(state="hidden")
    text_index_refresh([w.pk for w in (*found.values(), draft, hidden)])
    return found


CASES = [
    ("road", {"road", "winter"}),
    ("ROAD home", {"road", "winter"}),
    ('"long road"', {"road"}),
    ('"road was long"', {"winter"}),
    ('"long home"', set()),
    ('"road home"', {"road"}),
    ('"the home"', {"winter"}),
    ('"long and the home"', {"winter"}),
    ('"the home far away"', set()),
    ('road -"the home"', {"road"}),
    ('"burn angst"', set()),  # nor does a phrase anywhere
    ("road -snow", {"winter"}),
    ('road -"long road"', {"winter"}),
    ("title:road", {"road"}),
    ('title:"long road"', {"road"}),
    ('title:"road long"', set()),
    ("title:winter", {"winter"}),
    ("summary:journey", {"road"}),
    ("summary:road", set()),
    ("tag:angst", {"road"}),
    ('tag:"slow burn"', {"road"}),
    ('tag:"burn angst"', set()),  # a phrase does not run from one tag into the next
    ("tag:road", set()),
    ("creator:alice", {"road", "tokyo"}),
    ("creator:bobbin", {"syntax"}),  # never the anonymous work
    ("bobbin", {"syntax"}),
    ("-creator:alice road", {"winter"}),
    ("cafe CREME naive resume", {"road"}),
    ("café crème", {"road"}),
    ("straße", {"road"}),
    ("unbelievable", {"road"}),
    ("snow ice", {"road"}),
    ("日本", {"tokyo"}),
    ("テキスト", {"tokyo"}),
    ("本日", set()),
    ("東京", {"tokyo"}),
    ("한국어", {"tokyo"}),
    ("draftword", set()),
    ("hiddenword", set()),
    ("near OR and", {"syntax"}),
    ("a*b ^c (maybe)", {"syntax"}),
    ('"the OR gate"', {"syntax"}),
    ("title: none", {"syntax"}),
    ("foo:road", set()),
    ("maybe:none", {"syntax"}),
    ("winter:road", {"winter"}),
    ('"long road', {"road"}),
    ('road "', {"road", "winter"}),
    ("-", {"road", "winter", "tokyo", "syntax", "common"}),  # no term: every work
    # Phrases of the commonest words, which both backends look up by their pairs.
    ('"she said"', {"common"}),
    ('"SHE SAID THAT"', {"common"}),
    ('"said that it was"', {"common"}),
    ('"she said it"', set()),  # its pairs are there, not side by side
    ('"said it was not"', {"common"}),
    ('"time then"', {"common"}),  # across a sentence, as every phrase
    ('"in the"', {"common"}),  # in the title
    ('"and the"', {"winter"}),
    ('"the night she"', set()),  # from the title into the text
    ('"said then"', {"common"}),  # the summary's paragraphs are one line
    ('"back then"', {"common"}),  # a tag
    ('"again back"', set()),  # from one tag into the next
    ('"it was" -"and the"', {"common"}),
    ('"it was" -"was time"', set()),
    ('"it was" -"then he said"', set()),
    ('"it was" -gate', {"common"}),
    ('"was not" "she said"', {"common"}),
    ('"was not" "she said" -road', {"common"}),
    ('"was not" "and the"', set()),
    ('"she said" night', {"common"}),
    ('"the road"', {"winter"}),  # "road" is not among them
]


@pytest.mark.django_db
@pytest.mark.parametrize(("q", "expected"), CASES)
def test_query_finds_the_works_it_should(works, q, expected):
    query = parse_query(q)
    found = text_match(query)
    assert found.tolist() == sorted(works[name].pk for name in expected)


@pytest.mark.django_db
def test_punctuation_alone_is_an_empty_query(works):
    for q in ("", "   ", "!!! ... ---", '""', "-road", "* ^ ( )"):
        assert parse_query(q).is_empty(), q


@pytest.mark.django_db
def test_only_exclusions_match_every_other_indexed_work(works):
    found = text_match(parse_query("-road"))
    assert found.tolist() == sorted([works[name].pk for name in ("tokyo", "syntax", "common")])


@pytest.mark.django_db
def test_a_chapter_edit_is_found_after_refresh(works):
    work = works["winter"]
    chapter = work.chapters.get()
    chapter_update(chapter=chapter, fields={"body": "<p>a lighthouse</p>"}, version=chapter.version)
    assert text_match(parse_query("lighthouse")).tolist() == []
    text_index_refresh([work.pk])
    assert text_match(parse_query("lighthouse")).tolist() == [work.pk]
    assert text_match(parse_query('"road was long"')).tolist() == []


@pytest.mark.django_db
def test_a_work_hidden_or_deleted_leaves_the_index(works):
    road, tokyo, tokyo_id = works["road"], works["tokyo"], works["tokyo"].pk
    Work.objects.filter(pk=road.pk).update(state="hidden")
    tokyo.delete()
    text_index_refresh([road.pk, tokyo_id])
    assert text_match(parse_query("creator:alice")).tolist() == []


@pytest.mark.django_db
def test_rebuild_indexes_posted_works_only(works):
    seen = []
    assert text_index_rebuild(lambda done, total: seen.append((done, total))) == 5
    assert seen[-1] == (5, 5)
    assert text_match(parse_query("road")).tolist() == sorted(
        [works["road"].pk, works["winter"].pk]
    )
    assert text_match(parse_query("draftword hiddenword")).tolist() == []


@pytest.mark.django_db
def test_scores_rank_a_title_match_first_and_align_with_ids(works):
    query = parse_query("road")
    found, scores = text_ranked(query)
    by_id = dict(zip(found.tolist(), scores.tolist(), strict=True))
    assert by_id[works["road"].pk] > by_id[works["winter"].pk] > 0
    ids = np.array([works["tokyo"].pk, works["road"].pk, works["winter"].pk])
    aligned = scores_of(ids, found, scores)
    assert aligned.tolist() == [0, by_id[works["road"].pk], by_id[works["winter"].pk]]


@pytest.mark.django_db
@pytest.mark.parametrize("q", [q for q, _ in CASES if not parse_query(q).is_empty()])
def test_ranked_finds_in_one_query_what_match_finds(works, q, django_assert_num_queries):
    query = parse_query(q)
    with django_assert_num_queries(1):
        found, scores = text_ranked(query)
    assert found.tolist() == text_match(query).tolist()
    assert scores.shape == found.shape and (scores > 0).all()
    some = found[::2].copy()
    within, within_scores = text_ranked(query, some)
    assert within.tolist() == some.tolist()
    assert np.allclose(within_scores, scores[::2], rtol=1e-6, atol=0)


@pytest.mark.django_db
def test_snippets_mark_the_match_and_escape_the_rest(works, django_assert_num_queries):
    ids = [works["road"].pk, works["winter"].pk, works["syntax"].pk]
    with django_assert_num_queries(1):
        snippets = text_snippets(parse_query('creme "road was" snow'), ids)
    assert (
        snippets[works["road"].pk]
        == "Café <mark>crème</mark> and a naïve résumé. STRASSE unbelievable"
    )
    assert snippets[works["winter"].pk] == "the <mark>road was</mark> long, and the home far"
    assert works["syntax"].pk not in snippets


@pytest.mark.django_db
def test_snippet_falls_back_to_the_summary_and_escapes_it(works):
    snippets = text_snippets(parse_query("summary:ice"), [works["road"].pk])
    assert snippets[works["road"].pk] == "A journey through snow &amp; <mark>ice</mark>."


@pytest.mark.django_db
def test_snippet_of_a_long_text_is_cut_around_the_first_match(works):
    road = works["road"]
    chapter = road.chapters.get()
    words = " ".join(f"w{n}" for n in range(100))
    body = f"<p>{words} <b>&lt;script&gt;</b> target {words}</p>"
    chapter_update(chapter=chapter, fields={"body": body}, version=chapter.version)
    text_index_refresh([road.pk])
    html = text_snippets(parse_query("target"), [road.pk])[road.pk]
    assert html.startswith("… w91 ")
    assert "&lt;script&gt; <mark>target</mark> w0 " in html
    assert html.endswith(" w18 …")


@pytest.mark.django_db
def test_match_takes_one_query(works, django_assert_num_queries):
    with django_assert_num_queries(1):
        text_match(parse_query('road -"long road" title:winter -tag:fluff'))


@pytest.mark.django_db
def test_work_texts_read_any_number_of_works_in_five_queries(works, django_assert_num_queries):
    with django_assert_num_queries(5):
        texts = work_texts([w.pk for w in works.values()])
    road = texts[works["road"].pk]
    assert road.title == "The Long Road Home"
    assert road.creators == "alice"
    assert set(road.tags.splitlines()) == {"Lamplighter Chronicles", "Slow Burn", "Angst"}
    assert road.summary == "A journey through snow & ice."
    assert road.body.startswith("Café crème and a naïve résumé. STRASSE unbelievable")
    assert texts[works["winter"].pk].creators == ""  # anonymous


@pytest.mark.django_db
def test_a_synonym_finds_the_work_by_its_canonical_name(works):
    road = works["road"]
    canonical = Tag.objects.create(
        name="Enemies to Lovers", type=TagType.FREEFORM, slug="e2l", canonical=True
    )
    Tag.objects.filter(name="Angst").update(merger=canonical)
    work_filter_tags_refresh(work_ids=[road.pk])
    text_index_refresh([road.pk])
    assert text_match(parse_query('tag:"enemies to lovers"')).tolist() == [road.pk]


@pytest.mark.django_db
def test_a_phrase_is_found_anywhere_in_a_long_work(works):
    """Wherever it stands: past the 16,383rd word, after the 256th use of
    its first word, and across any cut an index makes in the text."""
    road = works["road"]
    counted = " ".join(f"w{n}" for n in range(20_000))
    body = f"<p>{counted} {'the cat ' * 400}the dog</p>"
    chapter = road.chapters.get()
    chapter_update(chapter=chapter, fields={"body": body}, version=chapter.version)
    text_index_refresh([road.pk])
    for start in (0, 80, 87, 88, 95, 99, 100, 187, 5_000, 19_980):
        for size in (2, 13, 14, 20):
            if start + size <= 20_000:
                phrase = " ".join(f"w{n}" for n in range(start, start + size))
                assert text_match(parse_query(f'"{phrase}"')).tolist() == [road.pk], phrase
                assert text_match(parse_query(f'-"{phrase}" road')).tolist() == [
                    works["winter"].pk
                ], phrase
    assert text_match(parse_query('"the dog"')).tolist() == [road.pk]
    gapped = " ".join(f"w{n}" for n in (*range(90, 100), *range(101, 106)))
    assert text_match(parse_query(f'"{gapped}"')).tolist() == []
    assert text_match(parse_query(f'road -"{gapped}"')).tolist() == sorted(
        [road.pk, works["winter"].pk]
    )


@pytest.mark.django_db
def test_a_long_phrase_is_checked_whole(works):
    """A phrase longer than an index row is found only where all of it stands."""
    road = works["road"]
    sentence = " ".join(f"s{n}" for n in range(30))
    almost = " ".join(f"s{n}" for n in range(29)) + " other"
    body = f"<p>{almost}</p><p>{sentence}</p>"
    chapter = road.chapters.get()
    chapter_update(chapter=chapter, fields={"body": body}, version=chapter.version)
    winter = works["winter"]
    chapter = winter.chapters.get()
    chapter_update(chapter=chapter, fields={"body": f"<p>{almost}</p>"}, version=chapter.version)
    text_index_refresh([road.pk, winter.pk])
    query = parse_query(f'"{sentence}"')
    assert text_match(query).tolist() == [road.pk]
    found, scores = text_ranked(query)
    assert found.tolist() == [road.pk] and (scores > 0).all()
    assert text_match(parse_query(f'"{almost}" -"{sentence}"')).tolist() == [winter.pk]


@pytest.mark.django_db
def test_a_phrase_of_common_words_ranks_a_title_match_first(works):
    park = _work(make_user("dana"), "Elsewhere", "<p>A walk in the park.</p>")
    text_index_refresh([park.pk])
    found, scores = text_ranked(parse_query('"in the"'))
    by_id = dict(zip(found.tolist(), scores.tolist(), strict=True))
    assert set(by_id) == {works["common"].pk, park.pk}
    assert by_id[works["common"].pk] > by_id[park.pk] > 0


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["heron", '"the grey heron"', '"the grey heron" -zzz'])
def test_best_match_ranks_title_then_tags_then_summary_then_text(q):
    author = make_user("erin")
    # Tag names are wrangled apart from the text, so the tag is the whole phrase.
    ranked_works = [
        _work(author, "The Grey Heron", "<p>Nothing here.</p>"),
        _work(author, "Marsh", "<p>Nothing here.</p>", freeforms=["The Grey Heron"]),
        _work(author, "Reeds", "<p>Nothing.</p>", summary="<p>About the grey heron.</p>"),
        _work(author, "Water", "<p>She saw the grey heron.</p>"),
    ]
    text_index_refresh([work.pk for work in ranked_works])
    found, scores = text_ranked(parse_query(q))
    by_id = dict(zip(found.tolist(), scores.tolist(), strict=True))
    assert sorted(by_id) == sorted(work.pk for work in ranked_works)
    points = [by_id[work.pk] for work in ranked_works]
    assert points == sorted(points, reverse=True) and len(set(points)) == 4, points
