"""Content fingerprints that recognize a moved or renamed file without reading all of it."""

from __future__ import annotations

import hashlib
import os

from media.paths import AnyPath, OutsideRoot, list_names, open_member, open_resolved, reading

CHUNK = 1024 * 1024


def fingerprint_file(target: int | AnyPath, size: int | None = None) -> str:
    """SHA-256 over the size and the first and last MiB (DESIGN.md: library scanning).

    Two courseware files that agree on size, head and tail are the same recording for
    every practical purpose, and hashing 2 MiB keeps rescans of large DVDs cheap.
    """
    digest = hashlib.sha256()
    with reading(target) as fd, open(fd, "rb", closefd=False) as f:
        f.seek(0)
        if size is None:
            size = os.fstat(f.fileno()).st_size
        digest.update(str(size).encode())
        digest.update(f.read(CHUNK))
        if size > CHUNK:
            f.seek(max(CHUNK, size - CHUNK))
            digest.update(f.read(CHUNK))
    return digest.hexdigest()


def fingerprint_disc(path: bytes, size: int) -> str:
    """An image's fingerprint is its file's; a VIDEO_TS folder's is that of its IFO files,
    which describe every title and sector, plus the folder's total size."""
    if not os.path.isdir(path):
        return fingerprint_file(path, size)
    digest = hashlib.sha256(str(size).encode())
    folder = open_resolved(path, directory=True)
    try:
        for name in sorted(list_names(folder)):
            if name.upper().endswith(b".IFO"):
                try:
                    fd = open_member(folder, name)
                except OutsideRoot:
                    continue  # a link is not read; reading the disc reports it
                digest.update(name.upper())
                with open(fd, "rb") as f:
                    digest.update(f.read(CHUNK))
    finally:
        os.close(folder)
    return digest.hexdigest()
