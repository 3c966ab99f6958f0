"""Open a catalogued item's bytes from what the catalog stores about it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from catalog.scans import disc_of_path
from media.discs import open_entry
from media.feed import shared_feed
from media.ffmpeg import file_input
from media.sources import ByteSource, FileSource


class SourceMissing(FileNotFoundError):
    """The item's file is gone, or now resolves outside its library root."""


def _inside(path: bytes, root: bytes) -> bool:
    return path == root or path.startswith(root.rstrip(b"/") + b"/")


_REAL_ROOT_SECONDS = 10.0
_real_roots: dict[str, tuple[float, bytes]] = {}


def real_root(root: str) -> bytes:
    """The root with its links resolved, remembered briefly: a player's range requests
    would otherwise resolve it again for every request. A root re-pointed meanwhile only
    gets its files refused for those seconds, never served from the new place."""
    now = time.monotonic()
    found = _real_roots.get(root)
    if found is None or found[0] < now:
        found = (now + _REAL_ROOT_SECONDS, os.path.realpath(os.fsencode(root)))
        if len(_real_roots) > 256:
            _real_roots.clear()
        _real_roots[root] = found
    return found[1]


def item_path(root: str, rel_path_raw: bytes) -> bytes:
    """The item's file (or disc) on disk, refusing anything that now resolves outside the
    root: a file replaced by a link to /etc/passwd after the scan is not served."""
    real_root = os.path.realpath(os.fsencode(root))
    path = os.path.join(real_root, disc_of_path(rel_path_raw))
    if not _inside(os.path.realpath(path), real_root) or not os.path.exists(path):
        raise SourceMissing(os.fsdecode(path))
    return path


def open_item_source(root: str, rel_path_raw: bytes, locator: dict[str, Any]) -> ByteSource:
    """The item's bytes. Every file opened is checked to lie inside the root after it is
    open (no link swapped in can redirect the read), which also spares the path walks of
    ``realpath`` on every range request."""
    inside = real_root(root)
    path = os.path.join(inside, disc_of_path(rel_path_raw))
    try:
        if locator:
            return open_entry(path, locator, inside)
        return FileSource(path, inside)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise SourceMissing(str(exc)) from exc


@contextmanager
def item_input(root: str, rel_path_raw: bytes, locator: dict[str, Any]
               ) -> Iterator[tuple[str, str]]:
    """An ffmpeg input for the item and the protocols it needs: the file itself, or for
    an item inside a disc image the loopback feed of its byte source."""
    if not locator:
        yield file_input(item_path(root, rel_path_raw)), "file"
        return
    source = open_item_source(root, rel_path_raw, locator)
    try:
        with shared_feed().serve(source) as url:
            yield url, "http,tcp"
    finally:
        source.close()
