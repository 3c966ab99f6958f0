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

from media.formats import category_of


@dataclass(frozen=True)
class FoundFile:
    rel_raw: bytes
    abs_raw: bytes
    size: int
    mtime_ns: int
    category: str  # media | document | disc


@dataclass(frozen=True)
class FoundProblem:
    rel_raw: bytes
    reason: str  # a catalog.messages key
    detail: dict[str, Any] = field(default_factory=dict)


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
            if is_video_ts(entry.path):
                return video_ts_folder(entry.path, rel)
            subdirs.append(entry.path)
            return None
        category = category_of(entry.name, os.path.dirname(entry.path))
        if category is None or not entry.is_file(follow_symlinks=False):
            return None
        st = entry.stat(follow_symlinks=False)
        size, mtime = st.st_size, st.st_mtime_ns
        if entry.name.lower().endswith(b".cue"):
            size, mtime = _with_bins(entry.path, size, mtime)
    except OSError as exc:
        return FoundProblem(rel, "scan_unreadable", {"detail": exc.strerror or str(exc)})
    return FoundFile(rel, entry.path, size, mtime, category)


def _with_bins(cue: bytes, size: int, mtime: int) -> tuple[int, int]:
    """A VCD is its .cue and its .bin: a re-copied .bin must make the disc look changed."""
    stem = os.path.splitext(os.path.basename(cue))[0].lower()
    folder = os.path.dirname(cue)
    for name in os.listdir(folder):
        if name.lower() == stem + b".bin":
            st = os.stat(os.path.join(folder, name))
            size, mtime = size + st.st_size, max(mtime, st.st_mtime_ns)
    return size, mtime


def is_video_ts(path: bytes) -> bool:
    """A copied DVD: a VIDEO_TS folder (any case) holding IFO files."""
    if os.path.basename(path).upper() != b"VIDEO_TS":
        return False
    try:
        return any(name.upper().endswith(b".IFO") for name in os.listdir(path))
    except OSError:
        return False


def video_ts_folder(path: bytes, rel: bytes) -> FoundFile | FoundProblem:
    """The folder as one disc: its size is its files' total, its mtime the newest one's,
    so any change inside makes the disc look changed."""
    size, mtime = 0, 0
    try:
        with os.scandir(path) as it:
            for child in it:
                if child.is_file(follow_symlinks=False):
                    st = child.stat(follow_symlinks=False)
                    size, mtime = size + st.st_size, max(mtime, st.st_mtime_ns)
    except OSError as exc:
        return FoundProblem(rel, "scan_unreadable", {"detail": exc.strerror or str(exc)})
    return FoundFile(rel, path, size, mtime, "disc")


def _visit_link(entry: os.DirEntry[bytes], rel: bytes, root: bytes) -> (
        FoundFile | FoundProblem | None):
    category = category_of(entry.name, os.path.dirname(entry.path))
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
