"""DVD-Video IFO files: each title's duration, chapter start times and cells' sector ranges.

Just enough of the IFO structures for a byte source to read a title straight out of an ISO
or a VIDEO_TS folder, without mounting and without libdvdread. Offsets in the comments are
those of the IFO reference at dvd.sourceforge.net/dvdinfo/ifo.html:

- VIDEO_TS.IFO ("DVDVIDEO-VMG") lists the titles in TT_SRPT: for each, its title set
  (VTS_nn), its number inside that set (VTS_TTN), its chapter and angle counts.
- VTS_nn_0.IFO ("DVDVIDEO-VTS") maps each VTS_TTN's chapters to (PGC, program) pairs in
  VTS_PTT_SRPT; VTS_PGCIT holds the program chains: programs point at cells, cells carry a
  playback time and the sectors they occupy in the title VOBs (VTS_nn_1.VOB onwards).

Each .IFO has a byte-identical .BUP backup; a missing or malformed .IFO falls back to it.

Limitation: in an interleaved block (seamless multi-angle), angle 1's sector range also
holds the other angles' interleaved units (ILVUs); reading it straight through mixes angles.
Telling them apart needs the DSI packets inside the VOBs, which this module does not read.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

SECTOR = 2048

VMG_ID = b"DVDVIDEO-VMG"
VTS_ID = b"DVDVIDEO-VTS"

T = TypeVar("T")


@dataclass(frozen=True)
class Cell:
    # first_sector is relative to the start of the title set's title VOBs
    # (VTS_nn_1.VOB byte 0 = sector 0)
    first_sector: int
    last_sector: int  # inclusive
    duration: float  # seconds


@dataclass(frozen=True)
class Title:
    number: int  # 1-based, order of the VMG title table (TT_SRPT)
    title_set: int  # VTS number nn
    duration: float  # seconds
    chapters: tuple[float, ...]  # start times in seconds; first is 0.0; len == chapter count
    cells: tuple[Cell, ...]  # in playback order; only angle 1 of multi-angle blocks
    angles: int


class IfoError(ValueError):
    """A malformed or unknown IFO file; the message says which file and what is wrong."""


@dataclass(frozen=True)
class _TitleEntry:
    """One 12-byte TT_SRPT entry of VIDEO_TS.IFO."""

    number: int
    angles: int
    chapters: int
    title_set: int
    vts_ttn: int


@dataclass(frozen=True)
class _CellPlayback:
    cell: Cell
    angle_one: bool  # False for the 2nd… cells of an angle block (the other angles)


@dataclass(frozen=True)
class _Pgc:
    """The parts of one program chain a title needs."""

    duration: float
    program_entry_cells: tuple[int, ...]  # 1-based cell number where each program starts
    cells: tuple[_CellPlayback, ...]


# --- entry point --------------------------------------------------------------------------------


def parse_dvd(read: Callable[[str], bytes]) -> list[Title]:
    """read(name) returns the bytes of a file in VIDEO_TS by its upper-case name, e.g.
    "VIDEO_TS.IFO", "VTS_01_0.IFO"; raises FileNotFoundError if absent. When an .IFO is
    missing or malformed, fall back to its .BUP backup."""
    entries = _with_backup(read, "VIDEO_TS", _parse_vmg)
    titles: list[Title] = []
    for title_set in sorted({e.title_set for e in entries}):
        in_set = [e for e in entries if e.title_set == title_set]
        titles += _with_backup(read, f"VTS_{title_set:02d}_0", _vts_titles_parser(in_set))
    return sorted(titles, key=lambda t: t.number)


def _vts_titles_parser(entries: Sequence[_TitleEntry]) -> Callable[[bytes, str], list[Title]]:
    def parse(data: bytes, name: str) -> list[Title]:
        _check_identifier(data, VTS_ID, name)
        return [_build_title(data, name, entry) for entry in entries]

    return parse


def _with_backup(read: Callable[[str], bytes], stem: str, parse: Callable[[bytes, str], T]) -> T:
    """parse(stem.IFO), or parse(stem.BUP) if the .IFO is missing, unreadable or malformed."""
    failures: list[tuple[str, OSError | IfoError]] = []
    for name in (f"{stem}.IFO", f"{stem}.BUP"):
        try:
            return parse(read(name), name)
        except (OSError, IfoError) as exc:
            failures.append((name, exc))
    errors = [exc for _, exc in failures]
    read_errors = [e for e in errors if isinstance(e, OSError) and not _is_missing(e)]
    if read_errors and not any(isinstance(e, IfoError) for e in errors):
        raise read_errors[0]  # an I/O problem, not a format problem: let the caller see it so
    reasons = "; ".join(_describe(name, exc) for name, exc in failures)
    raise IfoError(f"neither {stem}.IFO nor {stem}.BUP is usable: {reasons}") from errors[-1]


def _is_missing(exc: Exception) -> bool:
    return isinstance(exc, FileNotFoundError)


def _describe(name: str, exc: OSError | IfoError) -> str:
    if isinstance(exc, IfoError):
        return str(exc)  # already names the file
    return f"{name} not found" if _is_missing(exc) else f"{name}: {exc.strerror or exc}"


# --- VIDEO_TS.IFO -------------------------------------------------------------------------------


def _parse_vmg(data: bytes, name: str) -> list[_TitleEntry]:
    _check_identifier(data, VMG_ID, name)
    title_sets = _u16(data, 0x3E, name)  # VMGI_MAT 0x3E: number of title sets
    tt_srpt = _table_start(data, 0xC4, name, "TT_SRPT")  # VMGI_MAT 0xC4: sector of TT_SRPT
    count = _u16(data, tt_srpt, name)  # TT_SRPT 0x00: number of titles
    if not 1 <= count <= 99:
        raise IfoError(f"{name}: TT_SRPT claims {count} titles (1..99 allowed)")
    _need(data, tt_srpt + 8 + 12 * count, name, "TT_SRPT title entries")
    entries = [_title_entry(data, tt_srpt + 8 + 12 * i, i + 1, name) for i in range(count)]
    for entry in entries:
        if entry.title_set > title_sets:
            raise IfoError(f"{name}: title {entry.number} is in title set {entry.title_set} "
                           f"but the disc has {title_sets}")
    return entries


def _title_entry(data: bytes, at: int, number: int, name: str) -> _TitleEntry:
    """TT_SRPT entry: 0 playback type, 1 angles, 2 PTT count (2 bytes), 4 parental mask,
    6 VTS number, 7 VTS_TTN, 8 start sector of the VTS (unused here)."""
    angles, chapters, title_set, vts_ttn = struct.unpack_from(">xBH2xBB", data, at)
    entry = _TitleEntry(number, angles, chapters, title_set, vts_ttn)
    if not 1 <= angles <= 9:
        raise IfoError(f"{name}: title {number} has {angles} angles (1..9 allowed)")
    if not 1 <= chapters <= 999:
        raise IfoError(f"{name}: title {number} has {chapters} chapters (1..999 allowed)")
    if not 1 <= title_set <= 99 or vts_ttn < 1:
        raise IfoError(f"{name}: title {number} points at title set {title_set}, "
                       f"title {vts_ttn} there")
    return entry


# --- VTS_nn_0.IFO -------------------------------------------------------------------------------


def _build_title(data: bytes, name: str, entry: _TitleEntry) -> Title:
    ptts = _ptt_list(data, name, entry.vts_ttn)
    if len(ptts) < entry.chapters:
        raise IfoError(f"{name}: VIDEO_TS.IFO gives title {entry.number} {entry.chapters} "
                       f"chapters but VTS_PTT_SRPT lists {len(ptts)}")
    ptts = ptts[: entry.chapters]
    pgcs = {pgcn: _read_pgc(data, name, pgcn) for pgcn in dict.fromkeys(p for p, _ in ptts)}
    chapters = _chapter_starts(ptts, pgcs, name)
    cells = tuple(c.cell for pgc in pgcs.values() for c in pgc.cells if c.angle_one)
    duration = sum(pgc.duration for pgc in pgcs.values())
    return Title(entry.number, entry.title_set, duration, chapters, cells, entry.angles)


def _chapter_starts(ptts: Sequence[tuple[int, int]], pgcs: dict[int, _Pgc],
                    name: str) -> tuple[float, ...]:
    """Chapter n starts where its program's entry cell starts, counting the PGCs before it
    (in PTT order) at their full playback time."""
    pgc_offsets: dict[int, float] = {}
    elapsed = 0.0
    for pgcn, pgc in pgcs.items():
        pgc_offsets[pgcn] = elapsed
        elapsed += pgc.duration
    return tuple(pgc_offsets[pgcn] + _program_start(pgcs[pgcn], pgcn, pgn, name)
                 for pgcn, pgn in ptts)


def _program_start(pgc: _Pgc, pgcn: int, pgn: int, name: str) -> float:
    """Seconds from the PGC's start to program pgn: the angle-1 cells before its entry cell."""
    if not 1 <= pgn <= len(pgc.program_entry_cells):
        raise IfoError(f"{name}: PGC {pgcn} has no program {pgn} "
                       f"(it has {len(pgc.program_entry_cells)})")
    entry_cell = pgc.program_entry_cells[pgn - 1]
    return sum(c.cell.duration for c in pgc.cells[: entry_cell - 1] if c.angle_one)


