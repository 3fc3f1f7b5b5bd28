"""The PDF download, laid out by the real WeasyPrint from real works whose
text went through the sanitizer like any writer's."""

import re
import shutil
import subprocess
import zlib

import pytest
from weasyprint.formatting_structure.boxes import TextBox

from duster.downloads import pdf
from duster.downloads.book import book_for, work_for_download
from duster.downloads.images import BookImages
from duster.images.services import image_upload
from duster.images.tests.helpers import png_bytes, upload
from duster.testing.factories import make_user, make_work
from duster.works.services.chapters import chapter_create

OUTSIDE_PICTURE = "https://pictures.example.net/lantern.png"


@pytest.fixture(autouse=True)
def _images(settings, tmp_path, monkeypatch):
    """Stored images in a private folder; no outside image can be had."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr("duster.downloads.images.fetch_remote", lambda url: None)


def book_of(work):
    readable = work_for_download(work.pk, None)
    assert readable is not None
    return book_for(readable)


def laid_out(book):
    return pdf.document(book, BookImages()).render()


def page_text(page) -> str:
    """The words on a laid-out page, its margin boxes (page number,
    running head) included."""
    words = []

    def walk(box):
        if isinstance(box, TextBox):
            words.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child)

    walk(page._page_box)
    return " ".join(" ".join(words).split())


def bookmarks(document) -> list[tuple[str, int]]:
    """(label, page index) of each top-level PDF bookmark."""
    return [(label, target[0]) for label, target, _, _ in document.make_bookmark_tree()]


def with_chapters(writer, count: int, **fields):
    work = make_work(writer, expected_chapters=count, **fields)
    for number in range(2, count + 1):
        chapter_create(
            work=work,
            fields={
                "title": f"Part {number}",
                "notes": f"<p>Notes before part {number}.</p>",
                "body": f"<p>The text of part {number}, <em>short</em>.</p><hr><p>After.</p>",
            },
            post=True,
        )
    work.refresh_from_db()
    return work


@pytest.mark.django_db
def test_the_pdf_is_a_book_with_contents_chapters_on_new_pages_and_bookmarks():
    writer = make_user()
    work = with_chapters(
        writer,
        4,
        title="Lanterns & <Moths> \"Quoted\" 'too'",
        summary="<p>Maren keeps the last lantern lit.</p>",
        end_notes="<p>Thank you for reading.</p>",
        freeforms=("Lighthouses",),
    )
    book = book_of(work)
    data = pdf.build(book, BookImages())
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")

    document = laid_out(book)
    assert document.metadata.title == "Lanterns & <Moths> \"Quoted\" 'too'"
    assert document.metadata.authors == [book.byline]
    assert "Lighthouses" in document.metadata.keywords
    assert document.metadata.lang == "en"
    # Title page, contents, one page or more for each chapter, the afterword.
    assert len(document.pages) >= len(book.chapters) + 3

    marks = bookmarks(document)
    assert [label for label, _ in marks] == [
        book.title,
        "Contents",
        "Chapter 1",
        "Chapter 2: Part 2",
        "Chapter 3: Part 3",
        "Chapter 4: Part 4",
        "End Notes",
    ]
    pages = [page for _, page in marks]
    assert pages[:2] == [0, 1]
    assert pages == sorted(set(pages))  # each of them starts a page of its own
    for label, index in marks[2:6]:
        assert page_text(document.pages[index]).startswith(label)
        assert f"chapter-{marks.index((label, index)) - 1}" in document.pages[index].anchors

    # The contents give each chapter's page number, as printed at its foot.
    contents = page_text(document.pages[1])
    for label, index in marks[2:]:
        number = index + 1
        assert page_text(document.pages[index]).endswith(f" {number}")
        assert re.search(rf"{re.escape(label)}[ .]+{number}(?!\d)", contents), (label, contents)
    assert not page_text(document.pages[0])[-1].isdigit()  # no number on the title page


@pytest.mark.django_db
def test_pictures_are_inlined_and_a_missing_one_is_its_alt_text():
    writer = make_user()
    own = image_upload(uploader=writer, upload=upload(png_bytes((30, 20), metadata=False)))
    work = make_work(writer, expected_chapters=None)
    chapter_create(
        work=work,
        fields={
            "body": f'<p><img src="{own.get_absolute_url()}" alt="The harbour"></p>'
            f'<p><img src="{OUTSIDE_PICTURE}" alt="A lost drawing"></p>'
        },
        post=True,
    )
    document = laid_out(book_of(work))
    text = " ".join(page_text(page) for page in document.pages)
    assert "[Image: A lost drawing]" in text
    images = [
        box
        for page in document.pages
        for box in page._page_box.descendants()
        if type(box).__name__ == "InlineReplacedBox"
    ]
    assert len(images) == 1
    picture = images[0].replacement
    assert (picture.width, picture.height) == (30, 20)


def test_weasyprint_may_fetch_data_urls_and_nothing_else():
    fetcher = pdf.DataOnlyFetcher()
    assert fetcher("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    for address in (
        "file:///etc/passwd",
        "http://127.0.0.1/private.png",
        "https://pictures.example.net/a.png",
        "ftp://example.net/a.png",
    ):
        with pytest.raises(ValueError):
            fetcher(address)


@pytest.mark.django_db
def test_an_outside_address_in_the_text_is_never_fetched(monkeypatch):
    """Even markup that reached the layout unresolved costs no request."""
    asked: list[str] = []
    real = pdf.DataOnlyFetcher.fetch

    def watched(self, url, headers=None):
        asked.append(url)
        return real(self, url, headers)

    monkeypatch.setattr(pdf.DataOnlyFetcher, "fetch", watched)
    monkeypatch.setattr("duster.downloads.html.book_markup", lambda html, *a, **k: html)
    work = make_work(make_user(), expected_chapters=None)
    chapter_create(
        work=work, fields={"body": f'<p><img src="{OUTSIDE_PICTURE}" alt="x"></p>'}, post=True
    )
    assert pdf.build(book_of(work), BookImages()).startswith(b"%PDF-")
    assert asked == [OUTSIDE_PICTURE]  # asked of the fetcher, which refused it


def embedded_fonts(data: bytes) -> set[str]:
    """The names of the fonts a PDF embeds (its objects sit in compressed streams)."""
    found: set[str] = set()
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            objects = zlib.decompress(stream.group(1))
        except zlib.error:
            continue
        found.update(name.decode() for name in re.findall(rb"/BaseFont\s*/([^/>\s]+)", objects))
    return found


def _font_installed(family: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return family in found


@pytest.mark.django_db
def test_japanese_chinese_and_right_to_left_works_build():
    writer = make_user()
    cases = {
        "ja": (
            "灯台の物語",
            "<p>灯台の明かりが、夜の海を照らしていた。「待っていて」と彼女は言った。</p>",
        ),
        "zh-hans": ("灯塔的故事", "<p>灯塔的光照亮了夜晚的大海。她说：“等我。”</p>"),
        "ar": ("قصة المنارة", "<p>أضاء نور المنارة البحر في الليل. قالت: «انتظرني».</p>"),
        "he": ("סיפור המגדלור", "<p>אור המגדלור האיר את הים בלילה. היא אמרה: „חכה לי”.</p>"),
    }
    for language, (title, body) in cases.items():
        work = with_chapters(writer, 2, title=title, language=language)
        chapter_create(work=work, fields={"body": body}, post=True)
        book = book_of(work)
        data = pdf.build(book, BookImages())
        assert data.startswith(b"%PDF-")
        document = laid_out(book)
        assert document.metadata.title == title
        assert document.metadata.lang == language
        text = " ".join(page_text(page) for page in document.pages)
        assert title in text
        if language == "ja" and _font_installed("Noto Serif CJK JP"):
            fonts = embedded_fonts(data)
            assert fonts and all("Noto-Serif-CJK-JP" in font for font in fonts), fonts
