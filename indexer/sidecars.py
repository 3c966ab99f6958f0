"""Sidecar metadata beside a media file: Kodi ``.nfo`` XML, or a ``.txt`` with the same stem."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from indexer.names import decode_text
from media.paths import open_resolved

MAX_SIDECAR_BYTES = 256 * 1024
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass(frozen=True)
class Sidecar:
    source: str  # nfo | txt
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()


def _read_small(path: bytes) -> bytes | None:
    # No link anywhere in the path (the walk resolved them all): a sidecar that is a link
    # could point anywhere (课件.txt -> /etc/passwd would become a title), and so could a
    # folder swapped for one; real sidecars are plain files beside their media. Opened
    # once, regular files only (a FIFO does not hang the scan).
    try:
        fd = open_resolved(path)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_SIDECAR_BYTES)


def parse_nfo(data: bytes) -> Sidecar | None:
    # The bytes are decoded here (GBK files often declare no encoding or a wrong one),
    # so the declaration is dropped before parsing the text.
    text = _XML_DECLARATION.sub("", decode_text(data), count=1)
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None

    def texts(tag: str) -> list[str]:
        return [e.text.strip() for e in root.iter(tag) if e.text and e.text.strip()]

    title = next(iter(texts("title")), "")
    description = next(iter(texts("plot") + texts("outline")), "")
    tags = tuple(dict.fromkeys(texts("genre") + texts("tag")))
    if not (title or description or tags):
        return None
    return Sidecar("nfo", title, description, tags)


def parse_txt(data: bytes) -> Sidecar | None:
    lines = [line.strip() for line in decode_text(data).splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return None
    return Sidecar("txt", lines[0][:200], "\n".join(lines[1:]))


def read_sidecar(media_path: bytes) -> Sidecar | None:
    """The ``.nfo`` beside the file (preferred: it is structured), else the ``.txt``."""
    stem = os.path.splitext(media_path)[0]
    for ext, parse in ((b".nfo", parse_nfo), (b".txt", parse_txt)):
        data = _read_small(stem + ext)
        if data is not None:
            found = parse(data)
            if found is not None:
                return found
    return None
