"""Detect truncated media files (cut-off downloads) from their container headers.

Station courseware often reaches us through downloads that stopped part-way. When the header
survived, ffprobe still reports the full duration, so a cut-off lecture looks fine until playback
dies in the middle of an activity day. Most containers record how big their structure is, so
comparing that with the file's real size catches these files before they are catalogued.

The checks read only headers: a few KiB per file, found by seeking from one header to the next,
never by scanning the payload, so checking a whole library of multi-GiB recordings stays cheap.

The format is recognised by sniffing the first bytes, never by file extension (station files are
often misnamed). `find_truncation` answers only "does the structure run past the end of the
file?"; for an unknown format or a header too damaged to read it returns None and leaves the
file to ffprobe. Only OSError (unreadable file) escapes; malformed headers never raise.
"""

from __future__ import annotations

import math
import os
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from media.paths import AnyPath, reading

__all__ = ["UNKNOWN_EXPECTED", "Truncation", "find_truncation"]


@dataclass(frozen=True)
class Truncation:
    expected: int  # bytes the container's structure says the file should have (at least)
    actual: int  # bytes the file has


# FLV gives no total size when its onMetaData lacks "filesize"; see _check_flv.
UNKNOWN_EXPECTED = -1

# Bound every walk so a crafted or corrupt file cannot keep us seeking for long.
_MAX_STEPS = 10_000
# Enough bytes to recognise every format below.
_SNIFF_BYTES = 16

_Checker = Callable[[BinaryIO, int], Truncation | None]


def find_truncation(target: int | AnyPath, size: int | None = None) -> Truncation | None:
    """None when the file looks complete or its format cannot tell; a Truncation when the
    structure runs past the end of the file.

    `size` is the file's size when the caller already has it (e.g. from a directory scan);
    otherwise it is taken from the open file.
    """
    with reading(target) as fd, open(fd, "rb", closefd=False) as f:
        f.seek(0)  # a descriptor handed in may have been read already
        if size is None:
            size = os.fstat(f.fileno()).st_size
        checker = _checker_for(f.read(_SNIFF_BYTES))
        if checker is None:
            return None
        return checker(f, size)


def _checker_for(head: bytes) -> _Checker | None:
    if _looks_like_iso_bmff(head):
        return _check_iso_bmff
    if head[:4] in _RIFF_IDS:
        return _check_riff
    if head[:4] == _EBML_MAGIC:
        return _check_matroska
    if head[:16] == _ASF_HEADER_GUID:
        return _check_asf
    if head[:3] == b"FLV":
        return _check_flv
    # MPEG-PS/TS have no size field, RealMedia is rare at stations: nothing to check.
    return None


def _read_at(f: BinaryIO, offset: int, length: int) -> bytes:
    f.seek(offset)
    return f.read(length)


def _u32be(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "big")


def _u32le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _u64le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def _truncation_if_short(expected: int, size: int) -> Truncation | None:
    return Truncation(expected=expected, actual=size) if expected > size else None


# --- ISO base media file format (MP4, MOV, 3GP, M4A) -----------------------------------------

# Boxes that real files start with. Requiring one keeps text files and random bytes from
# being read as a box whose "size" happens to exceed the file.
_ISO_BMFF_FIRST_BOXES = frozenset(
    b"ftyp styp moov mdat free skip wide pnot uuid sidx moof pdin".split()
)


def _looks_like_iso_bmff(head: bytes) -> bool:
    if len(head) < 8 or head[4:8] not in _ISO_BMFF_FIRST_BOXES:
        return False
    box_size = _u32be(head, 0)
    return box_size in (0, 1) or box_size >= 8


def _is_fourcc(box_type: bytes) -> bool:
    return len(box_type) == 4 and all(0x20 <= b <= 0x7E for b in box_type)


def _check_iso_bmff(f: BinaryIO, size: int) -> Truncation | None:
    """Walk the top-level boxes; the first one that ends past EOF is the truncation.

    A walk that ends exactly at EOF is complete as far as boxes go, even when `moov` is missing
    (an mdat-only file): ffprobe rejects that file itself ("moov atom not found"), so this
    function reports only what ffprobe cannot see.
    """
    pos = 0
    for _ in range(_MAX_STEPS):
        if size - pos < 8:
            # Clean end of the walk, or a few trailing bytes too short to be a box header.
            return None
        header = _read_at(f, pos, 16)
        box_size = _u32be(header, 0)
        if len(header) < 8 or not _is_fourcc(header[4:8]):
            # Junk after the last box (zero padding from download managers, say), or a walk
            # that lost its footing: either way nothing trustworthy to compare.
            return None
        if box_size == 0:
            return None  # "extends to end of file" by definition
        if box_size == 1:
            if len(header) < 16:
                return Truncation(expected=pos + 16, actual=size)  # cut inside the largesize
            box_size = int.from_bytes(header[8:16], "big")
            if box_size < 16:
                return None
        elif box_size < 8:
            return None
        if pos + box_size > size:
            return Truncation(expected=pos + box_size, actual=size)
        pos += box_size
    return None


