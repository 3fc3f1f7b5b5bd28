"""Real image files for tests, made with Pillow, some with metadata to strip."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from PIL import PngImagePlugin

SECRET = "51.5007N-0.1246W-secret"  # what metadata could give away: where a photo was taken


def _exif(**tags) -> PILImage.Exif:
    exif = PILImage.Exif()
    exif[0x010F] = "CameraMaker " + SECRET  # Make
    for tag, value in tags.items():
        exif[int(tag.removeprefix("t"))] = value
    return exif


def png_bytes(size=(40, 30), *, mode="RGBA", metadata=True) -> bytes:
    image = PILImage.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30))
    out = io.BytesIO()
    options = {}
    if metadata:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", SECRET)
        options = {"pnginfo": info, "exif": _exif()}
    image.save(out, "PNG", **options)
    return out.getvalue()


def jpeg_bytes(size=(64, 48), *, orientation: int | None = None, metadata=True) -> bytes:
    image = PILImage.new("RGB", size, (30, 120, 200))
    out = io.BytesIO()
    options = {}
    if metadata:
        exif = _exif(**({"t274": orientation} if orientation else {}))
        options = {"exif": exif, "comment": SECRET.encode(), "xmp": f"<x>{SECRET}</x>".encode()}
    image.save(out, "JPEG", quality=85, **options)
    return out.getvalue()


def gif_bytes(size=(20, 20), *, frames=3) -> bytes:
    images = [PILImage.new("RGB", size, (i * 80 % 256, 40, 90)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out,
        "GIF",
        save_all=frames > 1,
        append_images=images[1:],
        duration=120,
        loop=0,
        comment=SECRET.encode(),
    )
    return out.getvalue()


def webp_bytes(size=(32, 32), *, lossless=False) -> bytes:
    image = PILImage.new("RGB", size, (10, 160, 60))
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=lossless, exif=_exif(), xmp=f"<x>{SECRET}</x>".encode())
    return out.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


def upload(data: bytes, name: str = "picture.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def opened(data: bytes) -> PILImage.Image:
    return PILImage.open(io.BytesIO(data))
