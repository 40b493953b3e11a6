import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.conftest import image_bytes
from tweets.images import ImageRejected, process_image


def upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS info
    return exif.tobytes()


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "GIF", "WEBP"])
def test_allowed_formats_are_reencoded_with_a_thumbnail(image_format):
    processed = process_image(upload(image_bytes(image_format, size=(1200, 900))))
    with Image.open(io.BytesIO(processed.image.read())) as image:
        assert image.format == image_format
        assert image.size == (1200, 900)
    with Image.open(io.BytesIO(processed.thumbnail.read())) as thumbnail:
        assert max(thumbnail.size) == 640


def test_metadata_is_stripped():
    original = image_bytes("JPEG", exif=exif_with_gps())
    assert b"SecretCameraMaker" in original
    processed = process_image(upload(original)).image.read()
    assert b"SecretCameraMaker" not in processed
    with Image.open(io.BytesIO(processed)) as image:
        assert not image.getexif()


def test_text_file_named_jpg_is_not_an_image():
    with pytest.raises(ImageRejected, match="not an image") as error:
        process_image(upload(b"just some text, honestly\n" * 10))
    assert error.value.reason == "not_an_image"


def test_truncated_image_is_corrupt():
    data = image_bytes("PNG", size=(400, 400))
    with pytest.raises(ImageRejected, match="damaged or truncated") as error:
        process_image(upload(data[: len(data) // 2], "photo.png"))
    assert error.value.reason == "corrupt"


def test_image_over_the_byte_limit_is_rejected(settings):
    settings.IMAGE_MAX_BYTES = 1000
    with pytest.raises(ImageRejected, match="limit is") as error:
        process_image(upload(image_bytes("PNG", size=(300, 300)) + b"\0" * 1000))
    assert error.value.reason == "too_large"


@pytest.mark.parametrize("side", [5000, 30000], ids=["25-megapixels", "900-megapixels"])
def test_decompression_bomb_is_rejected_before_decoding(side):
    # A tiny PNG whose header claims side×side pixels: over our 20 MP limit, or over Pillow's own.
    png = bytearray(image_bytes("PNG", size=(1, 1)))
    png[16:24] = struct.pack(">II", side, side)
    png[29:33] = struct.pack(">I", zlib.crc32(png[12:29]))
    with pytest.raises(ImageRejected, match="pixels") as error:
        process_image(upload(bytes(png), "bomb.png"))
    assert error.value.reason == "too_many_pixels"


def test_format_outside_the_allow_list_is_rejected():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")
    with pytest.raises(ImageRejected, match="BMP images are not accepted") as error:
        process_image(upload(buffer.getvalue(), "x.bmp"))
    assert error.value.reason == "unsupported_format"
