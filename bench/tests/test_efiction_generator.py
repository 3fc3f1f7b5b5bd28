"""The generated eFiction archive of bench/efiction_generate.py reads back, through the
importer's own dump reader, as the archive it was meant to be."""

import re
from collections import Counter, defaultdict

import pytest

from bench.efiction_generate import FIXTURE, Sizes, efiction_words, write_dump
from duster.imports.efiction.dump import read_dump
from duster.imports.efiction.text import id_list, strip_slashes

SIZES = Sizes.scaled(20, seed=3)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("efiction") / SIZES.file_name()
    counts = write_dump(path, SIZES)
    return path, counts, read_dump(path)


def test_dump_reads_without_warnings_with_the_counts_asked_for(generated):
    _, counts, dump = generated
    assert dump.warnings == []
    assert dump.prefix == "fanfiction_"
    assert dump.counts == counts
    assert len(dump.counts) == 27
    expected = {
        "stories": 20,
        "chapters": 60,
        "reviews": 100,
        "authors": 5,
        "authorprefs": 5,
        "series": 2,
        "favorites": 40,
        "ratings": 3,
        "classtypes": 2,
    }
    assert {table: dump.counts[table] for table in expected} == expected
    assert 35 <= dump.counts["categories"] <= 50


def test_tables_are_created_with_the_fixtures_own_statements(generated):
    path, _, _ = generated

    def creates(text):
        found = re.findall(r"DROP TABLE IF EXISTS `\w+`;.*?\) ENGINE=[^;]*;", text, re.S)
        return [re.sub(r"AUTO_INCREMENT=\d+ ", "", statement) for statement in found]

    ours = creates(path.read_text(encoding="utf-8"))
    assert len(ours) == 27
    assert ours == creates(FIXTURE.read_text(encoding="utf-8"))


def test_same_seed_same_bytes_and_one_row_inserts_hold_the_same_rows(generated, tmp_path):
    path, _, dump = generated
    again = tmp_path / "again.sql"
    write_dump(again, SIZES)
    assert again.read_bytes() == path.read_bytes()

    one_row = tmp_path / "one-row.sql"
    write_dump(one_row, Sizes.scaled(20, seed=3, one_row=True))
    inserts = [
        line
        for line in one_row.read_text(encoding="utf-8").splitlines()
        if line.startswith("INSERT")
    ]
    assert all(line.endswith(");") and "),(" not in line for line in inserts)
    assert read_dump(one_row).tables == dump.tables

    other = tmp_path / "other.sql"
    write_dump(other, Sizes.scaled(20, seed=4))
    assert other.read_bytes() != path.read_bytes()


def test_stories_and_chapters_follow_efictions_rules(generated):
    _, _, dump = generated
    stories = {s["sid"]: s for s in dump.rows("stories")}
    chapters = dump.rows("chapters")
    by_story = defaultdict(list)
    for chapter in chapters:
        assert chapter["wordcount"] == efiction_words(chapter["storytext"])
        by_story[chapter["sid"]].append(chapter)
    assert set(by_story) == set(stories)
    for sid, story in stories.items():
        own = by_story[sid]
        assert 1 <= len(own) <= 12
        assert sorted(c["inorder"] for c in own) == list(range(1, len(own) + 1))
        if story["validated"] == "1":
            counted = sum(c["wordcount"] for c in own if c["validated"] == "1")
            assert story["wordcount"] == counted
        assert isinstance(story["date"], int) and story["updated"] >= story["date"]
        assert story["rid"] in ("1", "2", "3")
        assert id_list(story["catid"]) and id_list(story["classes"])
    texts = "".join(c["storytext"] for c in chapters)
    assert "\r\n" in texts
    assert "<p>" in texts


def test_series_reviews_and_favourites_point_at_rows_that_exist(generated):
    _, _, dump = generated
    stories = {s["sid"] for s in dump.rows("stories")}
    series = {s["seriesid"]: s for s in dump.rows("series")}
    members = {a["uid"] for a in dump.rows("authors")}
    chapter_story = {c["chapid"]: c["sid"] for c in dump.rows("chapters")}
    for row in dump.rows("inseries"):
        assert (row["sid"] in stories) != (row["subseriesid"] in series)
    for s in series.values():
        # Stored with eFiction's extra backslashes: unescaping gives no backslash left.
        assert "\\" not in strip_slashes(s["title"])
        if "'" in s["title"]:
            assert "\\'" in s["title"]
    kinds: Counter[str] = Counter()
    for review in dump.rows("reviews"):
        kinds[review["type"]] += 1
        assert review["rating"] == -1 or 1 <= review["rating"] <= 10
        assert review["uid"] == 0 or review["uid"] in members
        if review["type"] == "SE":
            assert review["chapid"] == 0 and review["item"] in series
        else:
            assert chapter_story[review["chapid"]] == review["item"]
        responded = "<br><br><i>Author's Response: " in review["review"]
        assert responded == (review["respond"] == "1")
    assert kinds["SE"] >= 1 and kinds["ST"] >= 90
    for uid, item, kind, _ in (tuple(f.values()) for f in dump.rows("favorites")):
        assert uid in members
        assert item in {"ST": stories, "AU": members, "SE": series}[kind]
