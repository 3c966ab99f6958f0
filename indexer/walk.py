"""Walk a library root: the files worth cataloguing, and the paths that are a problem.

Paths are bytes from start to end, so GBK names are opened exactly as they are on disk.
A symlink is followed only when its target stays inside the root; one that leaves the
root is reported and never opened (a link to /etc/passwd named 课件.mp4 is not read).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MEDIA_EXTENSIONS = frozenset({
    ".mp4", ".m4v", ".mov", ".3gp", ".3g2", ".mkv", ".webm", ".avi", ".divx", ".flv",
    ".f4v", ".wmv", ".asf", ".rm", ".rmvb", ".mpg", ".mpeg", ".mpe", ".m1v", ".m2v",
    ".vob", ".ts", ".m2ts", ".mts", ".tp", ".ogv", ".dv",
    ".mp3", ".m4a", ".aac", ".wma", ".wav", ".ogg", ".oga", ".opus", ".flac", ".ra",
    ".amr", ".ape", ".mka", ".mp2",
})
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx",
                                 ".wps"})


@dataclass(frozen=True)
class FoundFile:
    rel_raw: bytes
    abs_raw: bytes
    size: int
    mtime_ns: int
    category: str  # media | document


@dataclass(frozen=True)
class FoundProblem:
    rel_raw: bytes
    reason: str  # a catalog.messages key
    detail: dict[str, Any] = field(default_factory=dict)


def category_of(name: bytes) -> str | None:
    ext = os.path.splitext(name)[1].decode("ascii", errors="replace").lower()
    if ext in MEDIA_EXTENSIONS:
        return "media"
    if ext in DOCUMENT_EXTENSIONS:
        return "document"
    return None


def _inside(path: bytes, root: bytes) -> bool:
    return path == root or path.startswith(root.rstrip(b"/") + b"/")


def walk_root(root: bytes) -> Iterator[FoundFile | FoundProblem]:
    """Every catalogue-worthy file under root, in a stable order, with problems inline."""
    real_root = os.path.realpath(root)
    stack: list[bytes] = [real_root]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield FoundProblem(os.path.relpath(directory, real_root), "scan_unreadable",
                               {"detail": exc.strerror or str(exc)})
            continue
        subdirs: list[bytes] = []
        for entry in entries:
            if entry.name.startswith(b"."):
                continue
            found = _visit(entry, real_root, subdirs)
            if found is not None:
                yield found
        stack.extend(reversed(subdirs))


def _visit(entry: os.DirEntry[bytes], root: bytes, subdirs: list[bytes]) -> (
        FoundFile | FoundProblem | None):
    rel = os.path.relpath(entry.path, root)
    try:
        if entry.is_symlink():
            return _visit_link(entry, rel, root)
        if entry.is_dir(follow_symlinks=False):
            subdirs.append(entry.path)
            return None
        category = category_of(entry.name)
        if category is None or not entry.is_file(follow_symlinks=False):
            return None
        st = entry.stat(follow_symlinks=False)
    except OSError as exc:
        return FoundProblem(rel, "scan_unreadable", {"detail": exc.strerror or str(exc)})
    return FoundFile(rel, entry.path, st.st_size, st.st_mtime_ns, category)


def _visit_link(entry: os.DirEntry[bytes], rel: bytes, root: bytes) -> (
        FoundFile | FoundProblem | None):
    category = category_of(entry.name)
    target = os.path.realpath(entry.path)
    shown = os.fsdecode(target)
    if not _inside(target, root):
        # Directory links leaving the root are reported too: they would pull in
        # whatever the link points at.
        return FoundProblem(rel, "scan_symlink_outside", {"target": shown})
    if category is None:
        return None  # links to folders inside the root would list files twice
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return FoundProblem(rel, "scan_broken_symlink", {"target": shown})
    if not stat.S_ISREG(st.st_mode):
        return None
    return FoundFile(rel, target, st.st_size, st.st_mtime_ns, category)
