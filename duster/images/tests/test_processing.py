"""What an upload must be to become an image, and what is left of it after."""

import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from PIL import ImageFile
from PIL.GifImagePlugin import GifImageFile
from PIL.JpegImagePlugin import JpegImageFile

from duster.images.processing import GIF, JPEG, PNG, WEBP, clean_image, sniff
from duster.images.tests.helpers import (
    SECRET,
    SVG,
    gif_bytes,
    jpeg_bytes,
    opened,
    png_bytes,
    webp_bytes,
)

LIMIT = 40_000_000


def message(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png_bytes(), PNG),
        (jpeg_bytes(), JPEG),
        (gif_bytes(frames=1), GIF),
        (gif_bytes(frames=3), GIF),
        (webp_bytes(), WEBP),
    ],
    ids=["png", "jpeg", "gif", "animated-gif", "webp"],
)
def test_each_allowed_kind_is_kept_as_itself_without_its_metadata(data, kind):
    assert SECRET.encode() in data
    clean = clean_image(data, max_pixels=LIMIT)
    assert clean.kind is kind
    assert SECRET.encode() not in clean.data
    assert b"CameraMaker" not in clean.data
    image = opened(clean.data)
    assert image.format == kind.pillow_format
    assert (clean.width, clean.height) == image.size
    assert not image.getexif()


def test_png_keeps_its_transparency():
    clean = clean_image(png_bytes(), max_pixels=LIMIT)
    image = opened(clean.data)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (200, 30, 30, 128)


def test_photo_taken_sideways_is_turned_upright_before_its_exif_goes():
    # Orientation 6: the camera was turned; viewers rotate the 64×48 pixels to 48×64.
    clean = clean_image(jpeg_bytes((64, 48), orientation=6), max_pixels=LIMIT)
    assert (clean.width, clean.height) == (48, 64)
    assert not opened(clean.data).getexif()


def test_upright_jpeg_keeps_its_size_and_quality():
    data = jpeg_bytes((64, 48), metadata=False)
    clean = clean_image(data, max_pixels=LIMIT)
    assert (clean.width, clean.height) == (64, 48)
    before, after = opened(data), opened(clean.data)
    assert isinstance(before, JpegImageFile) and isinstance(after, JpegImageFile)
    assert after.quantization == before.quantization


def test_animated_gif_keeps_its_frames_and_loses_its_comment():
    clean = clean_image(gif_bytes(frames=3), max_pixels=LIMIT)
    image = opened(clean.data)
    assert isinstance(image, GifImageFile)
    assert image.n_frames == 3
    assert SECRET.encode() not in clean.data


def test_lossless_webp_stays_lossless():
    clean = clean_image(webp_bytes(lossless=True), max_pixels=LIMIT)
    assert b"VP8L" in clean.data[:64]


def test_text_file_named_png_is_refused():
    with pytest.raises(ValidationError) as error:
        clean_image(b"Just some words, saved as picture.png\n" * 10, max_pixels=LIMIT)
    assert "not a PNG, JPEG, GIF or WebP image" in message(error)


def test_svg_is_refused_with_its_own_reason():
    with pytest.raises(ValidationError) as error:
        clean_image(SVG, max_pixels=LIMIT)
    assert "SVG drawings can't be uploaded" in message(error)


def test_png_header_on_garbage_is_refused_as_damaged():
    with pytest.raises(ValidationError) as error:
        clean_image(b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 20, max_pixels=LIMIT)
    assert "damaged or incomplete" in message(error)


def test_truncated_jpeg_is_refused_as_damaged():
    data = jpeg_bytes((400, 300), metadata=False)
    with pytest.raises(ValidationError) as error:
        clean_image(data[: len(data) // 2], max_pixels=LIMIT)
    assert "damaged or incomplete" in message(error)


def test_truncated_files_are_refused_even_after_the_pdf_writer_loaded(monkeypatch):
    """WeasyPrint turns Pillow's process-wide "load truncated images" on."""
    import duster.downloads.pdf  # noqa: F401

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = jpeg_bytes((400, 300), metadata=False)
    with pytest.raises(ValidationError) as error:
        clean_image(data[: len(data) // 2], max_pixels=LIMIT)
    assert "damaged or incomplete" in message(error)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as it was found


def test_html_hidden_after_the_picture_does_not_survive():
    polyglot = png_bytes(metadata=False) + b"<html><script>alert(document.cookie)</script>"
    clean = clean_image(polyglot, max_pixels=LIMIT)
    assert b"<script>" not in clean.data


def test_image_with_too_many_pixels_is_refused_before_decoding():
    # A small file that would unpack to 100 million pixels.
    out = io.BytesIO()
    PILImage.new("1", (10_000, 10_000)).save(out, "PNG")
    with pytest.raises(ValidationError) as error:
        clean_image(out.getvalue(), max_pixels=LIMIT)
    assert "10000×10000 pixels" in message(error)
    assert "at most 40 million pixels" in message(error)


def test_frames_count_towards_the_pixel_limit():
    with pytest.raises(ValidationError) as error:
        clean_image(gif_bytes((100, 100), frames=5), max_pixels=40_000)
    assert "in 5 frames" in message(error)


def test_kind_comes_from_the_bytes_not_the_name():
    assert sniff(jpeg_bytes()[:16]) is JPEG
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") is WEBP
    assert sniff(b"RIFF\x00\x00\x00\x00AVI LIST") is None
    assert sniff(b"BM") is None


VALID = [png_bytes(), jpeg_bytes(), gif_bytes(), webp_bytes(lossless=True)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    original=st.sampled_from(VALID),
    changes=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(1, 10_000),
)
def test_damaged_images_give_a_message_never_an_error(original, changes, cut):
    data = bytearray(original[:cut])
    for position, value in changes:
        if position < len(data):
            data[position] = value
    try:
        clean = clean_image(bytes(data), max_pixels=LIMIT)
    except ValidationError as error:
        assert error.messages
    else:
        assert SECRET.encode() not in clean.data
