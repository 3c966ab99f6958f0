"""Where evidence photos are kept (issue 17.3): under the data directory by the SHA-256 of
the uploaded bytes, beside the re-encoded copy that is served and its thumbnail. The
``photo.added`` row holds all three digests, so ``ledger verify`` names a file changed or
swapped afterwards. The original (with its EXIF, GPS included) is never served."""

from __future__ import annotations

import hashlib
from pathlib import Path

from catalog.files import write_once

PARTS = {"original": ".orig", "served": ".jpg", "thumb": ".thumb.jpg"}


def photos_dir(data_dir: Path) -> Path:
    return data_dir / "evidence-photos"


def path_of(data_dir: Path, digest: str, part: str) -> Path:
    return photos_dir(data_dir) / digest[:2] / f"{digest}{PARTS[part]}"


def keep(data_dir: Path, original: bytes, served: bytes, thumb: bytes) -> dict[str, str]:
    """Store the three files; the digests the ledger row holds."""
    digest = hashlib.sha256(original).hexdigest()
    write_once(path_of(data_dir, digest, "original"), original)
    write_once(path_of(data_dir, digest, "served"), served)
    write_once(path_of(data_dir, digest, "thumb"), thumb)
    return {"sha256": digest, "served_sha256": hashlib.sha256(served).hexdigest(),
            "thumb_sha256": hashlib.sha256(thumb).hexdigest()}


def read(data_dir: Path, digest: str, part: str) -> bytes | None:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    try:
        with path_of(data_dir, digest, part).open("rb") as kept:
            return kept.read()
    except FileNotFoundError:
        return None


def check(data_dir: Path, digests: dict[str, str]) -> str | None:
    """None when every file still has its digest, else the part that does not."""
    for part, key in (("original", "sha256"), ("served", "served_sha256"),
                      ("thumb", "thumb_sha256")):
        data = read(data_dir, digests["sha256"], part)
        if data is None or hashlib.sha256(data).hexdigest() != digests.get(key):
            return part
    return None
