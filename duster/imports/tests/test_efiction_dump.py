"""Reading eFiction dumps into rows: the real archive-A fixture, its variants (no CREATE TABLE,
another prefix, multi-row INSERTs) and MySQL syntax and bad input written by hand."""

import io
import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from duster.imports.efiction import (
    DumpError,
    as_int,
    as_text,
    id_list,
    parse_date,
    read_dump,
    read_dump_text,
    repair_double_encoding,
    strip_slashes,
)
from duster.imports.efiction.schema import COLUMNS, layout_for

# A copy of the shared fixture archive-a.sql (a dump eFiction 3.5.8 itself
# made; its README, with the ground truth, is beside the original in
# ../shared/fixtures/efiction/), kept here so a clone anywhere tests it.
ARCHIVE_A = Path(__file__).resolve().parent / "fixtures" / "efiction-archive-a.sql"

needs_fixture = pytest.mark.skipif(not ARCHIVE_A.exists(), reason="archive-a fixture missing")


@pytest.fixture(scope="module")
def dump_text() -> str:
    return ARCHIVE_A.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def archive(dump_text):
    return read_dump(ARCHIVE_A)


def _by(rows, key):
    return {row[key]: row for row in rows}


def _all_rows(dump):
    """Every table that has rows (a dump without CREATE TABLE cannot show empty tables)."""
    return {name: rows for name, rows in dump.tables.items() if rows}


