"""File names from old Windows discs and downloads: GBK bytes, site tags, track numbers."""

from __future__ import annotations

import re
import unicodedata

from catalog.library.encoding import decode_name, decode_text

__all__ = ["clean_title", "decode_name", "decode_text"]

_SITE_TAG = re.compile(
    r"[\[【(（]\s*(?:www\.|https?://)?[\w-]+(?:\.[\w-]+)*\.(?:com|cn|net|org|gov)(?:\.cn)?\s*[\]】)）]",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_TRACK_NUMBER = re.compile(r"^\d{1,3}(?:[\s._\-、]+)(?=\D)")
_SEPARATORS = re.compile(r"[_\s]+")


def clean_title(stem: str) -> str:
    """A title from a file name: drop site tags, URLs and leading track numbers; turn
    underscores into spaces; fold full-width letters and digits (NFKC)."""
    title = unicodedata.normalize("NFKC", stem)
    title = _SITE_TAG.sub(" ", title)
    title = _URL.sub(" ", title)
    title = _TRACK_NUMBER.sub("", title.strip())
    title = _SEPARATORS.sub(" ", title).strip(" -.")
    return title or stem.strip()
