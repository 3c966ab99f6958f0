"""Examine one new or changed file: is it a known file moved here, or what is it?

Runs in a worker thread: reads the file and runs ffprobe, writes nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.library.scans import ItemData, KnownDisc, KnownFile
from catalog.settings import Settings
from indexer.classify import Evidence, classify
from indexer.discs import DiscResult, examine_disc
from indexer.names import clean_title, decode_name
from indexer.sidecars import Sidecar, read_sidecar
from indexer.walk import FoundFile
from media.documents import document_format
from media.errors import MediaError
from media.fingerprint import fingerprint_disc, fingerprint_file
from media.normalize import ProbeResult
from media.paths import open_resolved
from media.probe import probe_media

log = logging.getLogger(__name__)


class MoveCandidates:
    """Catalogued files and discs no longer at their path, claimable once each by
    fingerprint (a disc's fingerprint never matches a file's: they are kept apart)."""

    def __init__(self, vanished: Sequence[KnownFile], vanished_discs: Sequence[KnownDisc] = ()
                 ) -> None:
        self._files: dict[str, list[KnownFile]] = {}
        self._discs: dict[str, list[KnownDisc]] = {}
        for known in vanished:
            self._files.setdefault(known.fingerprint, []).append(known)
        for disc in vanished_discs:
            self._discs.setdefault(disc.fingerprint, []).append(disc)
        self._lock = threading.Lock()

    def claim(self, fingerprint: str) -> KnownFile | None:
        with self._lock:
            found = self._files.get(fingerprint)
            return found.pop() if found else None

    def claim_disc(self, fingerprint: str) -> KnownDisc | None:
        with self._lock:
            found = self._discs.get(fingerprint)
            return found.pop() if found else None

    def unclaimed(self) -> list[KnownFile]:
        with self._lock:
            return [k for group in self._files.values() for k in group]

    def unclaimed_discs(self) -> list[KnownDisc]:
        with self._lock:
            return [k for group in self._discs.values() for k in group]


@dataclass(frozen=True)
class Examined:
    found: FoundFile
    probed: int = 0  # how many times ffprobe ran for it

    @property
    def found_rel_path(self) -> str:
        return decode_name(self.found.rel_raw)


@dataclass(frozen=True)
class Described(Examined):
    data: ItemData = field(default=None)  # type: ignore[assignment]


@dataclass(frozen=True)
class Moved(Described):
    """A catalogued file found at a new path by its fingerprint. It is described again,
    as a clean scan would describe it (a title from its new file name, a theme from its
    new folders and sidecar), and keeps its item id, history and manual theme."""

    item_id: int = 0


@dataclass(frozen=True)
class DescribedDisc(Examined):
    result: DiscResult = field(default=None)  # type: ignore[assignment]


@dataclass(frozen=True)
class MovedDisc(DescribedDisc):
    """A catalogued disc found at a new path: described again, keeping its ids."""

    disc_id: int = 0


@dataclass(frozen=True)
class Failed(Examined):
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def examine_file(found: FoundFile, existing: KnownFile | KnownDisc | None, root_name: str,
                 candidates: MoveCandidates, settings: Settings) -> Examined:
    """Never raises: whatever goes wrong with one file is that file's scan error."""
    try:
        if found.category == "disc":
            return _examine_disc(found, existing, root_name, candidates, settings)
        return _examine(found, existing, root_name, candidates, settings)
    except Exception as exc:  # a bug or an odd file must not stop the whole scan
        log.exception("examining %r failed", found.abs_raw)
        return Failed(found, reason="scan_internal", detail={"detail": repr(exc)[:300]})


def _examine_disc(found: FoundFile, existing: KnownFile | KnownDisc | None, root_name: str,
                  candidates: MoveCandidates, settings: Settings) -> Examined:
    try:
        fingerprint = fingerprint_disc(found.abs_raw, found.size)
    except OSError as exc:
        return Failed(found, reason="scan_unreadable", detail={"detail": exc.strerror or str(exc)})
    try:
        result = examine_disc(found, fingerprint, root_name, settings)
    except MediaError as exc:
        return Failed(found, reason=exc.key, detail=exc.fields)
    except OSError as exc:
        return Failed(found, reason="scan_disc_unreadable",
                      detail={"detail": exc.strerror or str(exc)})
    # Claimed once described: a moved disc that no longer reads is an error at its new
    # path, and its old disc is hidden, as after a clean scan.
    moved = candidates.claim_disc(fingerprint) if existing is None else None
    if moved is not None:
        return MovedDisc(found, probed=result.probed, result=result, disc_id=moved.id)
    return DescribedDisc(found, probed=result.probed, result=result)


