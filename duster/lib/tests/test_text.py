import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duster.lib.text import (
    FORMATS,
    TextFormatError,
    docx_to_html,
    file_to_html,
    format_for_filename,
    markdown_to_html,
    sanitize_html,
    text_to_html,
    to_html,
    word_count,
)
from duster.testing.files import make_docx

# --- Sanitizer: XSS corpus ------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    '<img src="x" onerror="alert(1)" alt="a">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<img """><script>alert(1)</script>">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="  javascript:alert(1)">click</a>',
    '<a href="javascript&#58;alert(1)">click</a>',
    '<a href="javascript&colon;alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="java\nscript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "<math><mi><p>hi</p></mi></math>",
    '<form action="javascript:alert(1)"><input type=submit><button>go</button></form>',
    "<input onfocus=alert(1) autofocus>",
    "<style>@import 'http://evil.example/x.css';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<span style="text-align:url(javascript:alert(1))">x</span>',
    '<div style="width: expression(alert(1))">x</div>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<body onload=alert(1)>text</body>",
    "<p onmouseover='alert(1)'>hover</p>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<!--<script>alert(1)</script>-->",
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<textarea><script>alert(1)</script></textarea>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "<template><script>alert(1)</script></template>",
    '<a href="http://ok.example" onclick="alert(1)" target="_blank" rel="opener">ok</a>',
]


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _tags(markup: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = _TagCollector()
    collector.feed(markup)
    collector.close()
    return collector.tags


FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "form", "style", "svg", "math", "meta"}


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_is_neutralised(payload):
    out = sanitize_html(payload)
    assert "<script" not in out.lower()
    assert "javascript:" not in out.lower()
    assert "vbscript:" not in out.lower()
    assert "data:" not in out.lower()
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", out, re.I)
    for tag, attrs in _tags(out):
        assert tag not in FORBIDDEN_TAGS | {"link", "base", "input", "button", "body"}
        for name, _value in attrs:
            assert not name.startswith("on")
    for name in FORBIDDEN_TAGS:
        assert f"<{name}" not in out.lower()


def test_xss_corpus_has_at_least_thirty_payloads():
    assert len(XSS_PAYLOADS) >= 30


# --- Sanitizer: harmless formatting survives ------------------------------------------------

HARMLESS = [
    ("<p>Hello</p>", "<p>Hello</p>"),
    ("<p><em>a</em> <i>b</i> <strong>c</strong> <b>d</b></p>", None),
    ("<u>under</u> <s>struck</s> <del>gone</del> <ins>new</ins>", None),
    ("<h1>One</h1><h2>Two</h2><h6>Six</h6>", None),
    ("<ul><li>a</li><li>b</li></ul>", None),
    ('<ol start="3" type="i"><li>c</li></ol>', None),
    ("<dl><dt>term</dt><dd>def</dd></dl>", None),
    ("<blockquote><p>quoted</p></blockquote>", None),
    ("H<sub>2</sub>O x<sup>2</sup> <small>tiny</small>", None),
    ('<abbr title="as far as I know">AFAIK</abbr>', None),
    ("<pre><code>x = 1</code></pre>", None),
    ("<hr>", "<hr>"),
    ("<p>line<br>break</p>", "<p>line<br>break</p>"),
    ('<p dir="rtl" lang="he">שלום</p>', None),
    ('<p align="center">centred</p>', None),
    ("<center>old school</center>", None),
    (
        '<a href="https://example.com/x?a=1&amp;b=2" title="t">link</a>',
        '<a href="https://example.com/x?a=1&amp;b=2" title="t" rel="nofollow ugc">link</a>',
    ),
    (
        '<a href="mailto:me@example.com">mail</a>',
        '<a href="mailto:me@example.com" rel="nofollow ugc">mail</a>',
    ),
    (
        '<a href="/works/1#ch2">relative</a>',
        '<a href="/works/1#ch2" rel="nofollow ugc">relative</a>',
    ),
    (
        '<img src="https://example.com/a.png" alt="A cat" width="100" height="50">',
        '<img src="https://example.com/a.png" alt="A cat" width="100" height="50">',
    ),
    (
        '<table><caption>c</caption><thead><tr><th colspan="2">h</th></tr></thead>'
        '<tbody><tr><td align="right">1</td><td rowspan="1">2</td></tr></tbody></table>',
        None,
    ),
    ('<p style="text-align: center">mid</p>', '<p style="text-align:center">mid</p>'),
    (
        '<p style="color: red; text-align: right; font-size: 40px">r</p>',
        '<p style="text-align:right">r</p>',
    ),
    ('<p style="color: red">plain</p>', "<p>plain</p>"),
    ('<span class="x" id="y">s</span>', "<span>s</span>"),
    (
        '<a href="http://x.example" rel="opener" target="_blank">t</a>',
        '<a href="http://x.example" rel="nofollow ugc">t</a>',
    ),
]


