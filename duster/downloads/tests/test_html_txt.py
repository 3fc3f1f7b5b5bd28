"""The single-file HTML and plain-text downloads, built from real works
whose text went through the sanitizer like any writer's."""

import pytest
from lxml import html as lxml_html

from duster.downloads import html, txt
from duster.downloads.book import book_for, work_for_download
from duster.downloads.images import BookImages
from duster.images.services import image_upload
from duster.images.tests.helpers import png_bytes, upload
from duster.testing.factories import make_user, make_work
from duster.tests.browser import nu_checker_errors
from duster.works.services.chapters import chapter_create

OUTSIDE_PICTURE = "https://pictures.example.net/lantern.png"
MISSING_PICTURE = "https://pictures.example.net/gone.png"
ELSEWHERE = "https://wiki.example.org/Lamplighters"


@pytest.fixture(autouse=True)
def _images(settings, tmp_path, monkeypatch):
    """Stored images in a private folder; outside images never fetched over
    the network: one address answers with a picture, the others with nothing."""
    settings.MEDIA_ROOT = tmp_path / "media"
    picture = png_bytes((12, 8), metadata=False)
    monkeypatch.setattr(
        "duster.downloads.images.fetch_remote",
        lambda url: picture if url == OUTSIDE_PICTURE else None,
    )


def long_paragraph(words: int = 120) -> str:
    return " ".join(
        ("lanterns", "along", "the", "harbour", "wall", "flickered", "while", "Maren", "waited")[
            n % 9
        ]
        for n in range(words)
    )


def rich_work(writer, **fields):
    """A posted work in three chapters with notes, a picture from the
    archive, one from outside, one that is gone, a list, a scene break and
    a link elsewhere."""
    own = image_upload(uploader=writer, upload=upload(png_bytes((20, 10), metadata=False)))
    fields.setdefault("title", "Lanterns & <Moths> \"Quoted\" 'too'")
    work = make_work(
        writer,
        expected_chapters=None,
        summary="<p>Maren keeps the <em>last</em> lantern lit.</p>",
        notes="<p>Written for the winter exchange.</p>",
        end_notes="<p>Thank you for reading &amp; commenting.</p>",
        freeforms=("Lighthouses", "Slow Burn"),
        **fields,
    )
    chapter_create(
        work=work,
        fields={
            "title": "The Storm",
            "summary": "<p>The storm arrives.</p>",
            "notes": "<p>Beginning notes of chapter two.</p>",
            "end_notes": "<p>End notes of chapter two.</p>",
            "body": (
                f"<p>{long_paragraph()}</p>"
                "<p>She said:<br>“Wait for me.”<br>And left.</p>"
                "<hr>"
                f'<p><img src="{own.get_absolute_url()}" alt="A map of the harbour"></p>'
                f'<p><img src="{OUTSIDE_PICTURE}" alt="The lantern"></p>'
                f'<p><img src="{MISSING_PICTURE}" alt="A lost drawing"></p>'
                "<ul><li>oil</li><li>wicks</li></ul>"
                "<ol><li>light</li><li>wait</li></ol>"
                f'<p>See <a href="{ELSEWHERE}">the lamplighters</a>.</p>'
                "<center>The end of the storm</center>"
                f"<p>{'https://example.com/' + 'a' * 90}</p>"
            ),
        },
        post=True,
    )
    chapter_create(
        work=work,
        fields={"body": "<h3>A letter</h3><blockquote><p>Dear Maren,</p></blockquote>"},
        post=True,
    )
    return work


def book_of(work):
    readable = work_for_download(work.pk, None)
    assert readable is not None
    return book_for(readable)


# --- HTML ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_html_file_is_one_document_with_everything_inside():
    work = rich_work(make_user())
    book = book_of(work)
    data = html.build(book, BookImages())
    text = data.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    page = lxml_html.document_fromstring(data)
    root = page.getroottree().getroot()
    assert root.get("lang") == "en" and root.get("dir") == "ltr"
    assert page.find(".//meta[@charset]") is not None
    assert page.find(".//meta[@name='viewport']") is not None
    assert page.findtext(".//title") == book.title == "Lanterns & <Moths> \"Quoted\" 'too'"
    assert page.find(".//h1").text_content() == book.title
    assert "<Moths>" not in text  # escaped everywhere
    assert page.find(".//style") is not None
    assert "prefers-color-scheme: dark" in page.findtext(".//style")

    # Nothing outside the file is needed: no scripts, stylesheets or frames,
    # pictures inlined, links only to its own parts, the work, and the
    # writer's own link.
    assert not page.xpath("//script | //link | //iframe | //object | //embed")
    sources = [element.get("src") for element in page.xpath("//*[@src]")]
    assert len(sources) == 2  # the archive's picture and the outside one
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    hrefs = {element.get("href") for element in page.xpath("//*[@href]")}
    outside = {href for href in hrefs if not href.startswith("#")}
    assert outside == {book.url, ELSEWHERE, MISSING_PICTURE}
    assert "url(" not in page.findtext(".//style")

    # The missing picture is its alt text, linked to where it was.
    missing = page.xpath("//a[@class='missing-image']")[0]
    assert missing.text == "[Image: A lost drawing]"

    # The contents lead to every chapter and the end notes.
    contents = [a.get("href") for a in page.xpath("//nav[@id='contents']//a")]
    assert contents == ["#chapter-1", "#chapter-2", "#chapter-3", "#afterword"]
    for anchor in contents:
        assert page.get_element_by_id(anchor[1:]) is not None
    assert "Chapter 2: The Storm" in text
    assert "Beginning notes of chapter two." in text
    assert "End notes of chapter two." in text
    assert "Thank you for reading &amp; commenting." in text
    assert "<center" not in text  # modernised


