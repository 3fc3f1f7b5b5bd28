"""Outside images in stored work text, shown as links instead of broken pictures.

The CSP keeps a reader's browser from loading images from hosts the admin has
not allowed; left at that, the reader sees a broken image and no reason.
`external_images_as_links` turns each such <img> into a line of text naming
the image ("Image: <alt> (outside image, not loaded)"), a link to it that the
reader may follow or not.

It runs on HTML that `duster.lib.text.sanitize_html` already cleaned (quoted
attributes, `<` and `>` escaped inside them), in one regular-expression pass
that is linear in the text's length.
"""

import re
from collections.abc import Iterable
from html import escape, unescape
from urllib.parse import urlsplit

from django.conf import settings

from duster.images.hosts import host_allowed
from duster.images.policy import allowed_image_hosts

_NAME = r"[^\s\"'>/=<]+"
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+)"
# Possessive: no backtracking, so a tag that never closes costs one pass, not a search.
_ATTRIBUTES = rf"((?:\s++{_NAME}(?:\s*+=\s*+{_VALUE})?+)*+)\s*+/?>"
# A link opening or closing (an image inside a link can't become a link), or an image.
_TAGS = re.compile(rf"<(a|img)\b{_ATTRIBUTES}|</a\s*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rf"\s+({_NAME})(?:\s*=\s*({_VALUE}))?")
_HAS_IMAGE = re.compile(r"<img\b", re.IGNORECASE)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# What a browser strips from a URL before reading it (the URL standard).
_EDGES = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")

KEEP = "keep"


def external_images_as_links(html: str, *, allowed_hosts: Iterable[str] | None = None) -> str:
    """`html` with every <img> whose src is on an outside host that is not
    allowed (the admin's list by default) replaced by a text link."""
    if not _HAS_IMAGE.search(html):
        return html
    hosts = tuple(allowed_image_hosts() if allowed_hosts is None else allowed_hosts)
    own_hosts = _own_hosts()
    depth = 0

    def replace(match: re.Match) -> str:
        nonlocal depth
        tag = match.group(1)
        if tag is None:  # </a>
            depth = max(depth - 1, 0)
            return match.group(0)
        if tag.lower() == "a":
            depth += 1
            return match.group(0)
        attributes = _attributes(match.group(2))
        src = attributes.get("src")
        if src is None:
            return match.group(0)
        verdict = image_source(src, allowed_hosts=hosts, own_hosts=own_hosts)
        if verdict == KEEP:
            return match.group(0)
        return _as_text(src, verdict, attributes.get("alt", ""), inside_link=depth > 0)

    return _TAGS.sub(replace, html)


def image_source(src: str, *, allowed_hosts: Iterable[str], own_hosts: Iterable[str] = ()) -> str:
    """KEEP when a browser would load `src` from this archive, an allowed host
    or a data: URL; else the outside host it names ("" when none can be read).
    Anything unclear counts as outside: it then shows as a link, never as a
    request to a server nobody allowed."""
    url = _TAB_OR_NEWLINE.sub("", src.strip(_EDGES))
    if not url:
        return KEEP
    scheme_match = _SCHEME.match(url)
    if scheme_match is None:
        if url[:2] in ("//", "\\\\", "/\\", "\\/"):
            url = "https:" + url  # scheme-relative: the page's scheme, https on a real site
        else:
            return KEEP  # a path on this archive
    scheme = (scheme_match.group(1) if scheme_match else "https").lower()
    if scheme == "data":
        return KEEP
    if scheme not in ("http", "https"):
        return ""
    # Special URLs take any run of slashes and backslashes before the host.
    rest = url.split(":", 1)[1].lstrip("/\\").replace("\\", "/")
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
        port = parts.port
    except (ValueError, UnicodeError):
        return ""
    if not host:
        return ""
    if host in own_hosts:
        return KEEP
    # The CSP lists allowed hosts as https://host: other schemes or ports don't match.
    if scheme == "https" and port in (None, 443) and host_allowed(host, allowed_hosts):
        return KEEP
    return host


def _own_hosts() -> frozenset[str]:
    """This archive's own host names, from ALLOWED_HOSTS (patterns left out)."""
    return frozenset(
        host.lower()
        for host in settings.ALLOWED_HOSTS
        if host and not host.startswith(".") and "*" not in host
    )


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found.setdefault(name, unescape(value))
    return found


def _as_text(src: str, host: str, alt: str, *, inside_link: bool) -> str:
    alt = " ".join(alt.split())
    if alt:
        text = f"Image: {alt} (outside image, not loaded)"
    elif host:
        text = f"Image (outside image from {host}, not loaded)"
    else:
        text = "Image (outside image, not loaded)"
    text = escape(text, quote=False)
    link = src.strip(_EDGES)
    if inside_link or not link.lower().startswith(("https:", "http:", "//")):
        return f'<span class="outside-image">{text}</span>'
    return (
        f'<a class="outside-image" href="{escape(link)}" rel="nofollow ugc noopener noreferrer">'
        f"{text}</a>"
    )
