"""Disc images and copied discs: what they are, what they hold, and how to read it.

- DVD-Video (an ISO, or a VIDEO_TS folder): one entry per title from the IFO program
  chains (media/ifo.py), minus menus, logos and warnings; its bytes are its cells' sector
  ranges in the title set's VOB files, which several titles often share.
- VCD/SVCD (.cue + .bin): one entry per MPEG track (media/vcd.py).
- Data discs (ISO 9660, Joliet or Rock Ridge names): one entry per media or document
  file; its bytes are its extents in the image.

Every entry carries a JSON ``locator`` that ``open_entry`` turns back into a byte source,
so nothing is extracted, now or when streaming. Every file of a disc is opened once, by
``media.paths.DiscFiles``: the files in a VIDEO_TS folder and beside a cue sheet never
through a link (issue 13: a VOB linked to a file outside the root was read by the scan).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from catalog.library.encoding import decode_name
from media.errors import MediaError
from media.formats import category_of, extension
from media.ifo import SECTOR, IfoError, Title, parse_dvd
from media.paths import DiscFiles, OutsideRoot, list_names
from media.sources import ByteSource, Segment, SegmentSource, SourceUnreadable
from media.vcd import CueError, VcdTrack, VcdTrackSource, trim_margins, vcd_tracks

ISO_DESCRIPTOR_AT = 16 * SECTOR
Run = tuple[str, int, int]  # (file inside the disc, or "" for the image itself; offset; length)


class DiscError(MediaError):
    """Keys: scan_disc_unreadable, scan_disc_damaged, scan_disc_unknown, scan_disc_empty,
    scan_disc_refused."""


@dataclass(frozen=True)
class DiscEntry:
    index: int  # title or track number; position on a data disc
    name: str  # what people see: "标题 2", "曲目 1", or the path inside the disc
    key: str  # identity inside the disc: "title-2", "track-1", "file:/课件/a.mp4"
    category: str  # media | document
    locator: dict[str, Any]
    duration: float | None = None
    chapters: tuple[float, ...] = ()


@dataclass(frozen=True)
class DiscInfo:
    kind: str  # dvd-video | vcd | data
    layout: str  # iso | video_ts | cue
    label: str
    entries: tuple[DiscEntry, ...]
    skipped: tuple[dict[str, Any], ...] = field(default=())


def disc_layout(path: bytes) -> str:
    if os.path.isdir(path):
        return "video_ts"
    return "cue" if extension(path) == ".cue" else "iso"


def _layout_of(files: DiscFiles) -> str:
    """As ``disc_layout``, from the name alone (the walk makes discs of folders named
    VIDEO_TS only): the disc is then opened as a folder or as a file, never both."""
    if os.path.basename(files.rel).upper() == b"VIDEO_TS":
        return "video_ts"
    return "cue" if extension(files.rel) == ".cue" else "iso"


def read_disc(disc: bytes | DiscFiles, min_title_seconds: float = 30.0,
              min_title_fraction: float = 0.1) -> DiscInfo:
    """What the disc holds; DiscError with the reason when it cannot tell. ``disc`` is a
    path with no links in it, or the disc's files (which keep what was opened)."""
    if not isinstance(disc, DiscFiles):
        with DiscFiles.resolved(disc) as files:
            return read_disc(files, min_title_seconds, min_title_fraction)
    layout = _layout_of(disc)
    try:
        if layout == "video_ts":
            return _read_video_ts(disc, min_title_seconds, min_title_fraction)
        if layout == "cue":
            return _read_vcd(disc)
        return _read_iso(disc, min_title_seconds, min_title_fraction)
    except OutsideRoot as exc:
        raise _refused(exc) from exc
    except (IfoError, CueError) as exc:
        raise DiscError("scan_disc_unreadable", detail=str(exc)) from exc
    except (PyCdlibException, SourceUnreadable, struct.error, IndexError) as exc:
        raise DiscError("scan_disc_unreadable", detail=str(exc) or type(exc).__name__) from exc


def _refused(exc: OutsideRoot) -> DiscError:
    """A file of the disc that is a link (or a FIFO, a folder): reported, never read."""
    return DiscError("scan_disc_refused", name=exc.filename or "", detail=exc.strerror or "")


