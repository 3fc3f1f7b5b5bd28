"""The load benchmarks' own parts: reading wrk's output, reading an eFiction
dump, copying its stories, and importing them into Duster with the same text."""

import os
from pathlib import Path

import pytest

from bench.efiction.dump import read_dump
from bench.efiction.stack import _copy
from bench.load.wrk import cpu_seconds, parse_wrk

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/works/1/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.37ms   10.02ms 150.00ms   80.00%
    Req/Sec   700.00    100.00     1.00k    70.00%
  Latency Distribution
     50%  850.00us
     75%   25.00ms
     90%   40.00ms
     99%    1.20s
  14032 requests in 10.01s, 450.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   1401.80
Transfer/sec:     44.96MB
"""

DUMP = r"""/*M!999999\- enable the sandbox mode */
CREATE TABLE `fanfiction_authors` (
  `uid` int(11) NOT NULL AUTO_INCREMENT,
  `penname` varchar(200) NOT NULL DEFAULT '',
  `email` varchar(200) NOT NULL DEFAULT '',
  PRIMARY KEY (`uid`)
) ENGINE=MyISAM;
INSERT INTO `fanfiction_authors` VALUES (1,'Juniper Vane','june@example.test');
INSERT INTO `fanfiction_authors` VALUES (2,'mossgreen','moss@example.test');
CREATE TABLE `fanfiction_categories` (
  `catid` int(11) NOT NULL,
  `category` varchar(60) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_categories` VALUES (4,'&nbsp;&nbsp;The Ember Road');
CREATE TABLE `fanfiction_characters` (
  `charid` int(11) NOT NULL,
  `charname` varchar(60) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_characters` VALUES (1,'Wren Ashdown');
CREATE TABLE `fanfiction_classtypes` (
  `classtype_id` int(11) NOT NULL,
  `classtype_title` varchar(50) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_classtypes` VALUES (1,'Genres'),(2,'Warnings');
CREATE TABLE `fanfiction_classes` (
  `class_id` int(11) NOT NULL,
  `class_type` int(11) NOT NULL,
  `class_name` varchar(100) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_classes` VALUES (1,1,'Drama'),(2,2,'Violence');
CREATE TABLE `fanfiction_ratings` (
  `rid` int(11) NOT NULL,
  `rating` varchar(60) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_ratings` VALUES (1,'G'),(2,'PG-13');
CREATE TABLE `fanfiction_stories` (
  `sid` int(11) NOT NULL,
  `title` varchar(200) NOT NULL,
  `summary` text,
  `storynotes` text,
  `catid` varchar(100) NOT NULL,
  `classes` varchar(200) NOT NULL,
  `charid` varchar(250) NOT NULL,
  `rid` varchar(25) NOT NULL,
  `date` int(11) NOT NULL,
  `updated` int(11) NOT NULL,
  `uid` int(11) NOT NULL,
  `validated` char(1) NOT NULL,
  `completed` char(1) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_stories` VALUES (1,'Nine Bells','A <i>small</i> summary','Notes, \"quoted\"','4','1,2','1','1',1226520600,1226520600,1,'1','1');
INSERT INTO `fanfiction_stories` VALUES (2,'Ferry\'s Light','','','4,9','1','','2',1226520600,1236520600,2,'1','0');
INSERT INTO `fanfiction_stories` VALUES (3,'Queued','','','4','','','1',1226520600,1226520600,2,'0','0');
CREATE TABLE `fanfiction_chapters` (
  `chapid` int(11) NOT NULL,
  `title` varchar(250) NOT NULL,
  `sid` int(11) NOT NULL,
  `inorder` int(11) NOT NULL,
  `notes` text NOT NULL,
  `endnotes` text,
  `storytext` mediumtext,
  `validated` char(1) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_chapters` VALUES (1,'Chapter 1',1,1,'','','Plain text,\r\nline by line.\r\n\r\nCaf\u00e9 M\u00fcller.','1');
INSERT INTO `fanfiction_chapters` VALUES (3,'Second',2,2,'','The end.','<p>Tick &amp; Tock, 3 < 4</p>','1');
INSERT INTO `fanfiction_chapters` VALUES (2,'First',2,1,'Hi.',NULL,'<p>The <b>first</b> one.</p>','1');
CREATE TABLE `fanfiction_series` (
  `seriesid` int(11) NOT NULL,
  `title` varchar(200) NOT NULL,
  `uid` int(11) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_series` VALUES (1,'Odile\\\'s Casebook',2);
CREATE TABLE `fanfiction_inseries` (
  `seriesid` int(11) NOT NULL,
  `sid` int(11) NOT NULL,
  `confirmed` int(11) NOT NULL,
  `inorder` int(11) NOT NULL
) ENGINE=MyISAM;
INSERT INTO `fanfiction_inseries` VALUES (1,1,1,2);
INSERT INTO `fanfiction_inseries` VALUES (1,2,1,1);
""".replace(r"\u00e9", "é").replace(r"\u00fc", "ü")


@pytest.fixture
def dump(tmp_path) -> Path:
    path = tmp_path / "archive.sql"
    path.write_text(DUMP, encoding="utf-8")
    return path


def test_wrk_output_gives_rate_percentiles_in_ms_and_problems():
    rps, p50, p99, count, problems = parse_wrk(WRK_OUTPUT)
    assert (rps, p50, p99, count) == (1401.8, 0.85, 1200.0, 14032)
    assert "read 3" in problems and "timeout 2" in problems
    assert "Non-2xx or 3xx responses: 7" in problems


def test_clean_wrk_output_reports_no_problems():
    clean = WRK_OUTPUT.replace("read 3", "read 0").replace("timeout 2", "timeout 0")
    clean = clean.replace("  Non-2xx or 3xx responses: 7\n", "")
    assert parse_wrk(clean)[4] == ""


def test_unexpected_wrk_output_is_refused():
    with pytest.raises(ValueError, match="unexpected wrk output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_cpu_time_of_a_process_tree_counts_this_process():
    assert cpu_seconds([1]) >= cpu_seconds([os.getpid()]) > 0


def test_dump_rows_come_back_with_escapes_undone(dump):
    columns, rows = read_dump(dump)
    assert columns["fanfiction_authors"] == ["uid", "penname", "email"]
    stories = {row["sid"]: row for row in rows["fanfiction_stories"]}
    assert stories[2]["title"] == "Ferry's Light"
    assert stories[1]["storynotes"] == 'Notes, "quoted"'
    chapters = {row["chapid"]: row for row in rows["fanfiction_chapters"]}
    assert chapters[1]["storytext"] == "Plain text,\r\nline by line.\r\n\r\nCafé Müller."
    assert chapters[2]["endnotes"] is None
    assert rows["fanfiction_series"][0]["title"] == "Odile\\'s Casebook"  # as eFiction stores it
    assert len(rows["fanfiction_classes"]) == 2  # several rows in one INSERT


def test_copies_of_stories_get_new_ids_and_keep_every_other_column(dump):
    columns, _ = read_dump(dump)
    sql = _copy("fanfiction_chapters", "c", columns, {"sid": "c.sid + 3 * n.seq"}, 99, "c.sid <= 3")
    assert sql.startswith("INSERT INTO fanfiction_chapters (`chapid`, `title`, `sid`")
    assert "c.`storytext`" in sql and "c.sid + 3 * n.seq" in sql
    assert "JOIN seq_1_to_99 n WHERE c.sid <= 3" in sql


@pytest.mark.django_db
def test_stories_become_posted_works_with_the_same_text_once(dump):
    from bench.efiction.stories import stories_import
    from duster.works.models import Series, Work

    _, rows = read_dump(dump)
    stories = stories_import(rows)
    assert sorted(stories) == [1, 2]  # the unvalidated story stays out
    one_shot, chaptered = stories[1].work, stories[2].work
    assert one_shot.title == "Nine Bells" and one_shot.rating == "general"
    assert "line by line." in stories[1].chapters[0].body
    assert "<br>" in stories[1].chapters[0].body  # eFiction shows plain text with line breaks
    assert "Café Müller" in stories[1].chapters[0].body
    assert [c.title for c in stories[2].chapters] == ["First", "Second"]
    assert stories[2].chapter_ids == [2, 3]
    assert "<b>first</b>" in stories[2].chapters[0].body
    assert "The Ember Road" in [tag.name for tag in one_shot.tags.all()]
    assert one_shot.warnings == ["violence"] and one_shot.complete
    assert chaptered.expected_chapters is None
    series = Series.objects.get()
    assert series.title == "Odile's Casebook"
    assert [e.work_id for e in series.entries.order_by("position")] == [chaptered.pk, one_shot.pk]

    again = stories_import(rows)
    assert again[1].work.pk == one_shot.pk
    assert Work.objects.count() == 2 and Series.objects.count() == 1
