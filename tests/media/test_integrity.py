"""Tests for media.integrity: real files made by ffmpeg, cut the way failed downloads are cut."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import uuid
from pathlib import Path

import pytest

from media.integrity import UNKNOWN_EXPECTED, Truncation, find_truncation

_LAVFI_AV = [
    "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
    "-f", "lavfi", "-i", "sine=duration=2",
]  # fmt: skip
_LAVFI_AUDIO = ["-f", "lavfi", "-i", "sine=duration=2"]
_VP9_FAST = ["-deadline", "realtime", "-cpu-used", "8"]

# name -> (file name, ffmpeg arguments between the inputs and the output file)
_SAMPLES: dict[str, tuple[str, list[str]]] = {
    "mp4": ("plain.mp4", [*_LAVFI_AV, "-c:v", "libx264", "-c:a", "aac"]),
    "mp4-faststart": (
        "faststart.mp4",
        [*_LAVFI_AV, "-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart"],
    ),
    "mov": ("clip.mov", [*_LAVFI_AV, "-c:v", "libx264", "-c:a", "aac"]),
    "m4a": ("audio.m4a", [*_LAVFI_AUDIO, "-c:a", "aac"]),
    "avi": ("clip.avi", [*_LAVFI_AV, "-c:v", "mpeg4", "-c:a", "libmp3lame"]),
    "wav": ("audio.wav", [*_LAVFI_AUDIO]),
    "mkv": ("clip.mkv", [*_LAVFI_AV, "-c:v", "libx264", "-c:a", "aac"]),
    "webm": ("clip.webm", [*_LAVFI_AV, "-c:v", "libvpx-vp9", *_VP9_FAST, "-c:a", "libopus"]),
    "wmv": ("clip.wmv", [*_LAVFI_AV, "-c:v", "wmv2", "-c:a", "wmav2"]),
    "flv": ("clip.flv", [*_LAVFI_AV, "-c:v", "flv", "-c:a", "libmp3lame", "-ar", "44100"]),
    "flv-no-metadata": (
        "bare.flv",
        [*_LAVFI_AV, "-c:v", "flv", "-c:a", "libmp3lame", "-ar", "44100"]
        + ["-flvflags", "no_metadata"],
    ),
}

# Samples whose structure declares the whole file, so a cut one expects exactly the original
# size. The others: plain mp4/mov/m4a put moov after mdat, so a cut inside mdat expects mdat's
# end; an FLV without onMetaData has no size anywhere.
_DECLARES_WHOLE_FILE = {"mp4-faststart", "avi", "wav", "mkv", "webm", "wmv", "flv"}
_MOOV_LAST = {"mp4", "mov", "m4a"}


def _ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", *map(str, args)], check=True)


def _ffmpeg_to_pipe(*args: str) -> bytes:
    """ffmpeg writing to a pipe, as a live recorder would: it cannot seek back to fill sizes."""
    command = ["ffmpeg", "-nostdin", "-v", "error", *args, "pipe:1"]
    return subprocess.run(command, check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("ffmpeg/ffprobe not on PATH")
    directory = tmp_path_factory.mktemp("integrity-samples")
    made = {}
    for name, (file_name, args) in _SAMPLES.items():
        made[name] = directory / file_name
        _ffmpeg(*args, made[name])
    return made


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _cut(source: Path, length: int, directory: Path) -> Path:
    return _write(directory / f"cut-{length}-{source.name}", source.read_bytes()[:length])


def _top_level_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of the top-level boxes of a small, well-formed MP4 (32-bit sizes)."""
    boxes, pos = [], 0
    while pos < len(data):
        (box_size,) = struct.unpack(">I", data[pos : pos + 4])
        boxes.append((data[pos + 4 : pos + 8], pos, pos + box_size))
        pos += box_size
    return boxes


def _box_span(data: bytes, box_type: bytes) -> tuple[int, int]:
    return next((start, end) for kind, start, end in _top_level_boxes(data) if kind == box_type)