@needs_fixture
class TestArchiveA:
    def test_prefix_found_and_nothing_to_warn_about(self, archive):
        assert archive.prefix == "fanfiction_"
        assert archive.warnings == []
        assert archive.unknown_tables == {}

    def test_rows_per_table_match_the_inserts_in_the_file(self, archive, dump_text):
        # The dump was made with --skip-extended-insert: one INSERT line per row.
        counted = Counter(re.findall(r"^INSERT INTO `fanfiction_(\w+)` VALUES \(", dump_text, re.M))
        assert {name: count for name, count in archive.counts.items() if count} == dict(counted)
        created = set(re.findall(r"^CREATE TABLE `fanfiction_(\w+)`", dump_text, re.M))
        assert set(archive.tables) == created and len(created) == 27
        assert archive.counts["stories"] == 10
        assert archive.counts["chapters"] == 21
        assert archive.counts["reviews"] == 18
        assert archive.counts["favorites"] == 11
        assert archive.counts["inseries"] == 10

    def test_stories_and_their_authors(self, archive):
        stories = _by(archive.rows("stories"), "sid")
        assert stories[3]["title"] == "Salt in the Gears" and stories[3]["uid"] == 3
        assert stories[2]["title"] == "The Cartographer's Daughter"
        assert stories[6]["coauthors"] == 1
        assert id_list(stories[6]["catid"]) == [4, 5]
        assert stories[1]["storynotes"] == (
            "Written for the first-snow ficathon. Huge thanks to Quillfeather for the beta!"
            "<br />Set about a year before <i>The Ember Road</i>."
        )
        assert parse_date(stories[1]["date"]) == datetime(2008, 11, 12, 20, 10, tzinfo=UTC)
        assert sum(s["wordcount"] for s in stories.values()) == 3523
        assert archive.rows("coauthors") == [{"sid": 6, "uid": 6}]

    def test_chapters_keep_order_text_and_line_breaks(self, archive):
        chapters = _by(archive.rows("chapters"), "chapid")
        tick = chapters[10]
        assert tick["title"] == "Tick & Tock — or, Why 3 < 4 > 2"
        assert (tick["sid"], tick["inorder"]) == (3, 3)
        assert chapters[13]["uid"] == 6  # posted by the co-author
        assert "<b>地图不是领土。</b>" in chapters[2]["storytext"]
        assert chapters[5]["storytext"].startswith(
            "The ward was quiet at three in the morning, which was the hour August Fenwick "
            "had always liked least.\r\n\r\nHe made his rounds anyway."
        )
        order = [
            c["chapid"]
            for c in sorted(chapters.values(), key=lambda c: c["inorder"])
            if c["sid"] == 2
        ]
        assert order == [2, 3, 6]

    def test_review_with_the_authors_reply_inside(self, archive):
        review = _by(archive.rows("reviews"), "reviewid")[9]
        assert review["respond"] == "1" and review["rating"] == 10 and review["uid"] == 4
        assert review["review"] == (
            "I cried on the bus. Thank you for this — the line about waiting versus keeping the "
            "light on is going to stay with me.<br><br><i>Author's Response: Thank you so much "
            "for reading, and I'm sorry about the bus! That line was the whole reason I wrote "
            "the story.</i>"
        )

    def test_series_order_and_extra_backslashes(self, archive):
        series = _by(archive.rows("series"), "seriesid")
        assert series[1]["title"] == "Odile\\'s Casebook"
        assert strip_slashes(series[1]["title"]) == "Odile's Casebook"

        def contents(seriesid):
            rows = [r for r in archive.rows("inseries") if r["seriesid"] == seriesid]
            return [(r["sid"], r["subseriesid"]) for r in sorted(rows, key=lambda r: r["inorder"])]

        assert contents(1) == [(3, 0), (7, 0), (4, 0)]
        assert contents(2) == [(10, 0), (1, 0), (9, 0), (2, 0)]
        assert contents(3) == [(5, 0), (0, 2), (6, 0)]

    def test_non_ascii_names_and_php_code_with_escapes(self, archive):
        authors = _by(archive.rows("authors"), "uid")
        assert authors[2]["realname"] == "Zoë Brennan"
        assert authors[6]["realname"] == "June Åkesson"
        assert authors[2]["bio"].count("\r\n") == 1
        aim = _by(archive.rows("authorfields"), "field_name")["AOL"]
        assert "<img src=\\\"http://big.oscar.aol.com/\".$field['info']" in aim["field_code_out"]

    def test_without_create_table_statements_the_rows_are_the_same(self, archive, dump_text):
        bare = re.sub(r"CREATE TABLE .*?\) ENGINE=[^;]*;", "", dump_text, flags=re.S)
        assert "CREATE TABLE" not in bare
        again = read_dump_text(bare)
        assert again.warnings == []
        assert _all_rows(again) == _all_rows(archive)

    @pytest.mark.parametrize("new_prefix", ["efic_", "ff_", "", "site_fanfiction_"])
    def test_another_prefix_reads_the_same_rows(self, archive, dump_text, new_prefix):
        renamed = dump_text.replace("`fanfiction_", f"`{new_prefix}")
        again = read_dump_text(renamed)
        assert again.prefix == new_prefix
        assert again.warnings == []
        assert _all_rows(again) == _all_rows(archive)

    def test_prefix_can_be_given(self, archive, dump_text):
        renamed = dump_text.replace("`fanfiction_", "`efic_")
        again = read_dump_text(renamed, prefix="efic_")
        assert _all_rows(again) == _all_rows(archive)
        wrong = read_dump_text(renamed, prefix="other_")
        assert wrong.tables == {}
        assert any("unknown table efic_stories, 10 rows skipped" in str(w) for w in wrong.warnings)

    def test_multi_row_inserts_read_the_same_rows(self, archive, dump_text):
        # Join consecutive one-row INSERTs of a table into one, as mysqldump does by default.
        def join(match):
            lines = match.group(0).rstrip("\n").split("\n")
            head = lines[0].split(" VALUES ")[0]
            rows = [line.split(" VALUES ", 1)[1].rstrip(";") for line in lines]
            return f"{head} VALUES {','.join(rows)};\n"

        extended = re.sub(
            r"(?:^(INSERT INTO `\w+`) VALUES .*;\n)(?:\1 VALUES .*;\n)*",
            join,
            dump_text,
            flags=re.M,
        )
        assert extended.count("INSERT INTO `fanfiction_chapters`") == 1
        assert _all_rows(read_dump_text(extended)) == _all_rows(archive)


