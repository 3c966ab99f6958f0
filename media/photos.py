"""Evidence photos (issue 17.3): a phone's or a station PC's JPEG, PNG or HEIC, decoded,
its EXIF time read, and re-encoded as a JPEG without any metadata (no EXIF, no GPS, no
embedded thumbnail, no XMP) for serving, with a small thumbnail. The original bytes are
kept apart by the caller; only what this module makes is ever served."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 15 << 20
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is refused, not decoded
SERVED_EDGE = 2048
THUMB_EDGE = 320
DATETIME_ORIGINAL, DATETIME, EXIF_IFD = 0x9003, 0x0132, 0x8769
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}


class PhotoRefused(ValueError):
    """Not a photo this server takes: ``reason`` is a message key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Photo:
    content_type: str  # of the original
    served: bytes  # JPEG, no metadata, at most SERVED_EDGE on its long side
    thumb: bytes  # JPEG, no metadata, at most THUMB_EDGE
    width: int
    height: int
    taken_at: datetime | None  # the EXIF time, in the station's zone (EXIF has none)


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # HEIC is then refused as unreadable
        return
    register_heif_opener()


def _taken_at(image: Image.Image, zone: ZoneInfo) -> datetime | None:
    exif = image.getexif()
    raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S").replace(
            tzinfo=zone)
    except ValueError:
        return None


def _jpeg(image: Image.Image, edge: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((edge, edge))
    out = io.BytesIO()
    # A new image from the pixels alone: nothing of the original's metadata travels.
    clean = Image.new("RGB", copy.size)
    clean.paste(copy.convert("RGB"))
    clean.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def clean_photo(data: bytes, zone: ZoneInfo) -> Photo:
    if len(data) > MAX_BYTES:
        raise PhotoRefused("photo_too_large")
    _register_heif()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = FORMATS.get(image.format or "")
            if kind is None:
                raise PhotoRefused("photo_bad_type")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused("photo_too_large")
            taken = _taken_at(image, zone)
            upright = ImageOps.exif_transpose(image)  # the picture as the phone showed it
            upright.load()
    except PhotoRefused:
        raise
    except Image.DecompressionBombError:
        raise PhotoRefused("photo_too_large") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PhotoRefused("photo_bad_type") from None
    return Photo(kind, _jpeg(upright, SERVED_EDGE, 85), _jpeg(upright, THUMB_EDGE, 75),
                 upright.width, upright.height, taken)