# --- real files: complete and cut ---------------------------------------------------------------


@pytest.mark.ffmpeg
@pytest.mark.parametrize("name", list(_SAMPLES))
def test_complete_file_is_not_truncated(samples: dict[str, Path], name: str) -> None:
    assert find_truncation(samples[name]) is None


@pytest.mark.ffmpeg
@pytest.mark.parametrize("name", list(_SAMPLES))
def test_file_cut_to_sixty_percent_is_truncated(
    samples: dict[str, Path], name: str, tmp_path: Path
) -> None:
    full = samples[name].read_bytes()
    cut_size = len(full) * 6 // 10
    result = find_truncation(_cut(samples[name], cut_size, tmp_path))

    assert isinstance(result, Truncation)
    assert result.actual == cut_size
    if name in _DECLARES_WHOLE_FILE:
        assert result.expected == len(full)
    elif name in _MOOV_LAST:
        assert result.expected == _box_span(full, b"mdat")[1]
    else:
        assert result.expected == UNKNOWN_EXPECTED


@pytest.mark.ffmpeg
def test_sample_mp4s_have_the_box_order_the_cut_tests_assume(samples: dict[str, Path]) -> None:
    def order(name: str) -> list[bytes]:
        kinds = [kind for kind, _, _ in _top_level_boxes(samples[name].read_bytes())]
        return [kind for kind in kinds if kind in (b"moov", b"mdat")]

    assert order("mp4") == [b"mdat", b"moov"]
    assert order("mp4-faststart") == [b"moov", b"mdat"]


@pytest.mark.ffmpeg
def test_cut_of_the_whole_moov_is_left_to_ffprobe(samples: dict[str, Path], tmp_path: Path) -> None:
    # Cut exactly where moov (the last box) starts: every remaining box is complete, so by the
    # module's rule this is not a truncation; ffprobe must then be the one to reject it.
    full = samples["mp4"].read_bytes()
    moov_start, moov_end = _box_span(full, b"moov")
    assert moov_end == len(full)
    no_moov = _cut(samples["mp4"], moov_start, tmp_path)

    assert find_truncation(no_moov) is None
    probe = subprocess.run(["ffprobe", "-v", "error", str(no_moov)], capture_output=True)
    assert probe.returncode != 0
    assert b"moov atom not found" in probe.stderr


@pytest.mark.ffmpeg
def test_cut_inside_moov_is_truncated(samples: dict[str, Path], tmp_path: Path) -> None:
    full = samples["mp4"].read_bytes()
    moov_start, moov_end = _box_span(full, b"moov")
    cut_size = moov_start + 100

    assert find_truncation(_cut(samples["mp4"], cut_size, tmp_path)) == Truncation(
        expected=moov_end, actual=cut_size
    )


@pytest.mark.ffmpeg
@pytest.mark.parametrize("name", list(_SAMPLES))
def test_every_cut_gives_none_or_a_consistent_truncation(
    samples: dict[str, Path], name: str, tmp_path: Path
) -> None:
    # Cuts through the headers byte by byte, then through the payload: never an exception,
    # never a "truncation" that does not run past the cut.
    full = samples[name].read_bytes()
    cuts = [*range(300), *range(300, len(full), 997)]
    target = tmp_path / "cut"
    for cut_size in cuts:
        result = find_truncation(_write(target, full[:cut_size]))
        assert result is None or (
            result.actual == cut_size
            and (result.expected > cut_size or result.expected == UNKNOWN_EXPECTED)
        ), (cut_size, result)


@pytest.mark.ffmpeg
@pytest.mark.parametrize("name", list(_SAMPLES))
def test_corrupted_headers_never_raise(samples: dict[str, Path], name: str, tmp_path: Path) -> None:
    full = samples[name].read_bytes()
    rng = random.Random(f"corrupt-{name}")
    target = tmp_path / "corrupt"
    for _ in range(300):
        data = bytearray(full[: rng.choice([64, 512, 4096, len(full)])])
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(min(len(data), 256))] = rng.randrange(256)
        result = find_truncation(_write(target, bytes(data)))
        assert result is None or result.actual == len(data)


