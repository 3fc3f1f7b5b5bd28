"""No conversion can stall a worker: pathological input finishes in seconds, refused with a
clear TextFormatError or converted to a bounded result. No timings are asserted; each test
here would run for minutes (or exhaust memory) against the unbounded converters."""

import io
import random
import re
import zipfile

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duster.lib import text
from duster.lib.text import (
    BODY_MAX,
    DOCX_TAGS_MAX,
    FILE_MAX_BYTES,
    HTML_DEPTH_MAX,
    HTML_TAGS_MAX,
    TextFormatError,
    docx_to_html,
    file_to_html,
    file_to_source,
    markdown_to_html,
    sanitize_html,
    text_to_html,
    to_html,
)
from duster.testing.files import make_docx


def _depth(html: str) -> int:
    depth = deepest = 0
    for match in re.finditer(r"<(/?)([a-z0-9]+)[^>]*>", html):
        if match.group(2) in ("br", "hr", "img", "col"):
            continue
        depth += -1 if match.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def test_limits_are_exported():
    assert BODY_MAX == 500_000
    assert FILE_MAX_BYTES == 10 * 1024 * 1024


# --- HTML -----------------------------------------------------------------------------------


def test_half_a_million_characters_of_nested_divs_are_flattened():
    out = to_html("<div>" * 100_000, "html")
    assert out == "<div>" * HTML_DEPTH_MAX + "</div>" * HTML_DEPTH_MAX


def test_text_inside_absurd_nesting_is_kept():
    out = to_html("".join(f"<div><span>w{i} " for i in range(1_000)), "html")
    assert _depth(out) <= HTML_DEPTH_MAX
    assert all(f"w{i} " in out for i in range(1_000))


def test_ten_megabyte_nested_div_upload_is_refused():
    data = b"<div>" * 2_000_000
    assert len(data) <= FILE_MAX_BYTES
    with pytest.raises(TextFormatError, match=r"^This file has too much markup to convert"):
        file_to_html("deep.html", data)


def test_deep_upload_under_the_tag_limit_is_flattened_with_its_text():
    out = file_to_html("deep.html", b"<div>x" * 200_000)
    assert out.count("<div>") == HTML_DEPTH_MAX
    assert out.count("x") == 200_000


def test_unclosed_formatting_is_not_copied_into_every_paragraph():
    # html5ever re-opens the 300 <b>s in each of the 20,000 paragraphs: six million elements.
    source = "<p>" + "".join(f'<b title="{i}">' for i in range(300)) + "<p>x" * 20_000
    out = to_html(source, "html")
    # Carrying them over is kept to one re-opened element per tag in the input, plus 10,000.
    assert out.count("<b>") <= 300 + 20_301 + 10_000
    assert out.count("x") == 20_000


def test_unclosed_formatting_in_a_few_paragraphs_still_carries_over():
    assert sanitize_html("<p><i>one<p>two") == "<p><i>one</i></p><p><i>two</i></p>"


def test_html_with_more_tags_than_the_limit_is_refused():
    with pytest.raises(TextFormatError, match=f"more than {HTML_TAGS_MAX:,} HTML tags"):
        to_html("<br>" * (HTML_TAGS_MAX + 1), "html", max_length=None)


def test_sanitize_html_flattens_but_never_refuses():
    out = sanitize_html("<span>" * 50_000 + "deep")
    assert out.endswith("deep" + "</span>" * HTML_DEPTH_MAX)


@pytest.mark.parametrize(
    "source",
    [
        "<table><tr><td>" * 5_000,
        "<td><div>x</td>" * 20_000,
        "<a href=x>y" * 20_000,
        "<li><b>x" * 20_000,
        "<select><p><option><div>" * 20_000,
        "<svg>" + "<source>" * 50_000 + "</svg>",
        "<!--" + "<div>" * 50_000,
        '<a title="' + "<div>" * 50_000,
        "<span " + "a=b " * 100_000 + ">x",
        "<p><b>x<div>y</div>" * 20_000,
    ],
)
def test_hostile_html_converts_to_bounded_html(source):
    out = to_html(source, "html", max_length=None)
    # At most one element per tag in the input, plus as many carried over (with 10,000 more).
    assert out.count("<") <= 2 * (2 * source.count("<") + 10_000)
    assert _depth(out) <= 2 * HTML_DEPTH_MAX


