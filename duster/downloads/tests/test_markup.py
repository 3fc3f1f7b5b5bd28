"""Stored HTML made fit for a book: what `markup.book_markup` mends, keeps
and drops, for XHTML (EPUB) and HTML (the single-file download)."""

import pytest
from lxml import etree

from duster.downloads.images import BookImages
from duster.downloads.markup import book_markup, xml_text
from duster.images.tests.helpers import png_bytes
from duster.lib.text import sanitize_html

REMOTE = "https://pictures.example.net/moon.png"


@pytest.fixture(autouse=True)
def outside_images(monkeypatch):
    pictures = {REMOTE: png_bytes((10, 10))}
    monkeypatch.setattr("duster.downloads.images.fetch_remote", pictures.get)


def xhtml(html: str, images: BookImages | None = None) -> str:
    return book_markup(
        sanitize_html(html), images or BookImages(), lambda image: image.name, xhtml=True
    )


def parsed(markup: str) -> etree._Element:
    """The XHTML as XML: it must be well-formed."""
    return etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{markup}</div>')


def test_list_nested_without_an_item_goes_into_the_item_before_it():
    assert xhtml("<ul><li>a</li><ul><li>b</li></ul><li>c</li></ul>") == (
        "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"
    )


def test_list_that_starts_with_a_nested_list_gets_an_item_for_it():
    assert xhtml("<ol><ol><li>x</li></ol></ol>") == "<ol><li><ol><li>x</li></ol></li></ol>"


def test_loose_text_in_a_list_becomes_part_of_an_item():
    out = xhtml("<ul>before<li>item</li>after</ul>")
    assert out == "<ul><li>before</li><li>itemafter</li></ul>"


def test_stray_items_get_a_list_of_their_own():
    out = xhtml("<p>x</p><li>one</li><li>two</li> then text")
    assert out == "<p>x</p><ul><li>one</li><li>two</li></ul> then text"


def test_malformed_definition_list_becomes_classed_blocks_and_a_good_one_stays():
    assert xhtml("<dl><dt>T</dt><dd>D</dd></dl>") == "<dl><dt>T</dt><dd>D</dd></dl>"
    assert xhtml("<dl><dd>D</dd></dl>") == '<div class="dl"><div class="dd">D</div></div>'


def test_inline_element_holding_blocks_becomes_a_block_that_keeps_its_look():
    out = xhtml("<span>a <div>b</div></span><em><ul><li>c</li></ul></em>")
    assert out == (
        '<div class="span">a <div>b</div></div><div class="em"><ul><li>c</li></ul></div>'
    )


def test_link_holding_a_block_keeps_its_link_and_its_paragraph_becomes_a_block():
    # The sanitizer already splits this; markup from elsewhere may not be.
    out = book_markup(
        "<p><a href='https://example.com/'><div>x</div></a></p>",
        BookImages(),
        lambda image: image.name,
        xhtml=True,
    )
    root = parsed(out)
    assert root[0].tag.endswith("div") and root[0].get("class") == "p"
    assert 'href="https://example.com/"' in out


def test_table_parts_are_put_in_order():
    out = xhtml(
        "<table><tr><td>row</td></tr><caption>cap</caption><thead><tr><th>h</th></tr></thead>"
        "</table>"
    )
    assert out.index("<caption>") < out.index("<thead>") < out.index("<tbody>")


def test_obsolete_markup_becomes_html5():
    out = xhtml(
        '<center>c</center><p align="right">r</p><p><big>b</big><strike>s</strike></p>'
        '<table><tr><td align="center" colspan="0">x</td></tr></table>'
    )
    assert '<div style="text-align:center">c</div>' in out
    assert '<p style="text-align:right">r</p>' in out
    assert '<span class="big">b</span><s>s</s>' in out
    assert '<td style="text-align:center">x</td>' in out


def test_bad_lang_and_dir_values_are_dropped_and_good_ones_kept():
    out = xhtml("<p lang='english'>a</p><p lang='fr-CA' dir='RTL'>b</p><p dir='up'>c</p>")
    assert out == '<p>a</p><p lang="fr-CA" dir="rtl">b</p><p>c</p>'


def test_links_become_absolute_and_valid_or_lose_their_address(settings):
    settings.SITE_URL = "https://archive.example/"
    out = xhtml(
        "<a href='/works/3'>w</a><a href='#note'>n</a><a href='https://e.com/a b'>s</a>"
        "<a href='http://bad host/'>h</a><a href='https://bücher.example/ä'>i</a>"
    )
    assert '<a href="https://archive.example/works/3" rel="nofollow ugc">w</a>' in out
    assert "<a>n</a>" in out and "<a>h</a>" in out
    assert 'href="https://e.com/a%20b"' in out
    assert 'href="https://xn--bcher-kva.example/%C3%A4"' in out


def test_control_characters_and_non_characters_are_dropped():
    assert xml_text("a\x01b\x0bc\x7fd\x85e\ufffef\ufdd0g\ud800h\U0001f600") == "abcdefgh\U0001f600"
    parsed(xhtml("<p>a\x01b&#1;c\x0cd</p>"))


def test_pictures_are_embedded_or_become_their_alt_text_and_a_link():
    images = BookImages()
    out = xhtml(f'<img src="{REMOTE}"/><img src="https://gone.example/x.png" alt="Gone"/>', images)
    (image,) = images.all()
    assert f'<img src="{image.name}" alt=""/>' in out
    assert '<a href="https://gone.example/x.png" class="missing-image">[Image: Gone]</a>' in out


def test_html_output_is_html():
    out = book_markup(
        sanitize_html("<p>a<br>b</p><ul><ul><li>x</li></ul></ul><p></p>"),
        BookImages(),
        lambda image: image.data_url(),
        xhtml=False,
    )
    assert out == "<p>a<br>b</p><ul><li><ul><li>x</li></ul></li></ul><p></p>"


def test_duplicate_ids_are_kept_once():
    out = book_markup(
        '<section id="a"><p id="a">x</p><p id="b c">y</p></section>',
        BookImages(),
        lambda image: image.name,
        xhtml=True,
    )
    assert out == '<section id="a"><p>x</p><p>y</p></section>'


def test_text_and_blocks_loose_in_a_table_go_before_it():
    out = book_markup(
        "<table>loose<p>para</p><tr><td>x</td></tr>tail</table>",
        BookImages(),
        lambda image: image.name,
        xhtml=True,
    )
    assert out == "loose<p>para</p>tail<table><tr><td>x</td></tr></table>"
