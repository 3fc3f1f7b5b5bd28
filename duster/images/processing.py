"""Check that uploaded bytes are really an image of an allowed kind, then write
it again without its metadata.

Writing the picture again (rather than passing the upload through) drops what
a camera or an editor put beside the pixels (EXIF with GPS positions, XMP,
comments, text chunks) and leaves no room for a file that is an image and
something else at once (an image that is also HTML or a script).
"""

import io
import logging
import struct
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from PIL import Image as PILImage
from PIL import ImageFile, ImageOps, ImageSequence

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    pillow_format: str
    extension: str
    content_type: str
    label: str


PNG = Kind("PNG", "png", "image/png", "PNG")
JPEG = Kind("JPEG", "jpg", "image/jpeg", "JPEG")
GIF = Kind("GIF", "gif", "image/gif", "GIF")
WEBP = Kind("WEBP", "webp", "image/webp", "WebP")
KINDS = (PNG, JPEG, GIF, WEBP)
KIND_BY_EXTENSION = {kind.extension: kind for kind in KINDS}
ACCEPT = ",".join(kind.content_type for kind in KINDS)

NOT_AN_IMAGE = (
    "This file is not a PNG, JPEG, GIF or WebP image. Save it as one of those and try again."
)
SVG_REFUSED = (
    "SVG drawings can't be uploaded: they can carry scripts. Save the drawing as PNG and try again."
)
BROKEN = "This {kind} file is damaged or incomplete, so it can't be shown. Save it again and retry."


@dataclass(frozen=True)
class CleanImage:
    kind: Kind
    data: bytes
    width: int
    height: int


def sniff(head: bytes) -> Kind | None:
    """The kind the file's first bytes say it is, whatever its name says."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in text[:1024]


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP file holds a lossless (VP8L) bitstream: it is written
    again losslessly then, so line art and screenshots stay sharp."""
    position = 12
    while position + 8 <= len(data):
        chunk = data[position : position + 4]
        (size,) = struct.unpack("<I", data[position + 4 : position + 8])
        if chunk == b"VP8L":
            return True
        if chunk == b"VP8 ":
            return False
        position += 8 + size + (size & 1)
    return False


def clean_image(data: bytes, *, max_pixels: int) -> CleanImage:
    """The picture in `data`, written again without metadata; a ValidationError
    with a message for the writer when it is not an allowed image."""
    # Pillow's switch for accepting truncated files is process-wide, and
    # WeasyPrint (the PDF downloads) turns it on when imported: a damaged
    # file must be refused here whatever else the process has loaded.
    accepting = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        return _clean_image(data, max_pixels=max_pixels)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = accepting


def _clean_image(data: bytes, *, max_pixels: int) -> CleanImage:
    kind = sniff(data[:16])
    if kind is None:
        raise ValidationError(SVG_REFUSED if _looks_like_svg(data[:4096]) else NOT_AN_IMAGE)
    broken = BROKEN.format(kind=kind.label)
    try:
        with warnings.catch_warnings():
            # Pillow warns about huge images (our own limit, checked below before
            # any pixel is decoded, is lower) and corrupt EXIF (which goes anyway).
            warnings.simplefilter("ignore")
            source = PILImage.open(io.BytesIO(data), formats=[kind.pillow_format])
            width, height = source.size
            frames = getattr(source, "n_frames", 1)
            if width * height * frames > max_pixels:
                megapixels = max_pixels / 1_000_000
                raise ValidationError(
                    f"This image is {width}×{height} pixels"
                    + (f" in {frames} frames" if frames > 1 else "")
                    + f"; at most {megapixels:g} million pixels in all are accepted. "
                    "Make it smaller and try again."
                )
            out = io.BytesIO()
            if frames > 1:
                _save_animation(source, kind, out)
            else:
                _save_still(source, kind, data, out)
    except ValidationError:
        raise
    except PILImage.DecompressionBombError:
        raise ValidationError(
            "This image has far too many pixels to be shown. Make it smaller and try again."
        ) from None
    except Exception:
        # Truncated or corrupt files make Pillow raise many kinds of errors
        # (OSError, SyntaxError, ValueError, struct.error, …): every one is
        # the writer's damaged file, not a fault of the archive.
        logger.info("Refused a damaged %s upload", kind.label, exc_info=True)
        raise ValidationError(broken) from None
    written = out.getvalue()
    check = PILImage.open(io.BytesIO(written))
    return CleanImage(kind=kind, data=written, width=check.width, height=check.height)


# Metadata is left out by passing it empty: Pillow otherwise copies some of
# it (JPEG comments, GIF comments, XMP) from the source image.
_NO_METADATA = {"exif": b"", "xmp": b"", "comment": b""}


def _save_still(source: PILImage.Image, kind: Kind, data: bytes, out: io.BytesIO) -> None:
    source.load()
    options: dict = {}
    if kind is GIF:
        source.save(out, "GIF", comment=b"")
        return
    # The EXIF orientation goes with the rest of the metadata: turn the pixels first.
    upright = source.getexif().get(0x0112, 1) in (None, 0, 1)
    image = source if upright else ImageOps.exif_transpose(source)
    if source.info.get("icc_profile"):
        options["icc_profile"] = source.info["icc_profile"]  # colours, not metadata
    if kind is JPEG:
        # Unturned, a JPEG keeps its own quantization: no visible loss from the rewrite.
        quality = {"quality": "keep", "subsampling": "keep"} if upright else {"quality": 90}
        options.update(_NO_METADATA, **quality)
    elif kind is WEBP:
        options.update(exif=b"", xmp=b"", lossless=_webp_is_lossless(data), quality=90)
    else:  # PNG
        options["exif"] = b""
    image.save(out, kind.pillow_format, **options)


def _save_animation(source: PILImage.Image, kind: Kind, out: io.BytesIO) -> None:
    for frame in ImageSequence.Iterator(source):
        frame.load()  # decode every frame now: a damaged one fails here
    source.seek(0)
    options: dict = {"save_all": True}
    if kind is GIF:
        options["comment"] = b""
    elif kind is WEBP:
        options.update(exif=b"", xmp=b"", quality=90)
    else:  # animated PNG
        options["exif"] = b""
    source.save(out, kind.pillow_format, **options)
