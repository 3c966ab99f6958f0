"""Damaged ISO images, made from a genisoimage image by editing one structure each, the
way a bad burn or a bit flipped in a copy damages them (the tests of issue 13 point 6:
pycdlib's KeyError was an internal scan error). Imported as ``yj_isos``."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

SECTOR = 2048
PVD = 16 * SECTOR  # the primary volume descriptor (ECMA-119 8.4)


def make_iso(folder: Path, target: Path, *options: str) -> Path:
    """TOP.MP4 and DIR/LESSON.MP4 (bytes that are not video: only the structure matters)."""
    (folder / "DIR").mkdir(parents=True, exist_ok=True)
    (folder / "TOP.MP4").write_bytes(b"\x01" * 40_000)
    (folder / "DIR" / "LESSON.MP4").write_bytes(b"\x02" * 30_000)
    subprocess.run(["genisoimage", "-quiet", *options, "-V", "DAMAGED", "-o", str(target),
                    str(folder)], check=True, capture_output=True)
    return target


def primary_records(image: bytes | bytearray) -> dict[bytes, int]:
    """Offsets of the primary tree's directory records (ECMA-119 9.1), by identifier."""
    found: dict[bytes, int] = {}

    def walk(extent: int, size: int) -> None:
        pos = extent * SECTOR
        while pos < extent * SECTOR + size:
            length = image[pos]
            if length == 0:  # records never cross a sector: the rest of this one is padding
                pos = (pos // SECTOR + 1) * SECTOR
                continue
            ident = bytes(image[pos + 33:pos + 33 + image[pos + 32]])
            if ident not in (b"\x00", b"\x01"):
                found[ident] = pos
                if image[pos + 25] & 2:
                    walk(*_extent(image, pos))
            pos += length

    walk(*_extent(image, PVD + 156))
    return found


def _extent(image: bytes | bytearray, record: int) -> tuple[int, int]:
    return (struct.unpack_from("<I", image, record + 2)[0],
            struct.unpack_from("<I", image, record + 10)[0])


def file_flagged_as_folder(image: bytearray) -> None:
    """A file's record says "directory": pycdlib looks its extent up in the path table
    and raises KeyError."""
    image[primary_records(image)[b"TOP.MP4;1"] + 25] |= 0x02


def version_not_a_number(image: bytearray) -> None:
    """TOP.MP4;X: pycdlib calls int() on the version and raises ValueError."""
    record = primary_records(image)[b"TOP.MP4;1"]
    image[record + 33 + len(b"TOP.MP4;")] = ord("X")


def folder_cut_inside_a_record(image: bytearray) -> None:
    """DIR's stated size ends 6 bytes into its second record: struct.error in pycdlib."""
    record = primary_records(image)[b"DIR"]
    cut = image[_extent(image, record)[0] * SECTOR] + 6  # past its "." record
    struct.pack_into("<I", image, record + 10, cut)
    struct.pack_into(">I", image, record + 14, cut)


def path_tables_disagree(image: bytearray) -> None:
    """The big-endian path table (ECMA-119 9.4) differs from the little-endian one."""
    table = struct.unpack_from(">I", image, PVD + 148)[0]
    image[table * SECTOR + 2] ^= 0xFF


def folder_without_a_name(image: bytearray) -> None:
    """DIR's identifier is empty: looked up by path it names the root again."""
    image[primary_records(image)[b"DIR"] + 32] = 0


def folder_named_in_gbk(image: bytearray) -> None:
    """DIR renamed 课X in GBK bytes, in its record and both path tables, as Chinese burning
    software writes ISO 9660 names (not damage: a disc that must read)."""
    gbk = "课".encode("gbk") + b"X"
    record = primary_records(image)[b"DIR"]
    image[record + 33:record + 36] = gbk
    for offset in (140, 148):
        table = struct.unpack_from("<I" if offset == 140 else ">I", image, PVD + offset)[0]
        at = bytes(image[table * SECTOR:table * SECTOR + SECTOR]).find(b"DIR")
        image[table * SECTOR + at:table * SECTOR + at + 3] = gbk


def damaged(source: Path, target: Path, mutate: Callable[[bytearray], None]) -> Path:
    image = bytearray(source.read_bytes())
    mutate(image)
    target.write_bytes(bytes(image))
    return target