@pytest.mark.django_db
def test_a_one_shot_has_no_contents_and_a_right_to_left_work_says_so():
    work = make_work(make_user(), title="סיפור קצר", language="he")
    data = html.build(book_of(work), BookImages())
    page = lxml_html.document_fromstring(data)
    assert page.getroottree().getroot().get("dir") == "rtl"
    assert page.getroottree().getroot().get("lang") == "he"
    assert page.find(".//nav") is None
    assert page.findtext(".//title") == "סיפור קצר"


@pytest.mark.django_db
def test_the_html_files_pass_the_nu_checker(tmp_path):
    writer = make_user()
    works = {
        "rich": rich_work(writer),
        "rtl": make_work(writer, title="قصة", language="ar"),
        "cjk": make_work(writer, title="灯台の物語", language="ja"),
    }
    paths = []
    for name, work in works.items():
        path = tmp_path / f"{name}.html"
        path.write_bytes(html.build(book_of(work), BookImages()))
        paths.append(path)
    errors = [
        f"{m.get('url', '').rsplit('/', 1)[-1]} line {m.get('lastLine')}: {m['message']}"
        for m in nu_checker_errors(paths)
    ]
    assert errors == []


# --- Plain text ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_text_file_holds_the_whole_work_wrapped():
    work = rich_work(make_user())
    book = book_of(work)
    data = txt.build(book, BookImages())
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    text = data.decode("utf-8")
    lines = text.split("\n")
    assert text.endswith("\n") and not text.endswith("\n\n")
    for line in lines:
        assert len(line) <= txt.WIDTH or " " not in line.strip(), line
        assert line == line.rstrip()
    long_address = "https://example.com/" + "a" * 90
    assert long_address in lines  # never cut

    assert lines[0] == book.title
    assert lines[1] == "=" * len(book.title)
    assert f"by {book.byline}" in lines
    for label, value in book.metadata():
        assert f"{label}: {value}" in " ".join(text.split())
    for expected in (
        "Maren keeps the _last_ lantern lit.",
        "Written for the winter exchange.",
        "Chapter 2: The Storm",
        "The storm arrives.",
        "Beginning notes of chapter two.",
        "End notes of chapter two.",
        "Thank you for reading & commenting.",
        f"Read online: {book.url}",
    ):
        assert expected in text
    assert "She said:\n“Wait for me.”\nAnd left." in text
    assert txt.SCENE_BREAK in lines
    assert "- oil\n- wicks" in text
    assert "1. light\n2. wait" in text
    assert "[Image: A map of the harbour]" in text
    assert "[Image: A lost drawing]" in text
    assert f"the lamplighters <{ELSEWHERE}>." in text
    assert "The end of the storm".center(txt.WIDTH).rstrip() in lines
    assert "A letter\n\n    Dear Maren," in text
    assert "<" not in text.replace(f"<{ELSEWHERE}>", "").replace("<Moths>", "")
    # The paragraph was wrapped, not left on one line.
    assert max(len(line) for line in lines if line.startswith("lanterns along")) > 60
    assert text.index("Chapter 1") < text.index("Chapter 2") < text.index("Chapter 3")
    assert text.rindex("End Notes") > text.index("Chapter 3")


def test_html_becomes_text_the_way_a_text_file_reads():
    cases = {
        "<p>One</p><p>Two</p>": "One\n\nTwo",
        "<p>&nbsp;</p><p>After a spacer</p>": "After a spacer",
        "<p>a<br>b<br><br>c</p>": "a\nb\n\nc",
        "<p>Some <strong>bold</strong> and <i> spaced </i> words</p>": (
            "Some *bold* and _spaced_ words"
        ),
        "<ol start='3'><li>three</li><li><p>four</p><p>more</p></li></ol>": (
            "3. three\n4. four\n\n   more"
        ),
        "<ul><li>outer<ul><li>inner</li></ul></li></ul>": "- outer\n\n  - inner",
        "<h2>Heading</h2>text after": "Heading\n\ntext after",
        "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Maren</td><td>30</td></tr></table>": (
            "Name | Age\nMaren | 30"
        ),
        "<pre>  kept\n    as is</pre>": "  kept\n    as is",
        '<p><a href="https://example.com/">https://example.com/</a></p>': "https://example.com/",
        "<p>他说：“等我。”</p>": "他说：“等我。”",
        "<p>Before</p><p>~o~</p><p>After</p>": "Before\n\n"
        + "~o~".center(78).rstrip()
        + "\n\nAfter",
    }
    for markup, expected in cases.items():
        assert txt.html_to_text(markup) == expected, markup


def test_a_long_paragraph_wraps_at_78_columns_without_breaking_words():
    paragraph = "well-known " * 40 + "x" * 100 + " end"
    lines = txt.html_to_text(f"<p>{paragraph}</p>").split("\n")
    assert all(len(line) <= 78 for line in lines if line != "x" * 100)
    assert "x" * 100 in lines
    assert all(word in ("well-known", "x" * 100, "end") for line in lines for word in line.split())
