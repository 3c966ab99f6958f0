"""VCD/SVCD disc images (.cue + .bin with raw 2352-byte sectors), read in place.

A Video CD is a CD-ROM XA disc: track 1 is an ISO 9660 data track holding the VCD control
files (INFO.VCD, ENTRIES.VCD, ...); every later track is an MPEG program stream written as
Mode 2 Form 2 sectors. A raw sector is 2352 bytes::

    0   12 bytes sync (00 FF*10 00)
    12   4 bytes header (minute, second, frame in BCD; mode = 2)
    16   8 bytes subheader (file, channel, submode, coding; twice)
    24  2324 bytes of MPEG data
    2348 4 bytes EDC

``vcd_tracks`` reads the cue sheet and lists the MPEG tracks; ``VcdTrackSource`` is a
``media.sources.ByteSource`` over one track that returns only the 2324-byte payloads, so
the plain program stream is streamed and probed without extracting anything.

Layout written by vcdimager (``-t vcd2``/``svcd``), and what it means for a scanner:

* track 1 is 300 sectors (4 s); each MPEG track has an ``INDEX 00`` pregap of 150 empty
  sectors (2 s) that is excluded from the previous track here;
* an MPEG track (from ``INDEX 01``) starts with a 30-sector front margin and ends with a
  45-sector rear margin of empty Form 2 sectors (zero payload); the last track is
  followed by a 150-sector postgap that, lacking any cue line, belongs to it. So the
  de-framed stream has 69,720 zero bytes before the first pack header and zeros at the
  end. ffmpeg does not mind; ``trim_margins`` narrows a track to the sectors that carry
  data, after which the stream is byte-identical to the .mpg file that was burned.

Truncated images: ``vcd_tracks`` does not read sectors, so it lists every track the cue
promises. The last track of each FILE ends at the end of that file, so a cut inside it is
invisible (the track is just shorter). A track that starts at or after the end of its
file gets ``sector_count`` 0 and ``VcdTrackSource`` refuses to open it; a track cut short
opens, and reading the missing sectors raises ``media.sources.SourceUnreadable``.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field, replace

from media.paths import DiscFiles, OutsideRoot, list_names, open_own, reading
from media.sources import ByteSource, SourceUnreadable

RAW_SECTOR = 2352
FORM2_DATA = 2324
FORM2_OFFSET = 24

FRAMES_PER_SECOND = 75
SECONDS_PER_MINUTE = 60
PACK_START = b"\x00\x00\x01\xba"
MAX_LEADING_EMPTY = 150
"""``check_track`` skips at most this many empty sectors (vcdimager's front margin is 30)."""

_RUN_SECTORS = 256  # sectors per pread: 602 KB of raw data, whatever the caller asks for
_SCAN_SECTORS = 32  # sectors per read while looking for the first/last data sector
_MAX_CUE_BYTES = 512 * 1024
_MPEG_MODE = "MODE2/2352"
_SECTOR_SIZES = {
    "AUDIO": 2352, "CDG": 2448, "MODE1/2048": 2048, "MODE1/2352": 2352,
    "MODE2/2048": 2048, "MODE2/2324": 2324, "MODE2/2336": 2336, "MODE2/2352": 2352,
    "CDI/2336": 2336, "CDI/2352": 2352,
}  # fmt: skip
_FILE_TYPES = {"BINARY", "MOTOROLA", "AIFF", "WAVE", "MP3"}
_IGNORED = {
    "REM", "CATALOG", "CDTEXTFILE", "TITLE", "PERFORMER", "SONGWRITER", "COMPOSER",
    "ARRANGER", "MESSAGE", "DISC_ID", "GENRE", "TOC_INFO1", "TOC_INFO2", "UPC_EAN",
    "SIZE_INFO", "FLAGS", "ISRC", "PREGAP", "POSTGAP",
}  # fmt: skip
_MSF = re.compile(r"(\d+):(\d\d?):(\d\d?)")


@dataclass(frozen=True)
class CueTrack:
    number: int
    mode: str  # e.g. "MODE2/2352", "AUDIO", "MODE1/2352" (upper case)
    file: str  # the FILE name as written in the cue
    start_sector: int  # INDEX 01, in sectors from the start of that file
    pregap_sector: int | None  # INDEX 00 if present


@dataclass(frozen=True)
class VcdTrack:
    number: int
    bin_path: bytes  # path of the .bin holding it (for messages; it is opened by name only
    # in tests: the disc opens ``bin_name`` beside its cue sheet, media.paths.DiscFiles)
    first_sector: int
    sector_count: int
    bin_name: bytes = field(default=b"", compare=False)  # relative to the cue's folder


class CueError(ValueError):
    """The cue sheet cannot be used; the message says what is wrong and where."""


# -- cue sheets ---------------------------------------------------------------------------


def _msf(text: str, line_number: int) -> int:
    match = _MSF.fullmatch(text)
    if match is None:
        raise CueError(f"line {line_number}: {text!r} is not a time mm:ss:ff")
    minutes, seconds, frames = (int(part) for part in match.groups())
    if seconds >= SECONDS_PER_MINUTE or frames >= FRAMES_PER_SECOND:
        raise CueError(f"line {line_number}: {text!r} is not a time mm:ss:ff "
                       f"(seconds < 60, frames < 75)")
    return (minutes * SECONDS_PER_MINUTE + seconds) * FRAMES_PER_SECOND + frames


def _file_name(rest: str, line_number: int) -> str:
    """The name in ``FILE "name" TYPE`` / ``FILE name TYPE`` (an unquoted name may hold spaces)."""
    rest = rest.strip()
    if rest.startswith('"'):
        end = rest.find('"', 1)
        if end < 0:
            raise CueError(f"line {line_number}: FILE name has no closing quote")
        name, tail = rest[1:end], rest[end + 1 :].split()
    else:
        words = rest.split()
        if len(words) >= 2 and words[-1].upper() in _FILE_TYPES:
            name, tail = rest[: rest.rfind(words[-1])].strip(), words[-1:]
        else:
            name, tail = rest, []
    if not name:
        raise CueError(f"line {line_number}: FILE without a name")
    if len(tail) > 1 or (tail and tail[0].upper() not in _FILE_TYPES):
        raise CueError(f"line {line_number}: unknown FILE type {' '.join(tail)!r}")
    return name


@dataclass
class _Pending:
    number: int
    mode: str
    file: str
    line: int
    index00: int | None = None
    index01: int | None = None

    def done(self) -> CueTrack:
        if self.index01 is None:
            raise CueError(f"line {self.line}: TRACK {self.number:02d} has no INDEX 01")
        return CueTrack(self.number, self.mode, self.file, self.index01, self.index00)


def parse_cue(text: str) -> list[CueTrack]:
    """The tracks of a cue sheet, in order. Raises ``CueError`` naming the offending line."""
    tracks: list[CueTrack] = []
    current_file: str | None = None
    pending: _Pending | None = None
    seen: set[int] = set()
    for line_number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FILE":
            current_file = _file_name(rest, line_number)
        elif keyword == "TRACK":
            words = rest.split()
            if len(words) != 2 or not words[0].isdigit():
                raise CueError(f"line {line_number}: expected 'TRACK nn MODE', got {line!r}")
            if current_file is None:
                raise CueError(f"line {line_number}: TRACK before any FILE")
            number, mode = int(words[0]), words[1].upper()
            if not 1 <= number <= 99:
                raise CueError(f"line {line_number}: track number {number} is not 1-99")
            if number in seen:
                raise CueError(f"line {line_number}: TRACK {number:02d} appears twice")
            if mode not in _SECTOR_SIZES:
                raise CueError(f"line {line_number}: unknown track mode {words[1]!r}")
            if pending is not None:
                tracks.append(pending.done())
            seen.add(number)
            pending = _Pending(number, mode, current_file, line_number)
        elif keyword == "INDEX":
            words = rest.split()
            if len(words) != 2 or not words[0].isdigit():
                raise CueError(f"line {line_number}: expected 'INDEX nn mm:ss:ff', "
                               f"got {line!r}")
            if pending is None:
                raise CueError(f"line {line_number}: INDEX before any TRACK")
            index, sector = int(words[0]), _msf(words[1], line_number)
            if index == 0:
                pending.index00 = sector
            elif index == 1:
                if pending.index00 is not None and sector < pending.index00:
                    raise CueError(f"line {line_number}: INDEX 01 comes before INDEX 00")
                pending.index01 = sector
            elif pending.index01 is None:
                raise CueError(f"line {line_number}: INDEX {index:02d} before INDEX 01")
        elif keyword not in _IGNORED:
            shown = line if len(line) <= 60 else line[:57] + "..."
            raise CueError(f"line {line_number}: not a cue sheet command: {shown!r}")
    if pending is not None:
        tracks.append(pending.done())
    if not tracks:
        raise CueError("no TRACK in the cue sheet")
    return tracks


def _decode_cue(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK, which Windows burners write
    except UnicodeDecodeError:
        raise CueError("the cue sheet is neither UTF-8 nor GBK text") from None


def read_cue(cue_path: bytes, fd: int | None = None) -> list[CueTrack]:
    """``parse_cue`` on a file: UTF-8 (BOM or not), UTF-16 with BOM, or GBK/GB18030. The
    file read is ``fd`` when given, else ``cue_path`` opened without links."""
    with reading(cue_path if fd is None else fd) as opened:
        data = os.pread(opened, _MAX_CUE_BYTES + 1, 0)
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if len(data) > _MAX_CUE_BYTES or (b"\x00" in data and not utf16):
        raise CueError(f"{os.fsdecode(cue_path)} is not a cue sheet (binary or too large)")
    try:
        return parse_cue(_decode_cue(data))
    except CueError as exc:
        raise CueError(f"{os.fsdecode(cue_path)}: {exc}") from None


# -- finding the .bin ---------------------------------------------------------------------


def _name_text(name: bytes) -> str:
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError:
        return name.decode("gb18030", errors="replace")


def _encodings(name: str) -> list[bytes]:
    """The bytes a FILE name may have on disk: UTF-8 (normal) or GBK (unpacked on Linux)."""
    found = [os.fsencode(name)]
    try:
        gbk = name.encode("gb18030")
    except UnicodeEncodeError:
        return found
    return found if gbk in found else [*found, gbk]


def _present(files: DiscFiles, name: bytes) -> bool:
    """Whether ``name`` can be opened beside the cue. A link there (or a FIFO, a folder)
    is an error, not a miss: ``OutsideRoot`` propagates. A link is never followed, to
    outside the root or not."""
    try:
        files.beside(name)
    except OutsideRoot:
        raise
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def _plain_files(folder_fd: int) -> list[bytes]:
    found = []
    for entry in list_names(folder_fd):
        try:
            if stat.S_ISREG(os.stat(entry, dir_fd=folder_fd, follow_symlinks=False).st_mode):
                found.append(entry)
        except OSError:
            continue
    return found


def _resolve(files: DiscFiles, cue_path: bytes, name: str, single_file: bool) -> bytes:
    """The .bin's name relative to the cue's folder, opened (in ``files``)."""
    relative = os.path.normpath(name.replace("\\", "/"))
    base = relative.rsplit("/", 1)[-1]
    # C:\burn\disc.bin from the burner's machine, /abs or ../x: only the name, beside the cue
    inside = not (relative.startswith(("/", "../")) or relative == ".." or ":" in relative)
    for candidate in (relative, base) if inside else (base,):
        for encoded in _encodings(candidate):
            if _present(files, encoded):
                return encoded
    entries = _plain_files(files.parent())
    wanted = base.casefold()
    matches = [e for e in entries if _name_text(e).casefold() == wanted]
    if len(matches) == 1 and _present(files, matches[0]):
        return matches[0]
    stem = os.path.splitext(os.path.basename(cue_path))[0]
    if single_file:
        wanted = _name_text(stem).casefold() + ".bin"
        matches = [e for e in entries if _name_text(e).casefold() == wanted]
        if len(matches) == 1 and _present(files, matches[0]):
            return matches[0]
    folder = os.path.dirname(cue_path)
    renamed = _name_text(stem) + ".bin" if single_file else "the cue's name"
    raise FileNotFoundError(
        errno.ENOENT,
        f"{os.fsdecode(cue_path)} names FILE {name!r}, which is not beside it "
        f"(not with other letter case either, nor as {renamed})",
        os.fsdecode(os.path.join(folder, os.fsencode(base))),
    )


def vcd_tracks(cue: bytes | DiscFiles) -> list[VcdTrack]:
    """The MPEG tracks: MODE2/2352 tracks after track 1.

    Track 1 is the ISO 9660 data track with the VCD control files. The FILE name is
    resolved relative to the cue's folder; if that file does not exist, a case-insensitive
    match is tried, then (for a cue with a single FILE) the only .bin beside the cue with
    the cue's stem (people rename images). A track ends where the next track in the same
    file starts (its INDEX 00 when present, else INDEX 01), the last one at the end of the
    file. Sectors are not read: see the module docstring on truncated images.

    Every file is opened once, without following links (``cue`` as a path: one with no
    links in it), and kept open in the ``DiscFiles`` given.

    Raises ``CueError`` (bad cue, or MPEG tracks in an unsupported layout such as
    MODE2/2336) and ``FileNotFoundError`` (cue or .bin missing; ``OutsideRoot`` for one
    that is a link).
    """
    if isinstance(cue, DiscFiles):
        return _vcd_tracks(cue)
    with DiscFiles.resolved(cue) as files:
        return _vcd_tracks(files)


def _vcd_tracks(files: DiscFiles) -> list[VcdTrack]:
    cue_path = files.path
    cue = read_cue(cue_path, files.disc())
    folder = os.path.dirname(cue_path)
    wanted = cue[1:]
    for track in wanted:
        if track.mode in ("MODE2/2336", "CDI/2336"):
            raise CueError(f"{os.fsdecode(cue_path)}: track {track.number} is {track.mode}; "
                           f"only raw 2352-byte sector images can be read")
    wanted = [t for t in wanted if t.mode == _MPEG_MODE]
    if not wanted:
        return []
    single_file = len({t.file for t in cue}) == 1
    resolved: dict[str, tuple[bytes, int]] = {}
    result: list[VcdTrack] = []
    for track in wanted:
        same_file = [t for t in cue if t.file == track.file]
        if any(_SECTOR_SIZES[t.mode] != RAW_SECTOR for t in same_file):
            raise CueError(f"{os.fsdecode(cue_path)}: FILE {track.file!r} mixes sector sizes")
        if track.file not in resolved:
            name = _resolve(files, cue_path, track.file, single_file)
            resolved[track.file] = name, os.fstat(files.beside(name)).st_size // RAW_SECTOR
        name, file_sectors = resolved[track.file]
        later = same_file[same_file.index(track) + 1 :]
        if later:
            following = later[0]
            end = (following.pregap_sector if following.pregap_sector is not None
                   else following.start_sector)  # fmt: skip
            if end < track.start_sector:
                raise CueError(f"{os.fsdecode(cue_path)}: track {following.number} starts "
                               f"before track {track.number}")
        else:
            end = max(file_sectors, track.start_sector)
        result.append(VcdTrack(track.number, os.path.join(folder, name), track.start_sector,
                               end - track.start_sector, name))
    return result


# -- reading ------------------------------------------------------------------------------


def is_form2(sector_header: bytes) -> bool:
    """Whether a raw sector (its first 19+ bytes) is Mode 2 Form 2: submode bit 5 (0x20).

    The mode byte (offset 15) must be 2 as well: in a Mode 1 sector, offset 18 is data.
    """
    return len(sector_header) > 18 and sector_header[15] == 2 and bool(sector_header[18] & 0x20)


class VcdTrackSource:
    """A ``ByteSource`` over one VCD track: the 2324-byte Form 2 payloads, concatenated."""

    def __init__(self, track: VcdTrack, fd: int | None = None) -> None:
        """``fd``: the .bin, opened by the caller (media.paths.DiscFiles) and taken over;
        without it ``bin_path`` is opened by name (tests and tools)."""
        self.track = track
        self._fd = open_own(track.bin_path) if fd is None else fd
        available = os.fstat(self._fd).st_size // RAW_SECTOR
        if track.first_sector >= available:  # nothing of the track is in the file
            os.close(self._fd)
            self._fd = -1
            raise SourceUnreadable(
                f"{os.fsdecode(track.bin_path)} ends at sector {available}, before track "
                f"{track.number} (sector {track.first_sector}): the image is truncated")
        self._size = track.sector_count * FORM2_DATA

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        if offset >= self._size or length <= 0 or offset < 0:
            return b""
        end = min(offset + length, self._size)
        first, skip = divmod(offset, FORM2_DATA)
        last = (end - 1) // FORM2_DATA  # inclusive
        parts: list[memoryview] = []
        sector = first
        while sector <= last:
            count = min(_RUN_SECTORS, last - sector + 1)
            position = (self.track.first_sector + sector) * RAW_SECTOR
            raw = os.pread(self._fd, count * RAW_SECTOR, position)
            if len(raw) < count * RAW_SECTOR:
                raise SourceUnreadable(
                    f"{os.fsdecode(self.track.bin_path)} ends at byte {position + len(raw)}, "
                    f"inside track {self.track.number} (sector "
                    f"{self.track.first_sector + sector + len(raw) // RAW_SECTOR}): "
                    f"the image is truncated")
            view = memoryview(raw)
            for i in range(count):
                start = i * RAW_SECTOR + FORM2_OFFSET
                parts.append(view[start : start + FORM2_DATA])
            sector += count
        parts[0] = parts[0][skip:]
        surplus = (last + 1) * FORM2_DATA - end  # bytes of the last sector after ``end``
        parts[-1] = parts[-1][: len(parts[-1]) - surplus]
        return b"".join(parts)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> VcdTrackSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_data_sector(source: ByteSource, limit: int) -> tuple[int, bytes] | None:
    """The index and payload of the first sector with a non-zero payload, within ``limit``."""
    sectors = min(limit, -(-source.size // FORM2_DATA))
    for batch in range(0, sectors, _SCAN_SECTORS):
        count = min(_SCAN_SECTORS, sectors - batch)
        data = source.read_at(batch * FORM2_DATA, count * FORM2_DATA)
        for i in range(0, len(data), FORM2_DATA):
            payload = data[i : i + FORM2_DATA]
            if payload.count(0) != len(payload):
                return batch + i // FORM2_DATA, payload
    return None


def check_track(source: ByteSource) -> bool:
    """Whether the track's data starts with an MPEG pack header (00 00 01 BA).

    Leading empty (all-zero) sectors are skipped, at most ``MAX_LEADING_EMPTY`` of them.
    Reads only those sectors; ``SourceUnreadable`` from a truncated image propagates.
    """
    found = _first_data_sector(source, MAX_LEADING_EMPTY + 1)
    return found is not None and found[1].startswith(PACK_START)


def trim_margins(track: VcdTrack, fd: int | None = None) -> VcdTrack:
    """The track narrowed to the sectors between its first and last non-empty payload.

    Drops vcdimager's front margin (30 sectors), rear margin (45) and, on the last track,
    the postgap (150): the de-framed stream then starts with the first pack header and is
    the MPEG file that was burned. Reads only the empty sectors it drops (plus one batch).
    An all-empty track comes back with ``sector_count`` 0. Raises ``SourceUnreadable`` when
    the image is truncated inside the track. ``fd`` as for ``VcdTrackSource``.
    """
    with VcdTrackSource(track, fd) as source:
        found = _first_data_sector(source, track.sector_count)
        if found is None:
            return replace(track, sector_count=0)
        head = found[0]
        tail = track.sector_count  # exclusive end of the data
        while tail > head:
            batch = max(head, tail - _SCAN_SECTORS)
            data = source.read_at(batch * FORM2_DATA, (tail - batch) * FORM2_DATA)
            for i in range(tail - batch - 1, -1, -1):
                payload = data[i * FORM2_DATA : (i + 1) * FORM2_DATA]
                if payload.count(0) != FORM2_DATA:
                    return replace(track, first_sector=track.first_sector + head,
                                   sector_count=batch + i + 1 - head)
            tail = batch
    return replace(track, first_sector=track.first_sector + head, sector_count=0)


__all__ = [
    "FORM2_DATA", "FORM2_OFFSET", "RAW_SECTOR", "CueError", "CueTrack", "VcdTrack",
    "VcdTrackSource", "check_track", "is_form2", "parse_cue", "read_cue",
    "trim_margins", "vcd_tracks",
]  # fmt: skip