# --- format-specific behaviour ------------------------------------------------------------------


def _riff(form: bytes, body: bytes) -> bytes:
    size = 4 + len(body)
    return b"RIFF" + struct.pack("<I", size) + form + body + b"\0" * (size & 1)


@pytest.mark.ffmpeg
def test_avi_continued_in_avix_chunks_is_walked(samples: dict[str, Path], tmp_path: Path) -> None:
    # AVI files over 1 GiB continue in 'RIFF AVIX' chunks; a cut in one of those must be found.
    avix = _riff(b"AVIX", b"LIST" + struct.pack("<I", 4 + 5000) + b"movi" + b"\0" * 5000)
    data = samples["avi"].read_bytes() + avix
    assert find_truncation(_write(tmp_path / "big.avi", data)) is None

    cut_size = len(data) - 1000
    cut = _write(tmp_path / "big-cut.avi", data[:cut_size])
    assert find_truncation(cut) == Truncation(expected=len(data), actual=cut_size)


@pytest.mark.ffmpeg
def test_riff_with_junk_at_the_end_is_not_truncated(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    for name in ("avi", "wav"):
        longer = samples[name].read_bytes() + b"\0" * 3000 + b"junk"
        assert find_truncation(_write(tmp_path / f"longer-{name}", longer)) is None


def test_riff_odd_size_with_or_without_pad_byte_is_complete(tmp_path: Path) -> None:
    wav = _riff(b"WAVE", b"data" + struct.pack("<I", 3) + b"abc")
    assert len(wav) % 2 == 0  # _riff added the pad byte
    assert find_truncation(_write(tmp_path / "padded.wav", wav)) is None
    assert find_truncation(_write(tmp_path / "unpadded.wav", wav[:-1])) is None
    assert find_truncation(_write(tmp_path / "short.wav", wav[:-2])) == Truncation(
        expected=len(wav) - 1, actual=len(wav) - 2
    )


def test_rf64_size_is_read_from_ds64(tmp_path: Path) -> None:
    ds64 = b"ds64" + struct.pack("<IQQQI", 28, 4 + 36 + 8 + 100, 100, 25, 0)
    rf64 = b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + ds64
    data = rf64 + b"data" + struct.pack("<I", 0xFFFFFFFF) + b"\1" * 100
    assert len(data) == 8 + 4 + 36 + 8 + 100
    assert find_truncation(_write(tmp_path / "big.wav", data)) is None
    assert find_truncation(_write(tmp_path / "big-cut.wav", data[:90])) == Truncation(
        expected=len(data), actual=90
    )


@pytest.mark.ffmpeg
def test_wav_streamed_to_a_pipe_has_no_size_to_check(tmp_path: Path) -> None:
    # ffmpeg leaves 0xFFFFFFFF in the RIFF size when it cannot seek back.
    data = _ffmpeg_to_pipe(*_LAVFI_AUDIO, "-f", "wav")
    assert data[4:8] == b"\xff\xff\xff\xff"
    assert find_truncation(_write(tmp_path / "piped.wav", data[: len(data) // 2])) is None


@pytest.mark.ffmpeg
def test_matroska_with_unknown_segment_size_cannot_tell(tmp_path: Path) -> None:
    data = _ffmpeg_to_pipe(*_LAVFI_AV, "-c:v", "libx264", "-c:a", "aac", "-f", "matroska")
    assert b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" in data[:100]  # unknown size
    assert find_truncation(_write(tmp_path / "live.mkv", data)) is None
    assert find_truncation(_write(tmp_path / "live-cut.mkv", data[: len(data) // 2])) is None


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    return element_id + bytes([0x80 | len(payload)]) + payload  # 1-byte size, payload < 127


def test_matroska_skips_void_before_segment_and_parses_long_sizes(tmp_path: Path) -> None:
    header = _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x82", b"webm"))
    void = _ebml(b"\xec", b"\0" * 10)
    # Segment size written in 4 bytes (0x10 marker): 300 bytes of payload.
    segment = b"\x18\x53\x80\x67" + bytes([0x10, 0, 0x01, 0x2C]) + b"\x42" * 300
    data = header + void + segment
    assert find_truncation(_write(tmp_path / "ok.webm", data)) is None
    assert find_truncation(_write(tmp_path / "cut.webm", data[:-1])) == Truncation(
        expected=len(data), actual=len(data) - 1
    )


_ASF_FILE_PROPERTIES = uuid.UUID("8CABDCA1-A947-11CF-8EE4-00C00C205365").bytes_le


@pytest.mark.ffmpeg
def test_asf_file_properties_guid_is_stored_little_endian(samples: dict[str, Path]) -> None:
    # The GUID's first three fields are little-endian on disk: a1 dc ab 8c ..., not 8c ab dc a1.
    header = samples["wmv"].read_bytes()[:4096]
    assert header.find(_ASF_FILE_PROPERTIES) > 0
    assert header.find(bytes.fromhex("8CABDCA1A94711CF8EE400C00C205365")) < 0


@pytest.mark.ffmpeg
def test_asf_data_object_end_is_checked_too(samples: dict[str, Path], tmp_path: Path) -> None:
    # Zero the File Size field: the Data Object's declared end still reveals the cut.
    data = bytearray(samples["wmv"].read_bytes())
    properties = data.find(_ASF_FILE_PROPERTIES)
    data[properties + 40 : properties + 48] = bytes(8)
    data_object = data.find(uuid.UUID("75B22636-668E-11CF-A6D9-00AA0062CE6C").bytes_le)
    (data_size,) = struct.unpack("<Q", data[data_object + 16 : data_object + 24])
    cut_size = len(data) * 6 // 10

    result = find_truncation(_write(tmp_path / "cut.wmv", bytes(data[:cut_size])))
    assert result == Truncation(expected=data_object + data_size, actual=cut_size)


@pytest.mark.ffmpeg
def test_asf_broadcast_file_sizes_are_ignored(samples: dict[str, Path], tmp_path: Path) -> None:
    # With the Broadcast flag set, the spec says File Size and Data Object size are invalid.
    data = bytearray(samples["wmv"].read_bytes())
    flags_at = data.find(_ASF_FILE_PROPERTIES) + 88
    data[flags_at] |= 0x01
    cut = _write(tmp_path / "live.wmv", bytes(data[: len(data) * 6 // 10]))
    assert find_truncation(cut) is None


@pytest.mark.ffmpeg
def test_flv_with_junk_after_the_last_tag_is_not_truncated(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    # The tail no longer points back at a tag, but onMetaData's filesize says all is there.
    longer = samples["flv"].read_bytes() + b"\x17" * 1234
    assert find_truncation(_write(tmp_path / "longer.flv", longer)) is None


@pytest.mark.ffmpeg
def test_flv_streamed_to_a_pipe_has_filesize_zero_and_uses_back_pointers(
    tmp_path: Path,
) -> None:
    data = _ffmpeg_to_pipe(
        *_LAVFI_AV, "-c:v", "flv", "-c:a", "libmp3lame", "-ar", "44100", "-f", "flv"
    )
    assert find_truncation(_write(tmp_path / "live.flv", data)) is None
    cut_size = len(data) * 6 // 10
    assert find_truncation(_write(tmp_path / "live-cut.flv", data[:cut_size])) == Truncation(
        expected=UNKNOWN_EXPECTED, actual=cut_size
    )


def test_flv_with_wrong_back_pointers_everywhere_is_not_judged(tmp_path: Path) -> None:
    # Writers that get PreviousTagSize wrong get no verdict: their tail proves nothing.
    def tag(kind: int, payload: bytes) -> bytes:
        return bytes([kind]) + len(payload).to_bytes(3, "big") + bytes(7) + payload

    header = b"FLV\x01\x05" + struct.pack(">I", 9) + bytes(4)
    tags = [tag(9, b"\x12" * 40), tag(8, b"\x2f" * 30), tag(9, b"\x22" * 50)]
    wrong = header + b"".join(t + struct.pack(">I", len(t) - 11) for t in tags)
    right = header + b"".join(t + struct.pack(">I", len(t)) for t in tags)

    assert find_truncation(_write(tmp_path / "right.flv", right)) is None
    assert find_truncation(_write(tmp_path / "right-cut.flv", right[:-20])) == Truncation(
        expected=UNKNOWN_EXPECTED, actual=len(right) - 20
    )
    assert find_truncation(_write(tmp_path / "wrong-cut.flv", wrong[:-20])) is None


# --- garbage, paths and arguments ---------------------------------------------------------------


def test_text_file_named_mp4_is_not_judged(tmp_path: Path) -> None:
    text = "第一课 党的基本理论\nLesson 1: this is not a video at all.\n" * 20
    assert find_truncation(_write(tmp_path / "lesson.mp4", text.encode())) is None


def test_empty_file_is_not_judged(tmp_path: Path) -> None:
    assert find_truncation(_write(tmp_path / "empty.mp4", b"")) is None


def test_random_bytes_are_not_judged(tmp_path: Path) -> None:
    rng = random.Random(20240501)
    for index in range(200):
        data = rng.randbytes(rng.randrange(1, 5000))
        assert find_truncation(_write(tmp_path / f"noise-{index}.mp4", data)) is None


def test_eight_byte_box_claiming_a_gigabyte_is_truncated(tmp_path: Path) -> None:
    stub = _write(tmp_path / "stub.mp4", struct.pack(">I", 2**30) + b"ftyp")
    assert find_truncation(stub) == Truncation(expected=2**30, actual=8)


def test_mp4_64_bit_largesize_is_read_without_reading_the_payload(tmp_path: Path) -> None:
    # A sparse 3 GiB file whose mdat claims 5 GiB via a 64-bit largesize: only headers are read.
    ftyp = struct.pack(">I", 16) + b"ftypisom" + bytes(4)
    mdat = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 5 * 2**30)
    path = tmp_path / "huge.mp4"
    with open(path, "wb") as f:
        f.write(ftyp + mdat)
        f.truncate(3 * 2**30)
    assert find_truncation(path) == Truncation(expected=16 + 5 * 2**30, actual=3 * 2**30)


@pytest.mark.ffmpeg
def test_bytes_path_with_gbk_name_is_accepted(samples: dict[str, Path], tmp_path: Path) -> None:
    # Station disks come from Windows machines: names are GBK bytes, not valid UTF-8.
    gbk_path = bytes(tmp_path) + b"/" + "党员教育第一课.mp4".encode("gbk")
    data = samples["mp4-faststart"].read_bytes()
    cut_size = len(data) - 1000  # inside mdat, the last box
    with open(gbk_path, "wb") as f:
        f.write(data[:cut_size])
    assert find_truncation(gbk_path) == Truncation(expected=len(data), actual=cut_size)


@pytest.mark.ffmpeg
def test_size_argument_is_used_as_the_actual_size(samples: dict[str, Path]) -> None:
    # Callers that already stat'ed the file pass its size; a smaller one means "this much".
    full_size = samples["mkv"].stat().st_size
    assert find_truncation(samples["mkv"], size=full_size) is None
    assert find_truncation(samples["mkv"], size=full_size - 1) == Truncation(
        expected=full_size, actual=full_size - 1
    )


def test_unreadable_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        find_truncation(tmp_path / "missing.mp4")
