"""Examine a disc image or VIDEO_TS folder: its entries become items (worker thread).

Each entry is probed through its byte source (ffprobe reads it from the loopback feed),
classified with the disc's label and folders as evidence, and named after the disc.
An entry that cannot be read becomes a scan error of its own; the rest of the disc is
still catalogued.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from catalog.library.scans import DiscData, ItemData, disc_entry_path
from catalog.settings import Settings
from indexer.classify import Evidence, classify
from indexer.names import clean_title, decode_name
from indexer.walk import FoundFile
from media.discs import DiscEntry, DiscInfo, disc_layout, open_entry, read_disc
from media.documents import document_head_matches
from media.errors import MediaError
from media.formats import extension
from media.paths import DiscFiles
from media.probe import probe_source


@dataclass(frozen=True)
class EntryError:
    rel_path: str
    rel_path_raw: bytes
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DiscResult:
    disc: DiscData
    items: tuple[ItemData, ...]
    errors: tuple[EntryError, ...]
    probed: int


def disc_display_name(found: FoundFile) -> str:
    """What people call the disc: the image's cleaned file name, or for a VIDEO_TS folder
    the folder that holds it."""
    path = decode_name(found.rel_raw)
    if disc_layout(found.abs_raw) == "video_ts":
        parent = os.path.dirname(path)
        return clean_title(os.path.basename(parent)) if parent else "DVD"
    return clean_title(os.path.splitext(os.path.basename(path))[0])


def examine_disc(found: FoundFile, fingerprint: str, root_name: str,
                 settings: Settings) -> DiscResult:
    """Raises MediaError (DiscError) when the disc as a whole cannot be read. Each of
    the disc's files is opened once, never through a link (media.paths.DiscFiles)."""
    with DiscFiles.resolved(found.abs_raw) as files:
        return _examine_disc(files, found, fingerprint, root_name, settings)


def _examine_disc(files: DiscFiles, found: FoundFile, fingerprint: str, root_name: str,
                  settings: Settings) -> DiscResult:
    info = read_disc(files, settings.dvd_min_title_seconds, settings.dvd_min_title_fraction)
    disc_rel = decode_name(found.rel_raw)
    disc = DiscData(rel_path=disc_rel, rel_path_raw=found.rel_raw, kind=info.kind,
                    layout=info.layout, label=info.label, size=found.size,
                    mtime_ns=found.mtime_ns, fingerprint=fingerprint, skipped=info.skipped)
    name = disc_display_name(found)
    items, errors, probed = [], [], 0
    for entry in info.entries:
        shown, raw = disc_entry_path(disc_rel, found.rel_raw, entry.key, entry.name)
        try:
            data, did_probe = _describe_entry(files, found, info, entry, name, root_name,
                                              fingerprint, settings)
        except (MediaError, OSError) as exc:
            key, fields = (exc.key, exc.fields) if isinstance(exc, MediaError) else (
                "scan_disc_unreadable", {"detail": str(exc)})
            errors.append(EntryError(shown, raw, key, fields))
            probed += 1
            continue
        probed += did_probe
        items.append(data.__class__(**{**data.__dict__, "rel_path": shown, "rel_path_raw": raw}))
    return DiscResult(disc, tuple(items), tuple(errors), probed)


def _entry_title(info: DiscInfo, entry: DiscEntry, disc_name: str) -> str:
    if info.kind == "data":
        return clean_title(os.path.splitext(entry.name.rsplit("/", 1)[-1])[0])
    return disc_name if len(info.entries) == 1 else f"{disc_name} {entry.name}"


def _evidence(found: FoundFile, info: DiscInfo, entry: DiscEntry, disc_name: str,
              root_name: str, title: str) -> Evidence:
    folders = [root_name, *decode_name(found.rel_raw).split("/")[:-1], disc_name]
    if info.kind == "data":
        folders.extend(entry.name.split("/")[:-1])
    return Evidence(title=title, folders=tuple(f for f in folders if f), label=info.label,
                    filename=clean_title(entry.name.rsplit("/", 1)[-1]))


def _describe_entry(files: DiscFiles, found: FoundFile, info: DiscInfo, entry: DiscEntry,
                    disc_name: str, root_name: str, disc_fingerprint: str, settings: Settings
                    ) -> tuple[ItemData, int]:
    title = _entry_title(info, entry, disc_name)
    verdict = classify(_evidence(found, info, entry, disc_name, root_name, title))
    entry_fingerprint = hashlib.sha256(f"{disc_fingerprint}/{entry.key}".encode()).hexdigest()
    common: dict[str, Any] = dict(
        rel_path="", rel_path_raw=b"", mtime_ns=found.mtime_ns, fingerprint=entry_fingerprint,
        title=title, title_source="disc", rule_theme=verdict.theme.value,
        theme_reason=verdict.reason, theme_confidence=verdict.confidence,
        disc_index=entry.index, disc_path=entry.name if info.kind == "data" else "",
        chapters=entry.chapters, locator=entry.locator)
    with closing(open_entry(files, entry.locator)) as source:
        size = source.size
        if entry.category == "document":
            ext = extension(entry.name)
            kind_name, ok = document_head_matches(ext, source.read_at(0, 1024))
            if size == 0:
                raise MediaError("scan_empty")
            if not ok:
                raise MediaError("scan_bad_document", expected=kind_name)
            return ItemData(size=size, kind="document", container=ext.lstrip("."),
                            browser_playable=ext == ".pdf", **common), 0
        probe = probe_source(source, settings.ffprobe, settings.probe_timeout)
    video, audio = probe.video, probe.audio
    return ItemData(
        size=size, kind=probe.kind or "video",
        # The IFO's program chain time is exact; ffprobe only estimates MPEG-PS length.
        duration=entry.duration or probe.duration, container=probe.container,
        video_codec=video.codec if video else "", audio_codec=audio.codec if audio else "",
        width=video.width if video else None, height=video.height if video else None,
        streams=tuple(s.as_json() for s in probe.streams),
        browser_playable=probe.browser_playable, **common), 1