class TestSyntax:
    def test_column_list_ignore_replace_and_bare_names(self):
        dump = read_dump_text(
            "INSERT IGNORE INTO fanfiction_stories (sid, title, uid) VALUES (1,'One',2),(2,'Two',3);\n"
            "REPLACE INTO `fanfiction_stories` (`sid`,`title`,`uid`) VALUES (3, 'Three', 4);\n"
            "insert into `efiction`.`fanfiction_chapters` (chapid, SID) values (7, 1);\n"
        )
        assert dump.rows("stories") == [
            {"sid": 1, "title": "One", "uid": 2},
            {"sid": 2, "title": "Two", "uid": 3},
            {"sid": 3, "title": "Three", "uid": 4},
        ]
        assert dump.rows("chapters") == [{"chapid": 7, "sid": 1}]  # names as eFiction spells them

    def test_escapes_doubled_quotes_and_literals(self):
        dump = read_dump_text(
            "INSERT INTO fanfiction_classes (class_id, class_type, class_name) VALUES "
            r"(1, -2, 'a\0b\'c\"d\be\nf\rg\th\Zi\\j\%k\_l''m'),"
            '(2, 3.50, "dq \\" and "" inside"),'
            "(0x10, NULL, _utf8mb4'intro'),"
            "(4, _binary 'raw', X'4142'),"
            "(5, b'101', 'semi; colon (paren) -- not a comment # nor this /* nor this */');"
        )
        rows = dump.rows("classes")
        assert rows[0]["class_type"] == -2
        assert rows[0]["class_name"] == "a\0b'c\"d\be\nf\rg\th\x1ai\\j\\%k\\_l'm"
        assert rows[1]["class_type"] == Decimal("3.50")
        assert rows[1]["class_name"] == 'dq " and " inside'
        assert rows[2] == {"class_id": b"\x10", "class_type": None, "class_name": "intro"}
        assert rows[3]["class_type"] == b"raw" and rows[3]["class_name"] == b"AB"
        assert rows[4]["class_type"] == 5
        assert (
            rows[4]["class_name"]
            == "semi; colon (paren) -- not a comment # nor this /* nor this */"
        )

    def test_comments_and_conditional_comments(self):
        dump = read_dump_text(
            "/*M!999999\\- enable the sandbox mode */ \n"
            "-- a comment; with a semicolon\n"
            "# another; one\n"
            "/*!40101 SET NAMES utf8mb4 */;\n"
            "/* a block\n comment; */ INSERT /*!IGNORE*/ INTO fanfiction_coauthors VALUES (1,2);\n"
            "INSERT INTO fanfiction_coauthors VALUES (3, 4) -- trailing\n;\n"
        )
        assert dump.rows("coauthors") == [{"sid": 1, "uid": 2}, {"sid": 3, "uid": 4}]
        assert dump.warnings == []

    def test_strings_across_lines_and_insert_set(self):
        dump = read_dump_text(
            "INSERT INTO fanfiction_chapters (chapid, storytext) VALUES (1, 'line one;\n"
            "line two with ''quoted'' text\n"
            "end');\n"
            "INSERT INTO fanfiction_coauthors SET sid = 5, uid = 6;\n"
        )
        assert (
            dump.rows("chapters")[0]["storytext"] == "line one;\nline two with 'quoted' text\nend"
        )
        assert dump.rows("coauthors") == [{"sid": 5, "uid": 6}]

    def test_create_table_gives_the_column_order(self):
        dump = read_dump_text(
            "CREATE TABLE IF NOT EXISTS `ff_coauthors` (\n"
            "  `uid` int(11) NOT NULL DEFAULT '0' COMMENT 'who, really',\n"
            "  `sid` enum('a','b') NOT NULL,\n"
            "  PRIMARY KEY (`sid`,`uid`), KEY `x` (`uid`)\n"
            ") ENGINE=MyISAM;\n"
            "INSERT INTO `ff_coauthors` VALUES (9, 8);\n"
        )
        assert dump.prefix == "ff_"
        assert dump.rows("coauthors") == [{"uid": 9, "sid": 8}]
        assert dump.columns["coauthors"] == ("uid", "sid")

    def test_older_layouts_without_create_table(self):
        old_prefs = ",".join(["1"] * (len(COLUMNS["authorprefs"]) - 1))
        with_backup = ",".join(["1"] * (len(COLUMNS["reviews"]) + 1))
        lines = [
            f"INSERT INTO fanfiction_authorprefs VALUES ({old_prefs});\n",  # noqa: S608 - dump text
            f"INSERT INTO fanfiction_reviews VALUES ({with_backup});\n",  # noqa: S608 - dump text
        ]
        dump = read_dump_text("".join(lines))
        assert "stories" not in dump.rows("authorprefs")[0]
        assert "date_backup" in dump.rows("reviews")[0]
        assert (layout_for("stories", 21) or ())[-1:] == ("challenges",)

    def test_row_that_fits_no_known_layout_is_an_error_naming_table_and_row(self):
        dump = read_dump_text("INSERT INTO fanfiction_coauthors VALUES (1,2),(3,4,5),(6,7);\n")
        assert dump.rows("coauthors") == [{"sid": 1, "uid": 2}, {"sid": 6, "uid": 7}]
        (problem,) = dump.warnings
        assert problem.severity == "error"
        assert (problem.table, problem.row, problem.line) == ("fanfiction_coauthors", 2, 1)
        assert "3 values" in problem.message and "2 columns" in problem.message


