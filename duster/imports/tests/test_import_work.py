import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from duster.testing.factories import make_user
from duster.testing.files import make_docx
from duster.works.models import Chapter, Work, WorkState

ROOT = Path(__file__).resolve().parents[3]


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_work", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def _docx(tmp_path) -> Path:
    path = tmp_path / "story.docx"
    path.write_bytes(make_docx("From a word processor."))
    return path


@pytest.mark.django_db
class TestImportWork:
    def test_text_file_becomes_a_posted_work_and_its_path_is_the_last_line(self, tmp_path):
        make_user("alice")
        story = tmp_path / "lamplight_slowly.txt"
        story.write_text("First paragraph.\n\n* * *\n\nAfter the break.\n", encoding="utf-8")
        output = _run(story, "--creator", "alice", "--fandom", "Lamplighter", "--rating", "teen")
        work = Work.objects.get()
        assert output.strip().splitlines()[-1] == f"/works/{work.pk}/"
        assert work.state == WorkState.POSTED
        assert work.title == "lamplight slowly"
        assert work.rating == "teen"
        assert work.chapters_label == "1/1" and work.complete
        assert [t.name for t in work.fandoms()] == ["Lamplighter"]
        body = work.chapters.get().body
        assert "<hr>" in body and "<p>After the break.</p>" in body

    def test_relationships_characters_and_tags_can_be_given_several_times(self, tmp_path):
        make_user("alice")
        story = tmp_path / "story.txt"
        story.write_text("Text.", encoding="utf-8")
        _run(
            story,
            *("--creator", "alice", "--fandom", "Lamplighter"),
            *("--relationship", "Ada/Bram", "--relationship", "Ada & Cy"),
            *("--character", "Ada", "--character", "Bram"),
            *("--tag", "Slow Burn", "--tag", "  Found   Family "),
        )
        work = Work.objects.for_listing().get()
        assert [t.name for t in work.relationships()] == ["Ada/Bram", "Ada & Cy"]
        assert [t.name for t in work.characters()] == ["Ada", "Bram"]
        assert [t.name for t in work.freeforms()] == ["Slow Burn", "Found Family"]
        assert work.filter_tags.filter(name="Ada/Bram").exists()

    def test_a_tag_with_a_comma_is_refused_in_one_line(self, tmp_path):
        make_user("alice")
        story = tmp_path / "story.txt"
        story.write_text("Text.", encoding="utf-8")
        with pytest.raises(CommandError, match="Commas separate tags") as error:
            _run(story, "--creator", "alice", "--tag", "Angst, Fluff")
        assert "\n" not in str(error.value)
        assert not Work.objects.exists()

    def test_docx_markdown_and_html_are_read_by_extension_or_by_format(self, tmp_path):
        make_user("alice")
        _run(_docx(tmp_path), "--creator", "alice", "--title", "Docx")
        markdown = tmp_path / "notes.txt"
        markdown.write_text("Some *emphasis* here.", encoding="utf-8")
        _run(markdown, "--creator", "alice", "--format", "markdown", "--title", "Md")
        page = tmp_path / "page.html"
        page.write_text("<p>Safe</p><script>alert(1)</script>", encoding="utf-8")
        _run(page, "--creator", "alice", "--title", "Html", "--summary", "A summary.")
        bodies = {c.work.title: c.body for c in Chapter.objects.select_related("work")}
        assert "From a word processor." in bodies["Docx"]
        assert "<em>emphasis</em>" in bodies["Md"]
        assert "<script" not in bodies["Html"] and "<p>Safe</p>" in bodies["Html"]
        assert Work.objects.get(title="Html").summary == "<p>A summary.</p>"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--creator", "nobody"], "No active user named 'nobody'."),
            (["--creator", "alice", "--format", "pdf"], "Unknown format 'pdf'"),
            (["--creator", "alice", "--rating", "spicy"], "Unknown rating 'spicy'"),
        ],
    )
    def test_bad_arguments_give_one_line_and_create_nothing(self, tmp_path, args, message):
        make_user("alice")
        story = tmp_path / "story.txt"
        story.write_text("Text.", encoding="utf-8")
        with pytest.raises(CommandError, match=message) as error:
            _run(story, *args)
        assert "\n" not in str(error.value)
        assert not Work.objects.exists() and not Chapter.objects.exists()

    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("story.pdf", b"%PDF-1.4", "Unsupported file type '.pdf'"),
            ("story.docx", b"not a zip", "not a valid .docx"),
            ("story.txt", b"\xff\xfe\xfa caf\xe9", "not UTF-8"),
            ("story.txt", b"   \n\n ", "no text"),
        ],
    )
    def test_bad_files_are_refused_with_a_reason(self, tmp_path, name, data, message):
        make_user("alice")
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CommandError, match=message):
            _run(path, "--creator", "alice")
        assert not Work.objects.exists()

    def test_missing_file_is_refused(self, tmp_path):
        make_user("alice")
        with pytest.raises(CommandError, match="Cannot read"):
            _run(tmp_path / "missing.txt", "--creator", "alice")