@pytest.mark.parametrize(("markup", "expected"), HARMLESS)
def test_harmless_formatting_survives(markup, expected):
    assert sanitize_html(markup) == (markup if expected is None else expected)


def test_links_get_nofollow_ugc_even_without_href():
    assert sanitize_html("<a>x</a>") == '<a rel="nofollow ugc">x</a>'


def test_img_with_javascript_src_loses_src_but_keeps_alt():
    assert sanitize_html('<img src="javascript:alert(1)" alt="pic">') == '<img alt="pic">'


def test_invalid_attribute_values_are_dropped():
    out = sanitize_html('<p align="evil" dir="sideways" lang="x y">t</p><ol type="q" start="a">')
    assert out == "<p>t</p><ol></ol>"


# --- Idempotence (hypothesis) ---------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<em>", "<a href='http://x'>", "</a>",
        "<table>", "<tr>", "<td>", "</table>", "<li>", "<ul>", "</ul>", "<svg>", "<desc>",
        "<math>", "<mi>", "<script>", "</script>", "<!--", "-->", "<br>", "<hr>", "<pre>",
        "<h1>", "</h1>", "<blockquote>", "<form>", "<select>", "<option>", "<textarea>",
        "<noscript>", "<template>", "<xmp>", "<plaintext>", "<img src=x>", "&amp;", "&", "<",
        ">", '"', "'", "\n", " ", "\r\n", "text", "<p style='text-align:left;color:red'>",
    ]
)  # fmt: skip
_HTMLISH = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=5)), max_size=25).map("".join)


def test_sanitize_html_is_stable_where_a_single_nh3_pass_is_not():
    # One nh3 pass moves the table out of the second <dd> and leaves "<dd><dd>...", which
    # re-parses differently.
    once = sanitize_html("<b><dd><table><dd><h1>")
    assert once == "<b><dd></dd><dd><h1></h1></dd><table></table></b>"
    assert sanitize_html(once) == once


def test_sanitize_html_is_stable_after_stripping_select():
    once = sanitize_html("<p><select><select><select><p>")
    assert once == "<p></p><p></p>"
    assert sanitize_html(once) == once


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _HTMLISH))
def test_sanitize_html_is_idempotent(markup):
    once = sanitize_html(markup)
    assert sanitize_html(once) == once


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=" \n\r*~-oOx0Xa.<>&#=")))
def test_text_to_html_never_raises_and_is_already_sanitized(text):
    out = text_to_html(text)
    assert sanitize_html(out) == out


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_markdown_to_html_is_already_sanitized(text):
    out = markdown_to_html(text)
    assert sanitize_html(out) == out


# --- Plain text -----------------------------------------------------------------------------


def test_blank_lines_separate_paragraphs():
    assert text_to_html("One.\n\nTwo.") == "<p>One.</p>\n<p>Two.</p>"


def test_whitespace_only_line_separates_paragraphs():
    assert text_to_html("One.\n  \t \nTwo.") == "<p>One.</p>\n<p>Two.</p>"


def test_single_newline_becomes_br():
    assert text_to_html("Roses\nare red") == "<p>Roses<br>are red</p>"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_newlines_are_normalised(newline):
    text = newline.join(["a", "b", "", "c"])
    assert text_to_html(text) == "<p>a<br>b</p>\n<p>c</p>"


def test_text_is_html_escaped():
    assert text_to_html('<script>alert("x")</script> & co') == (
        '<p>&lt;script&gt;alert("x")&lt;/script&gt; &amp; co</p>'
    )


def test_empty_text_gives_empty_html():
    assert text_to_html("") == ""
    assert text_to_html("\n \n\n") == ""


SCENE_BREAKS = [
    "~~~~~", "***", "* * *", "---", "###", "oOo", "xXx", "o0o", "-x-", "+++", "===", "* ~ *",
    "~*~", "<><><>", "OoO", "XxX", "~o~", "-oOo-", "___", "...", "•••", "· · ·", "///",
    "   ***   ", "o O o", "*x*", "~ X ~", "-0-",
]  # fmt: skip