def _examine(found: FoundFile, existing: KnownFile | KnownDisc | None, root_name: str,
             candidates: MoveCandidates, settings: Settings) -> Examined:
    # Opened once, with no link anywhere in its path (the walk resolved them all): the
    # fingerprint, the truncation check, ffprobe and the document check read this one
    # descriptor, so a file swapped for a link meanwhile is never read (issue 13).
    try:
        fd = open_resolved(found.abs_raw)
    except OSError as exc:
        return Failed(found, reason="scan_unreadable", detail={"detail": exc.strerror or str(exc)})
    try:
        return _examine_open(fd, found, existing, root_name, candidates, settings)
    finally:
        os.close(fd)


def _examine_open(fd: int, found: FoundFile, existing: KnownFile | KnownDisc | None,
                  root_name: str, candidates: MoveCandidates, settings: Settings) -> Examined:
    try:
        fingerprint = fingerprint_file(fd, found.size)
    except OSError as exc:
        return Failed(found, reason="scan_unreadable", detail={"detail": exc.strerror or str(exc)})
    try:
        if found.category == "document":
            data, probed = _describe_document(fd, found, fingerprint, root_name), 0
        else:
            probe = probe_media(fd, found.size, settings.ffprobe, settings.probe_timeout)
            data, probed = _describe_media(found, fingerprint, root_name, probe), 1
    except MediaError as exc:
        probed = int(exc.key not in {"scan_empty", "scan_truncated"})
        return Failed(found, probed=probed, reason=exc.key, detail=exc.fields)
    except OSError as exc:
        return Failed(found, reason="scan_unreadable", detail={"detail": exc.strerror or str(exc)})
    # Claimed once described (the name-derived title and theme are the new path's): a
    # moved file that no longer reads is an error at its new path, and its old item is
    # hidden, as after a clean scan.
    moved = candidates.claim(fingerprint) if existing is None and found.size > 0 else None
    if moved is not None:
        return Moved(found, probed=probed, data=data, item_id=moved.id)
    return Described(found, probed=probed, data=data)


def _evidence(found: FoundFile, root_name: str, title: str, sidecar: Sidecar | None,
              description: str, tags: tuple[str, ...]) -> Evidence:
    rel = decode_name(found.rel_raw)
    folders = (root_name, *rel.split("/")[:-1])
    stem = os.path.splitext(rel.split("/")[-1])[0]
    return Evidence(title=title, filename=clean_title(stem), folders=folders,
                    description=description, tags=tags)


def _title(found: FoundFile, tag_title: str, sidecar: Sidecar | None) -> tuple[str, str]:
    if tag_title and not tag_title.lower().startswith(("http", "www.")):
        return tag_title, "tag"
    if sidecar is not None and sidecar.title:
        return sidecar.title, sidecar.source
    stem = os.path.splitext(decode_name(os.path.basename(found.rel_raw)))[0]
    return clean_title(stem), "filename"


def _item_data(found: FoundFile, fingerprint: str, root_name: str, kind: str, tag_title: str,
               tag_description: str, tag_genres: tuple[str, ...], **media: Any) -> ItemData:
    sidecar = read_sidecar(found.abs_raw)
    title, title_source = _title(found, tag_title, sidecar)
    description = (sidecar.description if sidecar else "") or tag_description
    tags = tuple(dict.fromkeys((*(sidecar.tags if sidecar else ()), *tag_genres)))
    verdict = classify(_evidence(found, root_name, title, sidecar, description, tags))
    return ItemData(
        rel_path=decode_name(found.rel_raw), rel_path_raw=found.rel_raw, size=found.size,
        mtime_ns=found.mtime_ns, fingerprint=fingerprint, kind=kind, title=title,
        title_source=title_source, rule_theme=verdict.theme.value, theme_reason=verdict.reason,
        theme_confidence=verdict.confidence, description=description, tags=tags, **media,
    )


def _describe_media(found: FoundFile, fingerprint: str, root_name: str,
                    probe: ProbeResult) -> ItemData:
    video, audio = probe.video, probe.audio
    return _item_data(
        found, fingerprint, root_name, probe.kind or "video", probe.title, probe.description,
        probe.tags,
        duration=probe.duration, container=probe.container,
        video_codec=video.codec if video else "", audio_codec=audio.codec if audio else "",
        width=video.width if video else None, height=video.height if video else None,
        streams=tuple(s.as_json() for s in probe.streams),
        browser_playable=probe.browser_playable,
    )


def _describe_document(fd: int, found: FoundFile, fingerprint: str, root_name: str
                       ) -> ItemData:
    if found.size == 0:
        raise MediaError("scan_empty")
    name, ok = document_format(found.abs_raw, fd)
    if not ok:
        raise MediaError("scan_bad_document", expected=name)
    ext = os.path.splitext(found.rel_raw)[1].decode("ascii", "replace").lstrip(".").lower()
    # PDF opens in every browser's own viewer; Office files are downloaded.
    return _item_data(found, fingerprint, root_name, "document", "", "", (),
                      container=ext, browser_playable=ext == "pdf")