def test_html_result_over_max_length_is_refused():
    with pytest.raises(TextFormatError) as info:
        to_html("<p>" + "x" * 600 + "</p>", "html", max_length=500)
    assert str(info.value) == (
        "This text is too long: as HTML it comes to more than 500 characters. "
        "Split it into shorter chapters."
    )


def test_no_max_length_means_no_length_limit():
    assert len(to_html("x" * (BODY_MAX + 1), "html", max_length=None)) == BODY_MAX + 1
    with pytest.raises(TextFormatError, match="more than 500,000 characters"):
        to_html("x" * (BODY_MAX + 1), "html")


# --- Plain text -----------------------------------------------------------------------------


def test_ten_megabyte_text_upload_is_refused_as_too_long():
    data = b"Lorem ipsum dolor sit amet.\n" * 370_000
    assert len(data) <= FILE_MAX_BYTES
    with pytest.raises(TextFormatError, match=r"^This file is too long: as HTML it comes to"):
        file_to_html("long.txt", data)


def test_five_million_short_lines_are_refused():
    with pytest.raises(TextFormatError, match="too long"):
        file_to_html("lines.txt", b"a\n" * 5_000_000)


def test_text_to_html_honours_max_length():
    assert text_to_html("a" * 20, max_length=27) == "<p>" + "a" * 20 + "</p>"
    with pytest.raises(TextFormatError, match="more than 26 characters"):
        text_to_html("a" * 20, max_length=26)


# --- Markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "[" * 499_000,
        "![" * 249_000,
        "*a" * 249_000,
        "*" * 499_000,
        "_a " * 166_000,
        "`a" * 249_000,
        "~~a" * 166_000,
        "[a](" * 124_000,
        "- a\n" * 124_000,
        "a\n" * 249_000,
        ">" * 499_000,
    ],
    ids=lambda source: repr(source[:4]),
)
def test_markdown_too_dense_to_convert_quickly_is_refused(source):
    with pytest.raises(TextFormatError, match="too much Markdown markup"):
        to_html(source, "markdown")


@pytest.mark.parametrize(
    "source",
    [
        "> " * 30 + "deep\n\nafter",
        "".join("  " * level + "- item\n" for level in range(30)) + "\nafter",
        "- " * 40 + "deep",
        "> - " * 12 + "deep",
    ],
    ids=["quotes", "indented lists", "list markers", "quoted lists"],
)
def test_markdown_nested_too_deeply_is_refused_not_cut_short(source):
    with pytest.raises(TextFormatError, match="nests block quotes or lists too deeply"):
        markdown_to_html(source)


def test_markdown_nesting_within_the_limit_keeps_every_line():
    out = markdown_to_html("> " * 15 + "deep\n\nafter")
    assert out.count("<blockquote>") == 15 and "deep" in out and "<p>after</p>" in out
    out = markdown_to_html("".join("  " * level + "- item\n" for level in range(8)) + "\nafter")
    assert out.count("<ul>") == 8 and "<p>after</p>" in out


def test_markdown_table_padding_is_bounded():
    header = "|a" * 2_000 + "|\n" + "|-" * 2_000 + "|\n"
    with pytest.raises(TextFormatError, match="tables too large"):
        markdown_to_html(header + "|\n" * 200)


def _markdown_story(size: int) -> str:
    """Dialogue-heavy prose: italics on one word in 30, a link or a list now and then."""
    rng = random.Random(7)
    common = ["the", "she", "said", "and", "looked", "well-known", "didn't", "away", "at", "so"]
    rare = ["*really*", "hands", "door", "it's", "again...", "(quietly)", "**No**", "—"]
    words, weights = common + rare, [30] * len(common) + [3, 3, 3, 3, 3, 1, 1, 2]
    paragraphs: list[str] = []
    while sum(map(len, paragraphs)) < size:
        sentences = [
            " ".join(rng.choices(words, weights, k=rng.randint(5, 20))).capitalize()
            for _ in range(rng.randint(1, 5))
        ]
        paragraphs.append(f'"{sentences[0]}!" ' + ". ".join(sentences[1:]) + ".")
        if rng.random() < 0.02:
            paragraphs.append("See [the first part](https://example.com/works/1).")
        if rng.random() < 0.02:
            paragraphs.append("- milk\n- eggs\n- 2. flour")
        if rng.random() < 0.01:
            paragraphs.append("* * *")
    return "\n\n".join(paragraphs)