@pytest.mark.parametrize("mark", SCENE_BREAKS)
def test_scene_break_line_becomes_hr(mark):
    assert text_to_html(f"Before.\n{mark}\nAfter.") == "<p>Before.</p>\n<hr>\n<p>After.</p>"


NOT_SCENE_BREAKS = [
    "Oh.", "ooh", "xx", "OK", "--", "Ooo", "xxx", "xoxo", "oo", "OOO", "No.", "...and then",
    "*sigh*", "-- Anna", "~Fin~", "<3", "Xx", "x-x", "o", "2000", "-xx-", "~xoxo~", "o~",
]  # fmt: skip


@pytest.mark.parametrize("line", NOT_SCENE_BREAKS)
def test_ordinary_line_is_not_a_scene_break(line):
    out = text_to_html(f"Before.\n{line}\nAfter.")
    assert "<hr>" not in out
    assert out.startswith("<p>Before.<br>") and out.endswith("<br>After.</p>")


def test_scene_break_alone_is_just_hr():
    assert text_to_html("* * *") == "<hr>"


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_emphasis():
    assert markdown_to_html("*soft* and **loud** and ~~gone~~") == (
        "<p><em>soft</em> and <strong>loud</strong> and <s>gone</s></p>"
    )


def test_markdown_list():
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in markdown_to_html("- one\n- two")


def test_markdown_table():
    out = markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in out and "<th>a</th>" in out and "<td>2</td>" in out


def test_markdown_raw_script_is_removed():
    out = markdown_to_html("Hi\n\n<script>alert(1)</script>\n\n<b onclick=x>bold</b>")
    assert "script" not in out and "alert" not in out and "onclick" not in out
    assert "<b>bold</b>" in out


def test_markdown_javascript_link_is_defanged():
    out = markdown_to_html("[x](javascript:alert(1)) [y](https://example.com)")
    # markdown-it refuses the link and leaves it as harmless text.
    assert 'href="javascript' not in out.lower()
    assert out.count("<a ") == 1
    assert '<a href="https://example.com" rel="nofollow ugc">y</a>' in out


# --- docx -----------------------------------------------------------------------------------