class TestBadInput:
    def test_truncated_dump_keeps_the_rows_before_the_cut(self):
        dump = read_dump_text(
            "INSERT INTO fanfiction_stories (sid, title) VALUES (1,'Whole');\n"
            "INSERT INTO fanfiction_stories (sid, title) VALUES (2,'Also whole'),(3,'Cut in the mid"
        )
        assert [r["sid"] for r in dump.rows("stories")] == [1, 2]
        (problem,) = dump.warnings
        assert problem.severity == "error" and problem.table == "fanfiction_stories"
        assert problem.row == 3 and problem.line == 2
        assert "cut off" in problem.message
        assert str(problem).startswith("line 2, table fanfiction_stories, row 3: ")

    def test_malformed_statement_is_reported_and_reading_goes_on(self):
        dump = read_dump_text(
            "INSERT INTO fanfiction_coauthors VALUES (1, 2), (3, oops);\n"
            "INSERT INTO fanfiction_coauthors VALUES (5, 6);\n"
            "INSERT INTO fanfiction_coauthors VALUES (7, 8) garbage;\n"
            "INSERT fanfiction_coauthors;\n"
            "INSERT INTO fanfiction_coauthors VALUES (9, 10);\n"
        )
        assert [r["sid"] for r in dump.rows("coauthors")] == [1, 5, 7, 9]
        errors = [str(w) for w in dump.errors]
        assert len(errors) == 3
        assert errors[0].startswith("line 1, table fanfiction_coauthors, row 2: ")
        assert "'oops'" in errors[0]
        assert errors[2].startswith("line 4, table fanfiction_coauthors: malformed INSERT")
        assert errors[1].startswith("line 3, table fanfiction_coauthors, row 4: ")

    def test_unknown_tables_are_counted_and_reported(self):
        dump = read_dump_text(
            "INSERT INTO fanfiction_stories (sid) VALUES (1);\n"
            "INSERT INTO phpbb_posts VALUES (1,'x'),(2,'y');\n"
            "UPDATE fanfiction_stories SET title = 'x';\n"
        )
        assert dump.unknown_tables == {"phpbb_posts": 2}
        messages = [str(w) for w in dump.warnings]
        assert "table phpbb_posts: unknown table phpbb_posts, 2 rows skipped" in messages
        assert any("UPDATE statement was not read" in m for m in messages)
        kept = read_dump_text(
            "INSERT INTO fanfiction_stories (sid) VALUES (1);\nINSERT INTO phpbb_posts VALUES (1,'x');",
            keep_unknown=True,
        )
        assert kept.unknown_rows["phpbb_posts"] == [{"column1": 1, "column2": "x"}]

    def test_undecodable_bytes_are_read_as_cp1252_and_named(self):
        raw = (
            b"INSERT INTO fanfiction_stories (sid, title) VALUES (1, 'fine'), (2, 'caf"
            + b"\xe9 au lait');\n"
        )
        dump = read_dump(io.BytesIO(raw))
        assert dump.rows("stories")[1]["title"] == "café au lait"
        (problem,) = dump.warnings
        assert (problem.line, problem.table, problem.row) == (1, "fanfiction_stories", 2)
        assert "e9" in problem.message and "utf-8" in problem.message
        latin = read_dump(io.BytesIO(raw), encoding="latin-1")
        assert latin.rows("stories")[1]["title"] == "café au lait" and latin.warnings == []

    def test_unknown_encoding_and_missing_file_are_clear_errors(self, tmp_path):
        with pytest.raises(DumpError, match="unknown encoding"):
            read_dump(tmp_path / "x.sql", encoding="klingon")
        with pytest.raises(DumpError, match="cannot read"):
            read_dump(tmp_path / "missing.sql")

    def test_no_efiction_tables(self):
        dump = read_dump_text("INSERT INTO wp_posts VALUES (1);\n")
        assert dump.prefix is None and dump.tables == {}
        assert any("no eFiction tables" in str(w) for w in dump.warnings)