def _ptt_list(data: bytes, name: str, vts_ttn: int) -> list[tuple[int, int]]:
    """VTS_PTT_SRPT: 0 title count (2), 4 end address (4, last byte, relative to the table),
    8 one offset (4, relative to the table) per VTS_TTN to its PTTs: (PGCN 2, PGN 2) each."""
    table = _table_start(data, 0xC8, name, "VTS_PTT_SRPT")  # VTSI_MAT 0xC8
    _need(data, table + 8, name, "VTS_PTT_SRPT")
    count, end = struct.unpack_from(">H2xI", data, table)
    if not 1 <= vts_ttn <= count:
        raise IfoError(f"{name}: VTS_PTT_SRPT has {count} titles, title {vts_ttn} wanted")
    _need(data, table + 8 + 4 * count, name, "VTS_PTT_SRPT offsets")
    start = table + struct.unpack_from(">I", data, table + 4 + 4 * vts_ttn)[0]
    stop = table + (struct.unpack_from(">I", data, table + 8 + 4 * vts_ttn)[0]
                    if vts_ttn < count else end + 1)
    if not table + 8 + 4 * count <= start < stop:
        raise IfoError(f"{name}: VTS_PTT_SRPT entry of title {vts_ttn} is empty or misplaced")
    _need(data, stop, name, f"VTS_PTT_SRPT entry of title {vts_ttn}")
    ptts = [struct.unpack_from(">HH", data, at) for at in range(start, stop - 3, 4)]
    return [(int(pgcn), int(pgn)) for pgcn, pgn in ptts]


