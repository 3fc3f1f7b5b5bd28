"""Outside images in stored text turn into links, so readers see what is missing."""

import pytest

from duster.images.rendering import external_images_as_links
from duster.lib.text import sanitize_html

ALLOWED = ("i.imgur.com", "*.example.org")


def links(html: str, allowed=ALLOWED) -> str:
    return external_images_as_links(sanitize_html(html), allowed_hosts=allowed)


def test_text_without_images_comes_back_unchanged():
    html = "<p>No pictures here, only a &lt;img&gt; in words.</p>"
    assert external_images_as_links(html, allowed_hosts=()) == html


@pytest.mark.parametrize(
    "src",
    [
        "/images/AbCdEfGhIjKlMnOpQrStUv.png",
        "images/x.png",
        "https://i.imgur.com/cat.png",
        "https://I.IMGUR.com:443/cat.png",
        "https://cdn.example.org/cat.png",
        "https://testserver/images/x.png",  # this archive's own host
    ],
)
def test_images_from_the_archive_or_allowed_hosts_stay(src):
    html = sanitize_html(f'<p><img src="{src}" alt="a cat"></p>')
    assert external_images_as_links(html, allowed_hosts=ALLOWED) == html


def test_image_from_an_outside_host_becomes_a_link_named_by_its_alt():
    html = links(
        '<p>Look: <img src="https://tracker.example.net/pixel.gif?reader=1&amp;w=2" alt="A map"></p>'
    )
    assert html == (
        '<p>Look: <a class="outside-image" href="https://tracker.example.net/pixel.gif?reader=1&amp;w=2" '
        'rel="nofollow ugc noopener noreferrer">Image: A map (outside image, not loaded)</a></p>'
    )


def test_image_without_alt_is_named_by_its_host():
    html = links('<img src="https://tracker.example.net/p.gif">')
    assert ">Image (outside image from tracker.example.net, not loaded)</a>" in html


def test_alt_text_stays_escaped():
    html = links(
        '<img src="https://evil.example.net/p.gif" alt="&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;">'
    )
    assert "<script>" not in html
    assert (
        'Image: &lt;script&gt;alert(1)&lt;/script&gt; &amp; "q" (outside image, not loaded)' in html
    )


@pytest.mark.parametrize(
    "src",
    [
        "http://i.imgur.com/cat.png",  # the CSP allows https only
        "https://i.imgur.com:8443/cat.png",  # nor other ports
        "//tracker.example.net/p.gif",
        "https:////tracker.example.net/p.gif",
        "https://user:pw@tracker.example.net/p.gif",
        "https://example.org/p.gif",  # *.example.org is not example.org
        "https://i.imgur.com.evil.net/p.gif",
        " https://tracker.example.net/p.gif",
        "HTTPS://TRACKER.example.net/p.gif",
        "https://пример.рф/p.gif",
    ],
)
def test_tricky_outside_addresses_are_caught(src):
    html = links(f'<img src="{src}" alt="x">')
    assert "<img" not in html
    assert "Image: x (outside image, not loaded)" in html


def test_backslashed_host_is_caught_without_a_link():
    html = external_images_as_links(
        '<img src="\\\\tracker.example.net\\p.gif" alt="x">', allowed_hosts=()
    )
    assert html == '<span class="outside-image">Image: x (outside image, not loaded)</span>'


def test_image_inside_a_link_becomes_text_so_links_do_not_nest():
    html = links(
        '<a href="https://example.net/">See <img src="https://tracker.example.net/p.gif" alt="it"></a> <img src="https://t.example.net/q.gif" alt="two">'
    )
    assert html.count("<a ") == 2
    assert '<span class="outside-image">Image: it (outside image, not loaded)</span></a>' in html
    assert '<a class="outside-image" href="https://t.example.net/q.gif"' in html


def test_every_image_is_judged_on_its_own():
    html = links(
        '<img src="https://i.imgur.com/a.png" alt="kept"><img src="https://x.example.net/b.png" alt="gone"><img src="/images/c.png" alt="ours">'
    )
    assert '<img src="https://i.imgur.com/a.png" alt="kept">' in html
    assert "Image: gone (outside image, not loaded)" in html
    assert '<img src="/images/c.png" alt="ours">' in html


def test_with_no_hosts_allowed_every_outside_image_becomes_a_link():
    html = links('<img src="https://i.imgur.com/a.png" alt="a">', allowed=())
    assert "Image: a (outside image, not loaded)" in html


def test_unsanitized_looking_markup_is_still_read_right():
    html = external_images_as_links(
        "<IMG SRC='https://t.example.net/p.gif' ALT=x />", allowed_hosts=()
    )
    assert html == (
        '<a class="outside-image" href="https://t.example.net/p.gif" '
        'rel="nofollow ugc noopener noreferrer">Image: x (outside image, not loaded)</a>'
    )


@pytest.mark.parametrize(
    "html",
    [
        "<img " * 100_000,
        "<img" + " a" * 200_000,
        '<img src="' + "x" * 300_000,
        "<a " * 100_000 + "<img src=https://t.example.net/>",
        ("<p>" + "word " * 50 + '<img src="https://t.example.net/p.gif" alt="x"></p>') * 5_000,
    ],
    ids=["many-open-tags", "endless-attributes", "unclosed-quote", "many-links", "long-chapter"],
)
def test_pathological_input_finishes(html):
    external_images_as_links(html, allowed_hosts=ALLOWED)


def test_default_hosts_come_from_the_admin_setting(db):
    from duster.images.services import image_hosts_set

    html = '<img src="https://i.imgur.com/a.png" alt="a">'
    assert "<img" not in external_images_as_links(html)
    image_hosts_set(hosts="i.imgur.com")
    assert external_images_as_links(html) == html