class TestValues:
    def test_dates_in_both_storages(self):
        when = datetime(2008, 11, 12, 20, 10, tzinfo=UTC)
        assert parse_date(1226520600) == when
        assert parse_date("1226520600") == when
        assert parse_date("2008-11-12 20:10:00") == when
        assert parse_date("2008-11-12") == datetime(2008, 11, 12, tzinfo=UTC)
        for nothing in (None, 0, "0", "", "0000-00-00 00:00:00", "0000-00-00"):
            assert parse_date(nothing) is None
        with pytest.raises(ValueError, match="not a date"):
            parse_date("yesterday")
        with pytest.raises(ValueError, match="not a date"):
            parse_date("2009-02-30 10:00:00")

    def test_id_lists(self):
        assert id_list("1,4,7") == [1, 4, 7]
        assert id_list("") == [] and id_list("0") == [] and id_list(None) == []
        assert id_list(",3,") == [3]
        assert id_list(" 2, 2 ,x,-1, 5") == [2, 5]
        assert id_list(4) == [4] and id_list(-1) == []

    def test_double_encoding_is_repaired(self):
        assert repair_double_encoding("cafÃ©") == "café"
        assert repair_double_encoding("itâ€™s â€œquotedâ€\x9d") == "it’s “quoted”"
        assert repair_double_encoding("Ãœbermäßig") == "Übermäßig"
        assert repair_double_encoding("Ð¿Ñ€Ð¸Ð²ÐµÑ‚") == "привет"
        assert repair_double_encoding("åœ°å›¾") == "地图"
        assert repair_double_encoding("cafÃƒÂ©") == "café"  # encoded twice over
        assert repair_double_encoding("it\x92s") == "it’s"  # cp1252 stored as C1 controls

    def test_real_text_is_left_alone(self):
        for text in (
            "café",
            "naïve Café Müller",
            "地图不是领土。",
            "ÉTÉ—long",
            "“quoted” — ok…",
            "plain",
        ):
            assert repair_double_encoding(text) == text

    def test_quoted_numbers_and_text(self):
        assert as_int("12") == 12 and as_int(12) == 12 and as_int(Decimal("3")) == 3
        assert as_int("") == 0 and as_int(None, -1) == -1 and as_int("x") == 0
        assert as_text(None) == "" and as_text(5) == "5" and as_text(b"caf\xc3\xa9") == "café"

    def test_strip_slashes(self):
        assert strip_slashes('Odile\\\'s \\"Casebook\\" \\\\ end') == 'Odile\'s "Casebook" \\ end'
        assert strip_slashes("no slashes") == "no slashes"


class TestPrefixes:
    def test_several_prefixes_pick_the_fullest_and_say_so(self):
        dump = read_dump_text(
            "INSERT INTO a_stories (sid) VALUES (1);\n"
            "INSERT INTO a_chapters (chapid) VALUES (1);\n"
            "INSERT INTO b_stories (sid) VALUES (2);\n"
        )
        assert dump.prefix == "a_"
        assert dump.rows("stories") == [{"sid": 1}]
        assert dump.unknown_tables == {"b_stories": 1}
        tie = read_dump_text(
            "INSERT INTO a_stories (sid) VALUES (1);\nINSERT INTO b_stories (sid) VALUES (2);\n"
        )
        assert any("several prefixes" in str(w) for w in tie.warnings)

    def test_settings_under_a_settings_prefix_of_their_own(self):
        dump = read_dump_text(
            "INSERT INTO site_fanfiction_stories (sid) VALUES (1);\n"
            "INSERT INTO shared_fanfiction_settings (sitekey, store) VALUES ('k', 'files');\n"
        )
        assert dump.prefix == "site_fanfiction_"
        assert dump.rows("settings") == [{"sitekey": "k", "store": "files"}]
        assert dump.warnings == []