# --- RIFF (AVI, WAV) ----------------------------------------------------------------------------

# RF64 and BW64 are the >4 GiB WAV variants; their real size lives in a ds64 chunk.
_RIFF_IDS = frozenset({b"RIFF", b"RF64", b"BW64"})
# Placeholders that streaming writers (ffmpeg to a pipe, recorders) leave in the size field.
_RIFF_UNKNOWN_SIZES = frozenset({0, 0xFFFFFFFF})


def _check_riff(f: BinaryIO, size: int) -> Truncation | None:
    """Walk consecutive RIFF chunks: AVI files over 1 GiB continue in 'RIFF AVIX' chunks.

    Anything after the last RIFF chunk is tolerated (some tools append junk or index data);
    only a chunk that ends past EOF counts.
    """
    pos = 0
    for _ in range(_MAX_STEPS):
        if size - pos < 8:
            return None
        header = _read_at(f, pos, 8)
        if len(header) < 8 or header[:4] not in _RIFF_IDS:
            return None
        declared = _u32le(header, 4)
        body_size: int | None = declared
        if header[:4] != b"RIFF" and declared == 0xFFFFFFFF:
            body_size = _ds64_riff_size(f, pos)
        if body_size is None or body_size in _RIFF_UNKNOWN_SIZES or body_size < 4:
            return None
        end = pos + 8 + body_size
        if end > size:
            # Compared without the pad byte of an odd-sized chunk: many writers omit it at EOF.
            return Truncation(expected=end, actual=size)
        pos = end + (body_size & 1)
    return None


def _ds64_riff_size(f: BinaryIO, riff_pos: int) -> int | None:
    # RF64/BW64: 'RF64' <-1> 'WAVE' 'ds64' <chunk size> <riffSize: u64> ...
    ds64 = _read_at(f, riff_pos + 12, 16)
    if len(ds64) < 16 or ds64[:4] != b"ds64":
        return None
    return _u64le(ds64, 8)


# --- Matroska / WebM (EBML) ---------------------------------------------------------------------

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_HEADER_ID = 0x1A45DFA3
_SEGMENT_ID = 0x18538067
# Elements allowed between the EBML header and the Segment.
_VOID_ID = 0xEC
_CRC32_ID = 0xBF
# An element header is at most a 4-byte id plus an 8-byte size.
_EBML_ELEMENT_HEADER_MAX = 12


@dataclass(frozen=True)
class _EbmlElement:
    element_id: int
    data_start: int  # file offset of the element's payload
    data_size: int | None  # None: "unknown size" (all value bits set), used by live streams


def _vint_length(first_byte: int) -> int:
    """Bytes in an EBML variable-length integer: one more than the leading zero bits.

    0 for a zero first byte, which would need more than the 8 bytes EBML allows.
    """
    return 9 - first_byte.bit_length() if first_byte else 0


def _read_ebml_element(f: BinaryIO, pos: int) -> _EbmlElement | None:
    buf = _read_at(f, pos, _EBML_ELEMENT_HEADER_MAX)
    if not buf:
        return None
    id_length = _vint_length(buf[0])
    if not 1 <= id_length <= 4 or len(buf) <= id_length:
        return None
    # Ids keep their length-marker bits: 0x18538067 is the Segment id as written.
    element_id = int.from_bytes(buf[:id_length], "big")
    size_length = _vint_length(buf[id_length])
    size_end = id_length + size_length
    if size_length == 0 or len(buf) < size_end:
        return None
    value_mask = (1 << (7 * size_length)) - 1
    value = int.from_bytes(buf[id_length:size_end], "big") & value_mask
    return _EbmlElement(
        element_id=element_id,
        data_start=pos + size_end,
        data_size=None if value == value_mask else value,
    )