def _read_pgc(data: bytes, name: str, pgcn: int) -> _Pgc:
    """VTS_PGCIT: 0 PGC count (2), 4 end address (4), 8 one 8-byte search pointer per PGC:
    category (4), offset of the PGC from the table's start (4)."""
    table = _table_start(data, 0xCC, name, "VTS_PGCIT")  # VTSI_MAT 0xCC
    count = _u16(data, table, name)
    if not 1 <= pgcn <= count:
        raise IfoError(f"{name}: VTS_PGCIT has {count} PGCs, PGC {pgcn} wanted")
    _need(data, table + 8 + 8 * count, name, "VTS_PGCIT search pointers")
    pgc = table + struct.unpack_from(">I", data, table + 8 + 8 * pgcn - 4)[0]
    return _parse_pgc(data, pgc, f"{name}: PGC {pgcn}")


def _parse_pgc(data: bytes, at: int, where: str) -> _Pgc:
    """PGC: 2 program count (1), 3 cell count (1), 4 playback time (BCD, 4), 0xE6 offset of
    the program map (2), 0xE8 offset of the cell playback table (2); offsets from the PGC."""
    _need(data, at + 0xEC, where, "PGC header")
    programs, cells = data[at + 2], data[at + 3]
    duration = _bcd_time(data[at + 4 : at + 8], where)
    program_map, cell_table = struct.unpack_from(">HH", data, at + 0xE6)
    if programs == 0 or cells == 0:
        raise IfoError(f"{where}: {programs} programs and {cells} cells; a title needs both")
    if program_map == 0 or cell_table == 0:
        raise IfoError(f"{where}: program map or cell playback table offset is 0")
    _need(data, at + program_map + programs, where, "program map")
    entry_cells = tuple(data[at + program_map : at + program_map + programs])
    if not _program_map_fits(entry_cells, cells):
        raise IfoError(f"{where}: program map {list(entry_cells)} does not fit {cells} cells")
    _need(data, at + cell_table + 24 * cells, where, "cell playback table")
    playback = tuple(_parse_cell(data, at + cell_table + 24 * i, f"{where} cell {i + 1}")
                     for i in range(cells))
    return _Pgc(duration, entry_cells, playback)


