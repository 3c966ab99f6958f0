"""Documents (PDF, Office) are catalogued as items; their first bytes must match their type."""

from __future__ import annotations

import os

from media.paths import AnyPath, reading

# Legacy Office files are OLE2 compound files; the new ones are ZIP packages, except
# password-protected ones, which Office wraps in an OLE2 container.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"

DOCUMENT_SIGNATURES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("PDF", (b"%PDF-",)),
    ".doc": ("Word", (OLE2,)),
    ".docx": ("Word", (ZIP, OLE2)),
    ".ppt": ("PowerPoint", (OLE2,)),
    ".pptx": ("PowerPoint", (ZIP, OLE2)),
    ".xls": ("Excel", (OLE2,)),
    ".xlsx": ("Excel", (ZIP, OLE2)),
    ".wps": ("WPS", (OLE2,)),
}


def document_format(path: AnyPath, fd: int | None = None) -> tuple[str, bool]:
    """(format name, whether the header matches); the extension of ``path`` names what it
    should be. The file read is ``fd`` when given, else ``path`` opened without links."""
    ext = os.path.splitext(os.fsdecode(os.fspath(path)))[1].lower()
    with reading(path if fd is None else fd) as opened:
        return document_head_matches(ext, os.pread(opened, 1024, 0))


def document_head_matches(ext: str, head: bytes) -> tuple[str, bool]:
    """The same check on a document's first KiB (a file inside a disc image)."""
    name, signatures = DOCUMENT_SIGNATURES[ext]
    # Some PDF writers put a few bytes of junk before the header; readers accept 1 KiB.
    ok = any(head.startswith(sig) or (sig == b"%PDF-" and sig in head) for sig in signatures)
    return name, ok
