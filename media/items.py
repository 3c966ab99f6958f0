"""Open a catalogued item's bytes from what the catalog stores about it.

Each use opens the item's file once, below its library root (media.paths: component by
component, links resolved only while they stay under the root), and works on that
descriptor: ranges are read from it, ffmpeg is handed it as ``/dev/fd/N``, sidecars are
looked for in the folder opened on the way. Nothing is checked by name and opened again,
so a file swapped for a link to /etc/passwd is refused whenever the swap happens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from catalog.library.scans import disc_of_path
from media.discs import open_entry
from media.feed import shared_feed
from media.ffmpeg import Input, descriptor_input, feed_input
from media.paths import DiscFiles, open_beneath
from media.sources import ByteSource, FileSource


class SourceMissing(FileNotFoundError):
    """The item's file is gone, or cannot be reached below its library root."""


@contextmanager
def _missing_when_gone() -> Iterator[None]:
    try:
        yield
    except (FileNotFoundError, NotADirectoryError) as exc:  # OutsideRoot is one too
        if isinstance(exc, SourceMissing):
            raise
        raise SourceMissing(exc.errno, exc.strerror, exc.filename) from exc


def open_item_file(root: str, rel_path_raw: bytes) -> int:
    """A descriptor for the item's file (or its disc's image or cue sheet)."""
    with _missing_when_gone():
        return open_beneath(os.fsencode(root), disc_of_path(rel_path_raw), links=True)


def open_item_source(root: str, rel_path_raw: bytes, locator: dict[str, Any]) -> ByteSource:
    """The item's bytes: the file, or the entry of its disc the locator names."""
    with _missing_when_gone():
        if not locator:
            return FileSource(open_item_file(root, rel_path_raw))
        with DiscFiles(os.fsencode(root), disc_of_path(rel_path_raw), links=True) as files:
            return open_entry(files, locator)


@contextmanager
def item_input(root: str, rel_path_raw: bytes, locator: dict[str, Any]) -> Iterator[Input]:
    """An ffmpeg input for the item: its open file, or for an item inside a disc image
    the loopback feed of its byte source. Closed when the block ends."""
    if not locator:
        fd = open_item_file(root, rel_path_raw)
        try:
            yield descriptor_input(fd)
        finally:
            os.close(fd)
        return
    source = open_item_source(root, rel_path_raw, locator)
    try:
        with shared_feed().serve(source) as url:
            yield feed_input(url)
    finally:
        source.close()


@contextmanager
def item_folder(root: str, rel_path_raw: bytes) -> Iterator[tuple[int, bytes]]:
    """The open folder holding the item's file and the file's name in it: where its
    sidecar subtitles are listed and opened (media.subtitles)."""
    folder, name = os.path.split(disc_of_path(rel_path_raw))
    with _missing_when_gone():
        fd = open_beneath(os.fsencode(root), folder, links=True, directory=True)
    try:
        yield fd, name
    finally:
        os.close(fd)