def _program_map_fits(entry_cells: tuple[int, ...], cells: int) -> bool:
    """Programs start at increasing cells, all of them in the PGC."""
    increasing = all(a < b for a, b in zip(entry_cells, entry_cells[1:], strict=False))
    return increasing and entry_cells[0] >= 1 and entry_cells[-1] <= cells


def _parse_cell(data: bytes, at: int, where: str) -> _CellPlayback:
    """Cell playback information, 24 bytes: 0 category (bits 7-6 block mode: 0 none, 1 first,
    2 middle, 3 last cell of the block; bits 5-4 block type: 1 angle block), 4 playback time
    (BCD), 8 first VOBU start sector, 12 first ILVU end sector, 16 last VOBU start sector,
    20 last VOBU end sector; sectors relative to the first title VOB."""
    category = data[at]
    block_mode, block_type = category >> 6, (category >> 4) & 0b11
    duration = _bcd_time(data[at + 4 : at + 8], where)
    first, last = struct.unpack_from(">I8xI", data, at + 8)
    if last < first:
        raise IfoError(f"{where}: ends at sector {last} before it starts at {first}")
    other_angle = block_type == 1 and block_mode in (2, 3)  # angle 1 is the block's first cell
    return _CellPlayback(Cell(first, last, duration), angle_one=not other_angle)


# --- shared helpers -----------------------------------------------------------------------------


def _bcd_time(raw: bytes, where: str) -> float:
    """dvd_time_t: hours, minutes, seconds in BCD; the 4th byte has the frame rate in its top
    two bits (01 = 25 fps, 11 = 30 fps i.e. 29.97) and frames in BCD in the low six."""
    hours, minutes, seconds = (_bcd(b, where) for b in raw[:3])
    frames = _bcd(raw[3] & 0x3F, where)
    rate = {1: 25.0, 3: 30000 / 1001}.get(raw[3] >> 6)
    if rate is None and frames:
        raise IfoError(f"{where}: playback time has an unknown frame rate code {raw[3] >> 6}")
    if minutes > 59 or seconds > 59:
        raise IfoError(f"{where}: playback time {raw.hex()} is not a time")
    return hours * 3600 + minutes * 60 + seconds + (frames / rate if rate else 0.0)


def _bcd(byte: int, where: str) -> int:
    high, low = byte >> 4, byte & 0x0F
    if high > 9 or low > 9:
        raise IfoError(f"{where}: {byte:#04x} is not a BCD number")
    return high * 10 + low


def _check_identifier(data: bytes, expected: bytes, name: str) -> None:
    if data[:12] != expected:
        found = f"starts with {data[:12]!r}" if data else "the file is empty"
        raise IfoError(f"{name}: not a {expected.decode()} IFO ({found})")


def _table_start(data: bytes, pointer_at: int, name: str, table: str) -> int:
    """Byte offset of a table from its sector pointer in the IFO header."""
    _need(data, pointer_at + 4, name, "IFO header")
    sector = struct.unpack_from(">I", data, pointer_at)[0]
    if sector == 0 or sector * SECTOR + 8 > len(data):
        raise IfoError(f"{name}: {table} at sector {sector} lies outside the file "
                       f"({len(data)} bytes)")
    return int(sector * SECTOR)


def _u16(data: bytes, at: int, name: str) -> int:
    _need(data, at + 2, name, "IFO")
    return int(struct.unpack_from(">H", data, at)[0])


def _need(data: bytes, end: int, name: str, what: str) -> None:
    """IfoError naming what is cut off, unless data holds at least end bytes."""
    if end > len(data):
        raise IfoError(f"{name}: {what} runs past the end of the file "
                       f"({end} > {len(data)} bytes)")
