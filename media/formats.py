"""Which files are media, documents or disc images, by extension (the probe decides
what they really hold)."""

from __future__ import annotations

import os

MEDIA_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mov", ".3gp", ".3g2", ".mkv", ".webm", ".avi", ".divx", ".flv",
    ".f4v", ".wmv", ".asf", ".rm", ".rmvb", ".mpg", ".mpeg", ".mpe", ".m1v", ".m2v",
    ".vob", ".ts", ".m2ts", ".mts", ".tp", ".ogv", ".dv",
    ".mp3", ".m4a", ".aac", ".wma", ".wav", ".ogg", ".oga", ".opus", ".flac", ".ra",
    ".amr", ".ape", ".mka", ".mp2",
})
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx",
                                 ".wps"})
DISC_EXTENSIONS = frozenset({".iso", ".img", ".cue"})
# Copied VCDs keep their tracks as MPEGAV/AVSEQnn.DAT (SVCD: MPEG2/AVSEQnn.MPG).
VCD_TRACK_FOLDERS = frozenset({"mpegav", "mpeg2"})


def extension(name: bytes | str) -> str:
    text = os.fsdecode(name) if isinstance(name, bytes) else name
    return os.path.splitext(text)[1].lower()


def category_of(name: bytes, parent: bytes = b"") -> str | None:
    """media, document, disc, or None for files the catalog ignores (sidecars, pictures)."""
    ext = extension(name)
    if ext in MEDIA_EXTENSIONS:
        return "media"
    if ext in DOCUMENT_EXTENSIONS:
        return "document"
    if ext in DISC_EXTENSIONS:
        return "disc"
    folder = os.fsdecode(os.path.basename(parent)).lower()
    if ext == ".dat" and folder in VCD_TRACK_FOLDERS:
        return "media"
    return None
