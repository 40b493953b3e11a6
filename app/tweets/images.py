"""Upload validation for tweet images: decode with Pillow, enforce limits, re-encode without metadata."""

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
# The file inputs' accept attribute: the browser offers what the pipeline takes.
ACCEPT = ",".join(f"image/{name.lower()}" for name in ALLOWED_FORMATS)
THUMBNAIL_SIZE = (640, 640)

# Reasons are a fixed set: they label the rejection metric, so never build one from input.
REASON_TOO_LARGE = "too_large"
REASON_NOT_AN_IMAGE = "not_an_image"
REASON_UNSUPPORTED_FORMAT = "unsupported_format"
REASON_TOO_MANY_PIXELS = "too_many_pixels"
REASON_CORRUPT = "corrupt"
REJECTION_REASONS = (
    REASON_TOO_LARGE,
    REASON_NOT_AN_IMAGE,
    REASON_UNSUPPORTED_FORMAT,
    REASON_TOO_MANY_PIXELS,
    REASON_CORRUPT,
)


class ImageRejected(ValidationError):
    def __init__(self, message: str, reason: str):
        super().__init__(message, code=reason)
        self.reason = reason


@dataclass(frozen=True)
class ProcessedImage:
    image: "ContentFile[bytes]"
    thumbnail: "ContentFile[bytes]"


def process_image(upload: UploadedFile) -> ProcessedImage:
    """Validate an uploaded file and return a re-encoded image and thumbnail, metadata stripped."""
    max_bytes = settings.IMAGE_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ImageRejected(
            f"The image is {upload.size / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.1f} MB.",
            REASON_TOO_LARGE,
        )
    try:
        upload.seek(0)
        # Opening reads only the header, so a decompression bomb is caught before any pixel is decoded.
        with Image.open(upload) as probe:
            width, height = probe.size
            image_format = _check_format_and_size(probe.format, width, height)
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as error:
        raise ImageRejected("The image has far too many pixels.", REASON_TOO_MANY_PIXELS) from error
    except UnidentifiedImageError as error:
        raise ImageRejected(
            "The file is not an image we can read (JPEG, PNG, GIF or WebP).", REASON_NOT_AN_IMAGE
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected("The image is damaged or truncated.", REASON_CORRUPT) from error

    name = uuid.uuid4().hex
    extension = ALLOWED_FORMATS[image_format]
    thumbnail = image.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return ProcessedImage(
        image=ContentFile(_encode(image, image_format), name=f"{name}.{extension}"),
        thumbnail=ContentFile(_encode(thumbnail, image_format), name=f"{name}.{extension}"),
    )


def _check_format_and_size(image_format: str | None, width: int, height: int) -> str:
    """The image's format, if it is allowed and the image is small enough."""
    if image_format is None or image_format not in ALLOWED_FORMATS:
        raise ImageRejected(
            f"{image_format or 'This'} images are not accepted; use JPEG, PNG, GIF or WebP.",
            REASON_UNSUPPORTED_FORMAT,
        )
    max_pixels = settings.IMAGE_MAX_PIXELS
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image is {width}×{height} pixels; the limit is {max_pixels / 1e6:g} megapixels.",
            REASON_TOO_MANY_PIXELS,
        )
    return image_format


def _encode(image: Image.Image, image_format: str) -> bytes:
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    # Saving without exif=/pnginfo= drops EXIF, GPS and text chunks; only pixels survive.
    image.save(buffer, format=image_format, **({"quality": 85} if image_format in ("JPEG", "WEBP") else {}))
    return buffer.getvalue()
