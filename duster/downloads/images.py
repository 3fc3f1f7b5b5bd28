"""The pictures a work's text shows, fetched once per build so every format
can embed them: a download never points at the network.

- The archive's own images (`/images/<name>.<ext>`, relative or on one of
  its own hosts) are read from storage.
- `data:` images are decoded.
- Outside images (http and https) are fetched at build time, at most
  DOWNLOAD_IMAGE_BYTES each, within DOWNLOAD_IMAGE_TIMEOUT seconds, at most
  DOWNLOAD_IMAGES_FETCHED per build, and never from a private, loopback or
  link-local address (the server must not become a way to read the
  archive's own network).

Every picture, whatever its origin, passes `duster.images.processing
.clean_image` (a PNG, JPEG, GIF or WebP within the pixel limit, metadata
dropped). One that cannot be had returns None: the writers then put its alt
text and a link in its place.
"""

import base64
import binascii
import hashlib
import ipaddress
import logging
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from duster.images.processing import clean_image

logger = logging.getLogger(__name__)

_OWN_PATH = re.compile(r"^/images/([A-Za-z0-9_-]{16,40})\.(png|jpg|gif|webp)$")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


@dataclass(frozen=True)
class BookImage:
    name: str  # a file name for inside a book: "images/<digest>.<ext>"
    media_type: str
    data: bytes
    width: int
    height: int

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


class BookImages:
    """One build's images: `get(src)` fetches each address once."""

    def __init__(self) -> None:
        self._found: dict[str, BookImage | None] = {}
        self._fetched = 0

    def get(self, src: str) -> BookImage | None:
        src = _TAB_OR_NEWLINE.sub("", src.strip())
        if src not in self._found:
            self._found[src] = self._load(src)
        return self._found[src]

    def all(self) -> list[BookImage]:
        """Every image found, each once (two addresses of one picture share it)."""
        unique = {image.name: image for image in self._found.values() if image is not None}
        return list(unique.values())

    def _load(self, src: str) -> BookImage | None:
        raw = _read(src, self)
        if raw is None:
            return None
        try:
            clean = clean_image(raw, max_pixels=settings.IMAGE_MAX_PIXELS)
        except ValidationError:
            logger.info("Download: image %.200s is not a usable picture", src)
            return None
        digest = hashlib.blake2b(clean.data, digest_size=12).hexdigest()
        return BookImage(
            name=f"images/{digest}.{clean.kind.extension}",
            media_type=clean.kind.content_type,
            data=clean.data,
            width=clean.width,
            height=clean.height,
        )

    def may_fetch(self) -> bool:
        if self._fetched >= settings.DOWNLOAD_IMAGES_FETCHED:
            return False
        self._fetched += 1
        return True


def _read(src: str, images: BookImages) -> bytes | None:
    if src[:5].lower() == "data:":
        return _data_url(src)
    try:
        parts = urlsplit(src)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme and not parts.netloc:
        return _own_image(parts.path)
    if scheme not in ("http", "https", "") or not parts.hostname:
        return None
    if parts.hostname.lower() in own_hosts():
        return _own_image(parts.path)
    if not settings.DOWNLOAD_IMAGE_FETCH or not images.may_fetch():
        return None
    return fetch_remote(src if scheme else f"https:{src}")


def own_hosts() -> frozenset[str]:
    """This archive's host names: SITE_URL's and ALLOWED_HOSTS' (no patterns)."""
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and "*" not in h)
    return frozenset(host.lower() for host in hosts if host)


def _own_image(path: str) -> bytes | None:
    from duster.images.models import Image

    match = _OWN_PATH.match(path)
    if match is None:
        return None
    image = Image.objects.filter(name=match.group(1), extension=match.group(2)).first()
    if image is None:
        return None
    try:
        with image.file.open("rb") as stored:
            return stored.read()
    except OSError:
        logger.warning("Download: image %s is missing from storage", image.filename)
        return None


def _data_url(src: str) -> bytes | None:
    header, _, payload = src[5:].partition(",")
    if not header.lower().startswith("image/"):
        return None
    try:
        if header.lower().endswith(";base64"):
            return base64.b64decode(payload, validate=False)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None


# --- Outside images --------------------------------------------------------------------------


def _public(host: str) -> bool:
    """Whether every address `host` resolves to is on the public internet."""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return False
    return bool(addresses)


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 3

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        parts = urlsplit(newurl)
        if parts.scheme not in ("http", "https") or not _public(parts.hostname or ""):
            raise urllib.error.HTTPError(newurl, code, "redirect refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_remote(url: str) -> bytes | None:
    """The bytes at an outside http(s) address, or None: not public, too
    slow, too big, or any network error. Tests replace this function."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not _public(parts.hostname or ""):
        return None
    limit = settings.DOWNLOAD_IMAGE_BYTES
    opener = urllib.request.build_opener(_CheckedRedirects())
    # Only http(s) gets here (checked above), so no file: or custom scheme is opened.
    request = urllib.request.Request(url, headers={"User-Agent": "Duster e-book builder"})  # noqa: S310
    try:
        with opener.open(request, timeout=settings.DOWNLOAD_IMAGE_TIMEOUT) as response:
            data = response.read(limit + 1)
    except (OSError, ValueError, urllib.error.URLError):
        logger.info("Download: outside image %.200s could not be fetched", url)
        return None
    if len(data) > limit:
        return None
    return data