def _check_matroska(f: BinaryIO, size: int) -> Truncation | None:
    """Compare the Segment's declared end (it holds everything after the EBML header)."""
    element = _read_ebml_element(f, 0)
    if element is None or element.element_id != _EBML_HEADER_ID or element.data_size is None:
        return None
    pos = element.data_start + element.data_size
    for _ in range(_MAX_STEPS):
        if pos >= size:
            return None
        element = _read_ebml_element(f, pos)
        if element is None or element.data_size is None:
            # Unknown-size Segment (live recording): the size cannot tell.
            return None
        if element.element_id == _SEGMENT_ID:
            return _truncation_if_short(element.data_start + element.data_size, size)
        if element.element_id not in (_VOID_ID, _CRC32_ID):
            return None
        pos = element.data_start + element.data_size
    return None


# --- ASF (WMV, WMA) -----------------------------------------------------------------------------

# GUIDs are stored with their first three fields little-endian, hence bytes_le.
_ASF_HEADER_GUID = uuid.UUID("75B22630-668E-11CF-A6D9-00AA0062CE6C").bytes_le
_ASF_FILE_PROPERTIES_GUID = uuid.UUID("8CABDCA1-A947-11CF-8EE4-00C00C205365").bytes_le
_ASF_DATA_GUID = uuid.UUID("75B22636-668E-11CF-A6D9-00AA0062CE6C").bytes_le
# Header Object: GUID, size (u64), number of header objects (u32), two reserved bytes.
_ASF_HEADER_FIXED = 30
# Every object starts with its GUID and a u64 size.
_ASF_OBJECT_HEADER = 24
# File Properties Object: GUID, size, file id GUID, then the fields we read.
_ASF_FILE_SIZE_OFFSET = 40
_ASF_FLAGS_OFFSET = 88
_ASF_BROADCAST_FLAG = 0x1
# Data Object: GUID, size, file id GUID, total packets (u64), reserved (u16).
_ASF_DATA_OBJECT_MIN = 50


def _check_asf(f: BinaryIO, size: int) -> Truncation | None:
    """Compare the File Properties' File Size and the Data Object's end with the file size."""
    header = _read_at(f, 0, _ASF_HEADER_FIXED)
    if len(header) < _ASF_HEADER_FIXED:
        return None
    header_size = _u64le(header, 16)
    if header_size < _ASF_HEADER_FIXED:
        return None
    if header_size > size:
        return Truncation(expected=header_size, actual=size)
    declared_file_size = _asf_declared_file_size(f, header_size, _u32le(header, 24))
    if declared_file_size is None:
        # No File Properties, or a broadcast (live) file whose sizes are invalid by spec.
        return None
    return _truncation_if_short(max(declared_file_size, _asf_data_end(f, header_size)), size)


def _asf_declared_file_size(f: BinaryIO, header_size: int, object_count: int) -> int | None:
    properties_pos = _find_asf_header_object(
        f, header_size, object_count, _ASF_FILE_PROPERTIES_GUID
    )
    if properties_pos is None:
        return None
    properties = _read_at(f, properties_pos, _ASF_FLAGS_OFFSET + 4)
    if len(properties) < _ASF_FLAGS_OFFSET + 4:
        return None
    if _u32le(properties, _ASF_FLAGS_OFFSET) & _ASF_BROADCAST_FLAG:
        return None
    return _u64le(properties, _ASF_FILE_SIZE_OFFSET)


def _find_asf_header_object(
    f: BinaryIO, header_size: int, object_count: int, guid: bytes
) -> int | None:
    """File offset of the header sub-object with this GUID, walking sub-object sizes."""
    pos = _ASF_HEADER_FIXED
    for _ in range(min(object_count, _MAX_STEPS)):
        if pos + _ASF_OBJECT_HEADER > header_size:
            return None
        object_header = _read_at(f, pos, _ASF_OBJECT_HEADER)
        if len(object_header) < _ASF_OBJECT_HEADER:
            return None
        if object_header[:16] == guid:
            return pos
        object_size = _u64le(object_header, 16)
        if object_size < _ASF_OBJECT_HEADER:
            return None
        pos += object_size
    return None


def _asf_data_end(f: BinaryIO, header_size: int) -> int:
    """End of the Data Object that follows the header; 0 when it is absent or implausible."""
    data_header = _read_at(f, header_size, _ASF_OBJECT_HEADER)
    if len(data_header) < _ASF_OBJECT_HEADER or data_header[:16] != _ASF_DATA_GUID:
        return 0
    data_size = _u64le(data_header, 16)
    return header_size + data_size if data_size >= _ASF_DATA_OBJECT_MIN else 0


# --- FLV ----------------------------------------------------------------------------------------