def open_entry(disc: bytes | DiscFiles, locator: dict[str, Any]) -> ByteSource:
    """The byte source an entry's locator describes, over descriptors from the disc's
    files (``disc`` as a path: one with no links in it). The source holds its own
    duplicates: it outlives ``disc``."""
    if not isinstance(disc, DiscFiles):
        with DiscFiles.resolved(disc) as files:
            return open_entry(files, locator)
    if locator["type"] == "vcd_track":
        name = os.fsencode(locator["bin"])
        track = VcdTrack(locator["track"], os.path.join(os.path.dirname(disc.path), name),
                         locator["first_sector"], locator["sector_count"], name)
        return VcdTrackSource(track, disc.dup_beside(name))
    fds: dict[bytes, int] = {}
    segments = []
    try:
        for name, offset, length in locator["runs"]:
            shown = disc.path if name == "" else os.path.join(disc.path, os.fsencode(name))
            if shown not in fds:
                fds[shown] = disc.dup_disc() if name == "" else disc.dup_member(
                    os.fsencode(name))
            segments.append(Segment(shown, offset, length))
    except OSError:
        for fd in fds.values():
            os.close(fd)
        raise
    return SegmentSource(segments, fds)


# DVD-Video ----------------------------------------------------------------------------

@dataclass(frozen=True)
class VobFile:
    name: str  # "" for the image; a file name inside a VIDEO_TS folder
    offset: int
    length: int


def _dvd_entries(titles: list[Title], vobs: Callable[[int], list[VobFile]],
                 min_seconds: float, min_fraction: float
                 ) -> tuple[list[DiscEntry], list[dict[str, Any]]]:
    longest = max((t.duration for t in titles), default=0.0)
    threshold = min(min_seconds, min_fraction * longest)
    entries, skipped = [], []
    for title in titles:
        if title.duration < threshold or not title.cells:
            skipped.append({"title": title.number, "duration": round(title.duration, 2)})
            continue
        runs = _title_runs(title, vobs(title.title_set))
        entries.append(DiscEntry(
            index=title.number, name=f"标题 {title.number}", key=f"title-{title.number}",
            category="media", duration=title.duration, chapters=title.chapters,
            locator={"type": "segments", "title": title.number, "runs": runs}))
    return entries, skipped


def _title_runs(title: Title, vobs: list[VobFile]) -> list[Run]:
    """Cells' sector ranges in the title set's VOB space, as runs in the files that hold
    them (a cell may cross from VTS_01_1.VOB into VTS_01_2.VOB)."""
    runs: list[Run] = []
    for cell in title.cells:
        start, end = cell.first_sector * SECTOR, (cell.last_sector + 1) * SECTOR
        runs.extend(_vob_runs(vobs, start, end))
    return _merge(runs)


def _vob_runs(vobs: list[VobFile], start: int, end: int) -> Iterator[Run]:
    base = 0
    for vob in vobs:
        lo, hi = max(start, base), min(end, base + vob.length)
        if lo < hi:
            yield vob.name, vob.offset + lo - base, hi - lo
        base += vob.length
    if end > base:
        raise SourceUnreadable(f"a title cell ends at byte {end} of its VOB files, "
                               f"which hold only {base}")


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for name, offset, length in runs:
        if merged and merged[-1][0] == name and merged[-1][1] + merged[-1][2] == offset:
            merged[-1] = (name, merged[-1][1], merged[-1][2] + length)
        else:
            merged.append((name, offset, length))
    return merged


_VOB_NAME = re.compile(r"VTS_(\d\d)_([1-9])\.VOB$")


def _title_set_vobs(names: dict[str, VobFile]) -> Callable[[int], list[VobFile]]:
    def vobs(title_set: int) -> list[VobFile]:
        found = []
        for name, vob in names.items():
            match = _VOB_NAME.match(name)
            if match and int(match.group(1)) == title_set:
                found.append((int(match.group(2)), vob))
        return [vob for _, vob in sorted(found)]

    return vobs


def _read_all(fd: int) -> bytes:
    return os.pread(fd, os.fstat(fd).st_size, 0)


def _read_video_ts(disc: DiscFiles, min_seconds: float, min_fraction: float) -> DiscInfo:
    files = {os.fsdecode(n).upper(): n for n in list_names(disc.folder())}

    def read(name: str) -> bytes:
        if name not in files:
            raise FileNotFoundError(name)
        try:
            return _read_all(disc.member(files[name]))
        except OutsideRoot as exc:  # not "missing": no falling back to the .BUP over it
            raise _refused(exc) from exc

    titles = parse_dvd(read)
    vob_files = {upper: VobFile(os.fsdecode(raw), 0, os.fstat(disc.member(raw)).st_size)
                 for upper, raw in files.items() if upper.endswith(".VOB")}
    entries, skipped = _dvd_entries(titles, _title_set_vobs(vob_files), min_seconds,
                                    min_fraction)
    parent = os.path.basename(os.path.dirname(os.path.abspath(disc.path)))
    return _finish(DiscInfo("dvd-video", "video_ts", decode_name(parent), tuple(entries),
                            tuple(skipped)))