def test_a_story_the_size_of_the_limit_is_well_within_the_markup_budget():
    story = _markdown_story(BODY_MAX - 50_000)
    weight = sum(story.count(chars) * cost for chars, cost in text._MARKDOWN_COSTS.items())
    assert weight < text._MARKDOWN_BUDGET / 2
    assert markdown_to_html(story, max_length=None).count("<p>") > story.count("\n\n") * 0.9


# --- docx -----------------------------------------------------------------------------------

_W = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_PACKAGE_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="word/document.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""


def _document(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>{body}</w:body></w:document>'


def _docx(document: str, *parts: tuple[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("word/document.xml", document)
        for name, content in parts:
            archive.writestr(name, content)
    return buffer.getvalue()


def _zip_bomb(unpacked: int) -> bytes:
    """A .docx whose document part unpacks to `unpacked` bytes, written in chunks so building
    it takes a second and a few MB."""
    buffer = io.BytesIO()
    run = b"<w:r><w:t>All work and no play makes a dull chapter. </w:t></w:r>" * 16_384
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(_document("<w:p>").encode())
            for _ in range(unpacked // len(run)):
                part.write(run)
            part.write(b"</w:p></w:body></w:document>")
    return buffer.getvalue()


def test_docx_zip_bomb_is_refused_before_it_is_unpacked():
    data = _zip_bomb(200_000_000)
    assert len(data) < 1_000_000
    with pytest.raises(TextFormatError, match=r"^This \.docx unpacks to more than 20 MB"):
        file_to_html("bomb.docx", data)


def test_docx_part_packed_too_tightly_is_refused():
    data = _zip_bomb(5_000_000)
    with pytest.raises(TextFormatError, match="packed over 200 times smaller"):
        docx_to_html(data)


def test_docx_with_too_much_markup_is_refused():
    data = _docx(_document("<w:p/>" * (DOCX_TAGS_MAX + 1)))
    with pytest.raises(TextFormatError, match=f"more than {DOCX_TAGS_MAX:,} XML tags"):
        docx_to_html(data)


def test_docx_with_a_dtd_is_refused():
    laughs = '<!DOCTYPE w:document [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    document = _document("<w:p><w:r><w:t>&b;</w:t></w:r></w:p>").replace("?>", "?>" + laughs, 1)
    with pytest.raises(TextFormatError, match=r"^This file is not a valid \.docx document\.$"):
        docx_to_html(_docx(document))


def test_docx_text_over_the_limit_is_refused_before_mammoth_writes_html():
    data = _docx(_document("<w:p><w:r><w:t>" + "lorem ipsum " * 50_000 + "</w:t></w:r></w:p>"))
    with pytest.raises(TextFormatError, match="more than 500,000 characters"):
        file_to_html("long.docx", data)
    assert len(docx_to_html(data, max_length=None)) > BODY_MAX


_DOCUMENT_RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rIdF" Target="footnotes.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"/>
<Relationship Id="rIdL" TargetMode="External" Target="https://example.com/{path}"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"/>
</Relationships>"""


def test_docx_footnote_referred_to_thousands_of_times_is_refused():
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:footnotes {_W}><w:footnote w:id="1"><w:p>'
        f"<w:r><w:t>{'a long footnote ' * 5_000}</w:t></w:r></w:p></w:footnote></w:footnotes>"
    )
    data = _docx(
        _document('<w:p><w:r><w:footnoteReference w:id="1"/></w:r></w:p>' * 3_000),
        ("word/footnotes.xml", footnotes),
        ("word/_rels/document.xml.rels", _DOCUMENT_RELS.format(path="x")),
    )
    with pytest.raises(TextFormatError, match="too long"):
        docx_to_html(data)


def test_docx_long_link_repeated_is_refused_whatever_the_limit():
    data = _docx(
        _document(
            '<w:p><w:hyperlink r:id="rIdL"><w:r><w:t>x</w:t></w:r></w:hyperlink></w:p>' * 3_000
        ),
        ("word/_rels/document.xml.rels", _DOCUMENT_RELS.format(path="x" * 100_000)),
    )
    with pytest.raises(TextFormatError, match="too long"):
        docx_to_html(data, max_length=None)


def test_docx_with_too_many_files_is_not_a_docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(6_000):
            archive.writestr(f"{i}", b"")
    with pytest.raises(TextFormatError, match=r"not a valid \.docx"):
        docx_to_html(buffer.getvalue())


def test_docx_image_becomes_an_img_without_reading_its_data():
    rels = _DOCUMENT_RELS.replace(
        "</Relationships>",
        '<Relationship Id="rIdI" Target="media/a.png"'
        ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"/>'
        "</Relationships>",
    )
    drawing = (
        '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
        'drawingml/2006/wordprocessingDrawing"><wp:docPr id="1" name="P" descr="A cat"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/'
        'picture"><pic:blipFill><a:blip r:embed="rIdI"/></pic:blipFill></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
    # The media part is not even there: mammoth must not try to open it.
    data = _docx(_document(drawing), ("word/_rels/document.xml.rels", rels.format(path="x")))
    assert file_to_html("cat.docx", data) == '<p><img alt="A cat"></p>'


# --- Files ----------------------------------------------------------------------------------


def test_file_over_the_size_limit_is_refused():
    with pytest.raises(TextFormatError) as info:
        file_to_html("big.txt", b"a" * (FILE_MAX_BYTES + 1))
    assert str(info.value) == "This file is over 10 MB: upload one of 10 MB or less."


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("ch.txt", b"\xef\xbb\xbfHello\n\nBye", ("Hello\n\nBye", "text")),
        ("ch.md", b"*hi*", ("*hi*", "markdown")),
        ("ch.markdown", b"# T", ("# T", "markdown")),
        ("ch.htm", b"<p onclick=x>hi</p>", ("<p onclick=x>hi</p>", "html")),
    ],
)
def test_file_to_source_gives_the_decoded_text_and_its_format(filename, data, expected):
    assert file_to_source(filename, data) == expected


def test_file_to_source_gives_sanitized_html_for_docx():
    source, fmt = file_to_source("ch.docx", make_docx("Hello", "**bold**"))
    assert (source, fmt) == ("<p>Hello</p><p><strong>bold</strong></p>", "html")


def test_file_to_source_honours_a_forced_format():
    assert file_to_source("notes.txt", b"*hi*", fmt="markdown") == ("*hi*", "markdown")


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.txt", b"  \n\n ", r"^This file has no text\.$"),
        ("a.html", b"<script>x</script>", r"^This file has no text\.$"),
        ("a.txt", b"caf\xe9", r"^This file is not UTF-8 text\.$"),
        ("a.pdf", b"%PDF", r"^Unsupported file type '\.pdf'"),
        ("a.txt", b"x" * (FILE_MAX_BYTES + 1), r"^This file is over 10 MB"),
        ("a.txt", b"x" * 101, r"^This file is too long"),
        ("a.docx", b"PK\x03\x04", r"^This file is not a valid \.docx document\.$"),
    ],
)
def test_file_to_source_refuses_what_file_to_html_refuses(filename, data, message):
    with pytest.raises(TextFormatError, match=message):
        file_to_source(filename, data, max_length=100)
    with pytest.raises(TextFormatError, match=message):
        file_to_html(filename, data, max_length=100)


# --- The check that keeps HTML linear for the parser ----------------------------------------
#
# text._plain_shape decides which HTML goes to html5ever as it is; the rest is rebuilt. These
# tests hold it to html5ever's actual behaviour (through nh3), so an upgrade that changes the
# parser shows up here.

_NAMES = [
    "p", "div", "b", "i", "a", "em", "span", "li", "ul", "ol", "dd", "dt", "dl", "table", "tr",
    "td", "th", "tbody", "caption", "colgroup", "col", "h1", "h2", "h3", "h4", "blockquote",
    "center", "pre", "section", "search", "dialog", "font", "nobr", "select", "option",
    "button", "form", "xmp", "textarea", "script", "title", "svg", "math", "template",
    "object", "br", "hr", "img", "body", "rb", "rt", "rp", "ruby", "u", "s", "code", "small",
    "q", "sub", "x-y", "menu", "address", "listing", "summary", "main", "foreignObject", "mi",
    "image", "plaintext", "noscript", "iframe", "input", "optgroup", "marquee", "strong",
    "big", "tt", "article", "fieldset", "label",
]  # fmt: skip
_EXTRAS = ["x", " ", "<!--c-->", "<!-- <div> -->", "</>", "<?y>", "<", "&amp;", "<![CDATA[z]]>"]
_EXTRAS += ['<b title=">">', "<div/>", "</br>", "</p>", "<TD a='>' b=c>", '<a title="']
# Keep every tag and its content so the parse itself can be inspected.
_EVERYTHING = nh3.Cleaner(
    tags=set(_NAMES) | {"thead", "tfoot"},
    clean_content_tags=set(),
    attributes={},
    strip_comments=True,
    link_rel=None,
)
_TAG_SOUP = st.lists(
    st.one_of(
        st.sampled_from(_NAMES).map(lambda name: f"<{name}>"),
        st.sampled_from(_NAMES).map(lambda name: f"</{name}>"),
        st.sampled_from(_EXTRAS),
    ),
    max_size=40,
).map("".join)


def _formatting_and_depth(html: str) -> tuple[int, int]:
    formatting = depth = deepest = 0
    for match in re.finditer(r"<(/?)([a-zA-Z][^\s/>]*)", html):
        name = match.group(2).lower()
        if match.group(1):
            depth -= 1
        else:
            formatting += name in text._FORMATTING
            if name not in text._VOID:
                depth += 1
                deepest = max(deepest, depth)
    return formatting, deepest


@settings(max_examples=400, deadline=None)
@given(_TAG_SOUP)
def test_html_the_check_passes_parses_without_copies_or_extra_depth(soup):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text, "HTML_DEPTH_MAX", 3)
        plain = text._plain_shape(soup)[0]
    if plain:
        formatting, deepest = _formatting_and_depth(_EVERYTHING.clean(soup))
        assert formatting <= _formatting_and_depth(soup)[0]  # nothing re-opened
        assert deepest <= 2 * 3


@settings(max_examples=400, deadline=None)
@given(_TAG_SOUP)
def test_rebuilt_html_passes_the_check(soup):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text, "HTML_DEPTH_MAX", 3)
        assert text._plain_shape(text._rebuild(soup, None, "HTML"))[0]


@pytest.mark.parametrize(
    "soup",
    [
        # html5ever closes the first inner <h2> at the second, so the last </h2> closes the
        # outer one, and the <small> inside it is re-opened later.
        "<h2><small><nav><h2>a<h2>b</h2></h2></nav><s>c</s>",
        # <rb> closes the inner <dd>, so </dd> reaches the outer one past the <b>.
        "<dd><b><dl><ruby><dd><rb>x</rb></dd>y",
    ],
)
def test_html_the_check_once_let_through_is_rebuilt(soup):
    assert not text._plain_shape(soup)[0]
    assert text._plain_shape(text._rebuild(soup, None, "HTML"))[0]


def _as_tokenized(html: str) -> str:
    parts = []
    for kind, start, end, _name in text._tokens(html):
        if kind == "text":
            parts.append(html[start:end].replace("<", "&lt;"))
        elif kind in ("start", "end", "raw"):
            parts.append(html[start:end])
    return "".join(parts)


_TOKEN_PIECES = st.sampled_from(
    ["<", ">", '"', "'", "=", "/", " ", "\n", "!", "-", "?", "a", "b", "div", "x", "title"]
    + ["<!--", "-->", "--!>", "</", "&", "[CDATA[", "<b", "</b", "<div ", '="', "='", "\t"]
    + ["<script>", "</script>", "<textarea>", "</textarea >", "<xmp>", "</XMP>", "<style>"]
)


@settings(max_examples=1_000, deadline=None)
@given(st.lists(_TOKEN_PIECES, max_size=30).map("".join))
def test_tokens_split_where_html5ever_splits(html):
    cleaner = nh3.Cleaner(
        tags={"a", "b", "div", "p", "span"},
        attributes={"*": {"a", "b", "title", "x"}},
        clean_content_tags=set(),
        link_rel=None,
    )
    assert cleaner.clean(_as_tokenized(html)) == cleaner.clean(html)


_START_TAGS = sorted(
    text._CLOSES_P
    | {"span", "b", "a", "font", "ruby", "x-y", "menuitem", "img", "br", "input", "textarea"}
    | {"iframe", "object", "image", "label", "output", "article2", "noscript", "marquee"}
)


@pytest.mark.parametrize("name", _START_TAGS)
def test_html5ever_closes_an_open_p_for_exactly_the_listed_start_tags(name):
    cleaner = nh3.Cleaner(tags={"p", name}, clean_content_tags=set(), attributes={})
    closes = cleaner.clean(f"<p>x<{name}>y").startswith("<p>x</p>")
    assert closes == (name in text._CLOSES_P)


@pytest.mark.parametrize("name", sorted(text._CLOSED_THROUGH - {"p", "li", "dd", "dt"}))
def test_html5ever_closes_the_listed_end_tags_through_an_open_p(name):
    cleaner = nh3.Cleaner(tags={"p", name}, clean_content_tags=set(), attributes={})
    assert cleaner.clean(f"<{name}><p>a</{name}>b") == f"<{name}><p>a</p></{name}>b"