_FLV_TAG_HEADER = 11
_FLV_TAG_TYPES = frozenset({8, 9, 18})  # audio, video, script data
_FLV_SCRIPT_TAG = 18
# Enough for ffmpeg's onMetaData; metadata injectors that put big keyframe tables before
# "filesize" simply lose that hint.
_FLV_METADATA_READ_MAX = 8192
# AMF0 object key "filesize" (u16 length + name) followed by the Number type marker.
_AMF_FILESIZE_KEY = b"\x00\x08filesize\x00"


def _check_flv(f: BinaryIO, size: int) -> Truncation | None:
    """FLV has no reliable total size, so judge by the tag chain's back-pointers.

    Every tag is followed by a u32 PreviousTagSize (= 11 + DataSize), so a complete file ends
    with one that points back at a well-formed tag header. A cut at an arbitrary byte leaves
    payload bytes there instead, which almost never point at a matching header.

    Choice: a broken tail alone is not enough, because some old encoders wrote wrong
    back-pointers and some tools append junk. We report a truncation only when a second signal
    backs it:
    - onMetaData has a "filesize" (ffmpeg, most metadata injectors): it decides, and becomes
      `expected` (a size not above the file's means junk was appended: None);
    - without one, the first tag's back-pointer is right, so this writer does write correct
      ones: expected = -1 (UNKNOWN_EXPECTED), as nothing says how long the file should be.
    Otherwise None. A cut that lands exactly on a tag boundary is invisible by design.
    """
    header = _read_at(f, 0, 9)
    if len(header) < 9:
        return None
    first_tag = _u32be(header, 5) + 4  # the header, then PreviousTagSize0
    if first_tag < 13 or size <= first_tag:
        return None
    if _flv_tail_is_complete(f, size, first_tag):
        return None
    declared_size = _flv_metadata_filesize(f, first_tag)
    if declared_size is not None:
        # Not above the file size: the tail is junk appended to a complete file.
        return _truncation_if_short(declared_size, size)
    if _flv_first_tag_is_complete(f, first_tag, size):
        return Truncation(expected=UNKNOWN_EXPECTED, actual=size)
    return None


def _flv_tag_data_size(tag_header: bytes) -> int | None:
    """DataSize of a plausible tag header; None when the bytes are not one."""
    if len(tag_header) < _FLV_TAG_HEADER or tag_header[0] & 0x1F not in _FLV_TAG_TYPES:
        return None
    return int.from_bytes(tag_header[1:4], "big")


def _flv_tail_is_complete(f: BinaryIO, size: int, first_tag: int) -> bool:
    last_tag_size = _u32be(_read_at(f, size - 4, 4), 0)
    last_tag = size - 4 - last_tag_size
    if last_tag_size < _FLV_TAG_HEADER or last_tag < first_tag:
        return False
    data_size = _flv_tag_data_size(_read_at(f, last_tag, _FLV_TAG_HEADER))
    return data_size == last_tag_size - _FLV_TAG_HEADER


def _flv_first_tag_is_complete(f: BinaryIO, first_tag: int, size: int) -> bool:
    data_size = _flv_tag_data_size(_read_at(f, first_tag, _FLV_TAG_HEADER))
    if data_size is None:
        return False
    back_pointer_pos = first_tag + _FLV_TAG_HEADER + data_size
    if back_pointer_pos + 4 > size:
        return False
    back_pointer = _u32be(_read_at(f, back_pointer_pos, 4), 0)
    return back_pointer == _FLV_TAG_HEADER + data_size


def _flv_metadata_filesize(f: BinaryIO, first_tag: int) -> int | None:
    """onMetaData's "filesize" when the first tag is script data that has a sane one."""
    tag_header = _read_at(f, first_tag, _FLV_TAG_HEADER)
    data_size = _flv_tag_data_size(tag_header)
    if data_size is None or tag_header[0] & 0x1F != _FLV_SCRIPT_TAG:
        return None
    # A byte search rather than an AMF0 parser: the key is distinctive, and a false hit can
    # only matter together with a broken tail.
    body = f.read(min(data_size, _FLV_METADATA_READ_MAX))
    at = body.find(_AMF_FILESIZE_KEY)
    if at < 0 or at + len(_AMF_FILESIZE_KEY) + 8 > len(body):
        return None
    number_at = at + len(_AMF_FILESIZE_KEY)
    (value,) = struct.unpack(">d", body[number_at : number_at + 8])
    # ffmpeg writes 0 when it could not seek back to fill the size in.
    if not math.isfinite(value) or not 0 < value < 2**63:
        return None
    return int(value)