# ISO images ------------------------------------------------------------------------------

def _check_iso(fd: int) -> None:
    size = os.fstat(fd).st_size
    descriptor = os.pread(fd, SECTOR, ISO_DESCRIPTOR_AT)
    if size < ISO_DESCRIPTOR_AT + SECTOR or descriptor[1:6] not in {b"CD001", b"BEA01"}:
        raise DiscError("scan_disc_unknown", detail="no ISO 9660 or UDF volume descriptor")
    if descriptor[:6] == b"\x01CD001":
        # The primary volume descriptor states the volume's size (ECMA-119 8.4.8, 8.4.12):
        # an image shorter than that is a cut-off download or copy.
        blocks, block_size = struct.unpack_from("<I", descriptor, 80)[0], struct.unpack_from(
            "<H", descriptor, 128)[0]
        if blocks * block_size > size:
            raise DiscError("scan_truncated", expected=blocks * block_size, actual=size)


def _read_iso(disc: DiscFiles, min_seconds: float, min_fraction: float) -> DiscInfo:
    fd = disc.disc()
    _check_iso(fd)
    iso = pycdlib.PyCdlib()
    with open(fd, "rb", closefd=False) as f, _pycdlib_damage():
        f.seek(0)
        iso.open_fp(f)
        try:
            label = _volume_label(iso)
            tree = IsoTree(iso, os.fstat(fd).st_size)
            video_ts = tree.folder("/VIDEO_TS")
            if video_ts and any(n.endswith(".IFO") for n in video_ts):
                return _dvd_in_iso(disc, video_ts, label, min_seconds, min_fraction)
            return _finish(DiscInfo("data", "iso", label, tuple(_data_entries(tree))))
        finally:
            iso.close()


def _volume_label(iso: pycdlib.PyCdlib) -> str:
    raw = iso.pvd.volume_identifier if iso.pvd is not None else b""
    if iso.has_joliet() and iso.joliet_vd is not None:
        joliet = bytes(iso.joliet_vd.volume_identifier).decode("utf-16-be", errors="replace")
        if joliet.strip():
            return joliet.strip()
    return decode_name(bytes(raw)).strip()


def _dvd_in_iso(disc: DiscFiles, video_ts: dict[str, list[tuple[int, int]]], label: str,
                min_seconds: float, min_fraction: float) -> DiscInfo:
    def read(name: str) -> bytes:
        if name not in video_ts:
            raise FileNotFoundError(name)
        extents = [Segment(disc.path, o, n) for o, n in video_ts[name]]
        with SegmentSource(extents, {disc.path: disc.dup_disc()}) as source:
            return source.read_at(0, source.size)

    titles = parse_dvd(read)
    vob_files = {name: VobFile("", extents[0][0], sum(n for _, n in extents))
                 for name, extents in video_ts.items()
                 if name.endswith(".VOB") and len(extents) == 1}
    entries, skipped = _dvd_entries(titles, _title_set_vobs(vob_files), min_seconds,
                                    min_fraction)
    return _finish(DiscInfo("dvd-video", "iso", label, tuple(entries), tuple(skipped)))


# pycdlib parses every volume descriptor, path table and directory record of an image as
# it opens it, and on a damaged one raises whatever its parsing runs into, not only
# PyCdlibException: a KeyError for a folder's record missing from the path table, a
# ValueError for a name whose version is not a number (issue 13: that KeyError was an
# internal scan error). Each is the image's damage, and said so.
PYCDLIB_FAILURES: tuple[type[Exception], ...] = (
    PyCdlibException, LookupError, ValueError, ArithmeticError, TypeError, AttributeError,
    struct.error, RecursionError)


@contextmanager
def _pycdlib_damage() -> Iterator[None]:
    """What pycdlib raises reading an image becomes a DiscError that names the damage."""
    try:
        yield
    except (MediaError, IfoError):
        raise  # ours: they already say what is wrong
    except PYCDLIB_FAILURES as exc:
        kind = type(exc)
        name = kind.__qualname__ if kind.__module__ == "builtins" else (
            f"{kind.__module__}.{kind.__qualname__}")
        detail = str(exc) if isinstance(exc, PyCdlibException) else f"{name}: {exc}"
        raise DiscError("scan_disc_damaged", detail=detail[:200]) from exc