def test_command_line_error_is_one_line_with_exit_status_1(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Text.", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_work",
            str(story),
            "--creator",
            "x",
            "--format",
            "odt",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: Unknown format 'odt': use auto, text, markdown, html, docx, epub, efiction, ao3."
    ]


FIXTURES = Path(__file__).parent / "fixtures" / "single"


@pytest.mark.django_db
class TestImportWorkFormats:
    def test_an_efiction_page_becomes_a_multi_chapter_work_in_order(self):
        make_user("juniper")
        output = _run(FIXTURES / "efiction_printable_copied.txt", "--creator", "juniper")
        work = Work.objects.for_listing().get()
        assert output.strip().splitlines()[-1] == f"/works/{work.pk}/"
        assert work.title == "Letters to the Lamplighter"
        assert work.chapters_label == "2/?" and not work.complete
        assert [t.name for t in work.fandoms()] == ["The Lamplighter Chronicles"]
        # An eFiction warning that is no archive warning stays as an additional tag.
        assert work.warnings == ["death"]
        titles = list(work.chapters.order_by("position").values_list("title", flat=True))
        assert titles == ["The First Letter", "Return to Sender"]

    def test_options_given_override_what_the_file_says(self):
        make_user("tin")
        _run(
            FIXTURES / "ao3_download.html",
            *("--creator", "tin", "--title", "Mine", "--fandom", "Original Work"),
            *("--rating", "NC-17", "--tag", "Rewritten", "--summary", "New summary."),
        )
        work = Work.objects.for_listing().get()
        assert work.title == "Mine" and work.rating == "explicit"
        assert [t.name for t in work.fandoms()] == ["Original Work"]
        assert [t.name for t in work.freeforms()] == ["Rewritten"]
        assert [t.name for t in work.characters()] == ["Odile", "Pim", "The Ferryman"]
        assert work.summary == "<p>New summary.</p>"

    def test_an_unknown_rating_in_a_file_leaves_the_work_not_rated(self, tmp_path):
        make_user("tin")
        page = (FIXTURES / "ao3_download.html").read_text(encoding="utf-8")
        path = tmp_path / "odd.html"
        path.write_text(page.replace(">Teen And Up Audiences<", ">Spicy<"), encoding="utf-8")
        err = io.StringIO()
        call_command("import_work", str(path), "--creator", "tin", stdout=io.StringIO(), stderr=err)
        assert Work.objects.get().rating == "not_rated"
        assert "Unknown rating 'Spicy'" in err.getvalue()

    @pytest.mark.parametrize(
        ("rating", "expected"),
        [("G", "general"), ("PG", "general"), ("PG-13", "teen"), ("R", "mature"),
         ("NC-17", "explicit"), ("Teen And Up Audiences", "teen"), ("Explicit", "explicit")],
    )  # fmt: skip
    def test_other_archives_rating_words_are_understood(self, rating, expected):
        from duster.imports.words import rating_from_source

        assert rating_from_source(rating) == expected

    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("story.epub", b"PK\x03\x04" + b"\0" * 40, "not a valid EPUB"),
            ("page.html", b"<html><body><script>x()</script></body></html>", "no text"),
            ("empty.txt", b"", "no text"),
        ],
    )
    def test_bad_files_create_no_work(self, tmp_path, name, data, message):
        make_user("alice")
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CommandError, match=message) as error:
            _run(path, "--creator", "alice")
        assert "\n" not in str(error.value)
        assert not Work.objects.exists() and not Chapter.objects.exists()

    def test_html_that_is_not_an_efiction_page_is_refused_in_that_format(self, tmp_path):
        make_user("alice")
        path = tmp_path / "page.html"
        path.write_text("<html><body><p>Hello.</p></body></html>", encoding="utf-8")
        with pytest.raises(CommandError, match="not a story saved from an eFiction archive"):
            _run(path, "--creator", "alice", "--format", "efiction")
        assert not Work.objects.exists()