_DOCUMENT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body>
<w:p><w:r><w:t>First paragraph.</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Second, </w:t></w:r>
<w:r><w:rPr><w:b/></w:rPr><w:t>bold</w:t></w:r></w:p>
</w:body>
</w:document>"""


def _make_docx(document: str = _DOCUMENT) -> bytes:
    return make_docx(document=document)


def test_docx_paragraphs_and_bold_are_converted():
    assert docx_to_html(_make_docx()) == (
        "<p>First paragraph.</p><p>Second, <strong>bold</strong></p>"
    )


@pytest.mark.parametrize(
    "data",
    [b"not a zip", b"", b"PK\x03\x04garbage", "zip-without-document", "broken-xml"],
)
def test_corrupt_docx_raises_text_format_error(data):
    if data == "zip-without-document":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")
        data = buffer.getvalue()
    elif data == "broken-xml":
        data = _make_docx("<w:document><unclosed>")
    with pytest.raises(TextFormatError, match=r"^This file is not a valid \.docx document\.$"):
        docx_to_html(data)


# --- Dispatch -------------------------------------------------------------------------------


def test_formats_are_the_typed_in_formats():
    assert FORMATS == ("html", "markdown", "text")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("html", "<p><em>x</em> y</p>"),
        ("markdown", "<p><em>x</em> y</p>"),
        ("text", "<p>*x* y</p>"),
    ],
)
def test_to_html_dispatches_on_format(fmt, expected):
    source = "<p><em>x</em> y</p>" if fmt == "html" else "*x* y"
    assert to_html(source, fmt) == expected


def test_to_html_rejects_unknown_format():
    with pytest.raises(TextFormatError, match="Unknown text format 'docx'"):
        to_html("x", "docx")


@pytest.mark.parametrize(
    ("filename", "fmt"),
    [
        ("a.html", "html"), ("a.HTM", "html"), ("a.md", "markdown"), ("A.Markdown", "markdown"),
        ("a.txt", "text"), ("a.TEXT", "text"), ("story.final.docx", "docx"),
        ("C:\\Users\\me\\ch1.txt", "text"),
    ],
)  # fmt: skip
def test_format_for_filename_maps_extensions(filename, fmt):
    assert format_for_filename(filename) == fmt


def test_format_for_filename_rejects_unsupported_type():
    with pytest.raises(TextFormatError) as info:
        format_for_filename("story.PDF")
    assert str(info.value) == "Unsupported file type '.pdf': upload .txt, .md, .html or .docx."


def test_format_for_filename_rejects_missing_extension():
    with pytest.raises(TextFormatError, match="no extension"):
        format_for_filename("README")


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("ch.txt", b"Hello\n\n***\n\nBye", "<p>Hello</p>\n<hr>\n<p>Bye</p>"),
        ("ch.text", b"\xef\xbb\xbfBOM gone", "<p>BOM gone</p>"),
        ("ch.md", b"*hi*", "<p><em>hi</em></p>"),
        ("ch.markdown", b"# T", "<h1>T</h1>"),
        ("ch.html", b"<p onclick=x>hi</p>", "<p>hi</p>"),
        ("ch.htm", "<p>caf\u00e9</p>".encode(), "<p>caf\u00e9</p>"),
    ],
)
def test_file_to_html_converts_each_extension(filename, data, expected):
    assert file_to_html(filename, data) == expected


def test_file_to_html_converts_docx():
    assert "<strong>bold</strong>" in file_to_html("ch.docx", _make_docx())


def test_file_to_html_forced_format_overrides_extension():
    assert file_to_html("notes.txt", b"*hi*", fmt="markdown") == "<p><em>hi</em></p>"
    assert file_to_html("upload.bin", _make_docx(), fmt="docx").startswith("<p>First")


def test_file_to_html_rejects_unsupported_extension():
    with pytest.raises(TextFormatError, match=r"Unsupported file type '\.pdf'"):
        file_to_html("story.pdf", b"%PDF-1.4")


def test_file_to_html_rejects_unknown_format():
    with pytest.raises(TextFormatError) as info:
        file_to_html("a.txt", b"x", fmt="xyz")
    assert str(info.value) == "Unknown text format 'xyz': use auto, text, markdown, html or docx."


@pytest.mark.parametrize("data", [b"\xff\xfeh\x00i\x00", b"caf\xe9", b"\x80\x81"])
def test_file_to_html_rejects_non_utf8_bytes(data):
    with pytest.raises(TextFormatError, match=r"^This file is not UTF-8 text\.$"):
        file_to_html("a.txt", data)


@pytest.mark.parametrize(
    ("filename", "data"),
    [("a.txt", b""), ("a.txt", b"  \n\n "), ("a.html", b"<!-- nothing --><p></p>"),
     ("a.html", b"<script>x</script>"), ("a.md", b"***")],
)  # fmt: skip
def test_file_to_html_rejects_files_without_text(filename, data):
    with pytest.raises(TextFormatError, match=r"^This file has no text\.$"):
        file_to_html(filename, data)


def test_file_with_only_an_image_is_not_empty():
    assert file_to_html("a.html", b'<img src="https://x.example/a.png" alt="">').startswith("<img")


# --- Word count -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "count"),
    [
        ("", 0),
        ("<p>The quick brown fox.</p>", 4),
        ("<p>It's a well-known fact, isn't it?</p>", 6),
        ("hello世界", 3),
        ("地图不是领土 — I had", 8),
        ("<p>これはペンです。</p>", 7),
        ("<p>「你好」，世界！</p>", 4),
        ("<p>안녕하세요</p>", 5),
        ("<p>Wait — what ... * ?</p>", 2),
        ("<p>one</p><p>two</p>", 2),
        ("<b>un</b>usual", 1),
        ("<em>in</em><strong>line</strong>", 1),
        ("one<br>two<hr>three", 3),
        ("<ul><li>a</li><li>b</li></ul>", 2),
        ("<table><tr><td>x</td><td>y</td></tr></table>", 2),
        ("<h1>Title</h1><div>body</div><blockquote>quote</blockquote>", 3),
        ("one&nbsp;two", 2),
        ("fish &amp; chips", 2),
        ("caf&eacute; &mdash; bar", 2),
        ("&amp;nbsp;", 1),
        ("Chapter 12", 2),
        ("snake_case _ __ -- ٣ é…", 3),  # an underscore alone is no letter; Arabic digits are
        ("a\u3000b\u2028c\x1cd", 4),  # every kind of Unicode space splits
    ],
)
def test_word_count(markup, count):
    assert word_count(markup) == count
