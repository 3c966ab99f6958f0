"""Photos and scans of paper sign-in sheets (issue 16.2): kept under the data directory by
their SHA-256, which goes into the ledger (an ``attendance.sheet`` row), so a sheet cannot
be swapped afterwards without ``ledger verify``'s digest no longer matching the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from catalog.errors import BadRequest, TooLarge
from catalog.files import write_once

MAX_BYTES = 10 << 20
KINDS = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
         b"%PDF-": ("application/pdf", "pdf")}


def sheet_kind(data: bytes) -> tuple[str, str]:
    """(content type, extension) from the bytes themselves, never from the name."""
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    raise BadRequest("sheet_bad_type")


def sheets_dir(data_dir: Path) -> Path:
    return data_dir / "attendance-sheets"


def keep(data_dir: Path, data: bytes) -> tuple[str, str, Path]:
    """Store the sheet (once per content); (sha256, content type, path)."""
    if len(data) > MAX_BYTES:
        raise TooLarge("body_too_large", limit_mb=MAX_BYTES >> 20)
    if not data:
        raise BadRequest("sheet_bad_type")
    content_type, extension = sheet_kind(data)
    digest = hashlib.sha256(data).hexdigest()
    path = sheets_dir(data_dir) / digest[:2] / f"{digest}.{extension}"
    write_once(path, data)
    return digest, content_type, path


def matches(data_dir: Path, digest: str) -> bool | None:
    """Whether the kept sheet still has its digest (None: no such file)."""
    folder = sheets_dir(data_dir) / digest[:2]
    found = sorted(folder.glob(f"{digest}.*")) if folder.is_dir() else []
    if not found:
        return None
    sha = hashlib.sha256()
    with found[0].open("rb") as kept:
        for block in iter(lambda: kept.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest() == digest
