"""A work as a PDF, laid out by WeasyPrint like a small printed book: A5
pages, a title page, a table of contents with page numbers, each chapter on
a new page, page numbers at the foot, and the title, contents, chapters and
end notes as the PDF's bookmarks. The title, creators, summary and tags
become the file's metadata (from the document's <title> and <meta>).

WeasyPrint gets the same HTML document as the HTML download with a print
stylesheet. Pictures are inlined as data: URLs and its URL fetcher refuses
every other address, so building a PDF never reaches the network or the
file system, whatever a chapter's text says.
"""

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from duster.downloads.book import Book
from duster.downloads.html import render_document
from duster.downloads.images import BookImages

PRINT_STYLESHEET = "downloads/pdf/print.css"


class DataOnlyFetcher(URLFetcher):
    """Hands WeasyPrint data: URLs and refuses everything else (it then
    leaves that resource out and logs a warning)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if url[:5].lower() != "data:":
            raise ValueError(f"a download fetches nothing outside itself: {url[:200]}")
        return super().fetch(url, headers)


def document(book: Book, images: BookImages) -> HTML:
    """The book as a WeasyPrint document, not yet laid out."""
    html = render_document(
        book,
        images,
        stylesheet=render_to_string(PRINT_STYLESHEET),
        src_for=lambda image: image.data_url(),
    )
    return HTML(string=html, url_fetcher=DataOnlyFetcher())


def build(book: Book, images: BookImages) -> bytes:
    return document(book, images).write_pdf()