class IsoTree:
    """Files of an ISO with their readable names and byte extents: Joliet names when the
    disc has them (Chinese names burned on Windows), else Rock Ridge, else ISO 9660 names
    (often GBK bytes from Chinese burning software)."""

    def __init__(self, iso: pycdlib.PyCdlib, image_size: int) -> None:
        self.iso = iso
        self.image_size = image_size
        if iso.has_joliet():
            self.kind = "joliet_path"
        elif iso.has_rock_ridge():
            self.kind = "rr_path"
        else:
            self.kind = "iso_path"

    def _name(self, record: Any) -> str:
        if self.kind == "rr_path" and record.rock_ridge is not None:
            return decode_name(record.rock_ridge.name())
        raw = bytes(record.file_identifier())
        if self.kind == "joliet_path":
            return raw.decode("utf-16-be", errors="replace")
        return decode_name(raw).split(";")[0].rstrip(".")

    def children(self, folder: str) -> Iterator[tuple[str, Any]]:
        for record in self.iso.list_children(**{self.kind: folder}):
            if record.is_dot() or record.is_dotdot():
                continue
            yield self._name(record), record

    def folder(self, folder: str) -> dict[str, list[tuple[int, int]]] | None:
        """Upper-case file name -> extents, for one folder; None if it does not exist."""
        for name, record in self.children("/"):
            if record.is_dir() and name.upper() == folder.strip("/").upper():
                return {n.upper(): self.extents(r) for n, r in self._children_of(record)}
        return None

    def _children_of(self, directory: Any) -> Iterator[tuple[str, Any]]:
        for child in directory.children:
            if child is None or child.is_dot() or child.is_dotdot() or child.is_dir():
                continue
            yield self._name(child), child

    def extents(self, record: Any) -> list[tuple[int, int]]:
        offset = record.extent_location() * SECTOR
        length = record.get_data_length()
        if offset + length > self.image_size:
            raise SourceUnreadable(f"{self._name(record)} ends at byte {offset + length}, "
                                   f"past the end of the image ({self.image_size} bytes)")
        return [(offset, length)]

    def walk(self) -> Iterator[tuple[str, Any]]:
        """Every file with its path, found by the records themselves, never by looking a
        path up: a damaged record with an empty name looked its own folder up again, and
        the walk never ended (issue 13). A folder reached twice is walked once."""
        root = self.iso.get_record(**{self.kind: "/"})
        seen = {root.extent_location()}
        stack: list[tuple[str, Any]] = [("", root)]
        while stack:
            shown, directory = stack.pop()
            for name, record in sorted(self._entries(directory), key=lambda nr: nr[0]):
                path = shown + "/" + name
                if not record.is_dir():
                    yield path, record
                elif record.extent_location() not in seen:
                    seen.add(record.extent_location())
                    stack.append((path, record))

    def _entries(self, directory: Any) -> Iterator[tuple[str, Any]]:
        for child in directory.children:
            if child is not None and not child.is_dot() and not child.is_dotdot():
                yield self._name(child), child


def _data_entries(tree: IsoTree) -> Iterator[DiscEntry]:
    index = 0
    for shown, record in tree.walk():
        category = category_of(os.fsencode(shown.rsplit("/", 1)[-1]),
                               os.fsencode(shown.rsplit("/", 1)[0]))
        if category not in {"media", "document"}:
            continue
        index += 1
        runs = [("", offset, length) for offset, length in tree.extents(record)]
        yield DiscEntry(index=index, name=shown.lstrip("/"), key=f"file:{shown}",
                        category=category, locator={"type": "segments", "runs": runs})


# VCD --------------------------------------------------------------------------------------

def _read_vcd(disc: DiscFiles) -> DiscInfo:
    entries = []
    for track in vcd_tracks(disc):
        trimmed = trim_margins(track, disc.dup_beside(track.bin_name))
        entries.append(DiscEntry(
            index=track.number - 1, name=f"曲目 {track.number - 1}", key=f"track-{track.number}",
            category="media",
            locator={"type": "vcd_track", "track": track.number,
                     "bin": os.fsdecode(track.bin_name),
                     "first_sector": trimmed.first_sector,
                     "sector_count": trimmed.sector_count}))
    label = decode_name(os.path.splitext(os.path.basename(disc.path))[0])
    return _finish(DiscInfo("vcd", "cue", label, tuple(entries)))


def _finish(info: DiscInfo) -> DiscInfo:
    if not info.entries:
        raise DiscError("scan_disc_empty")
    return info


