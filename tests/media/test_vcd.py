"""media.vcd: cue sheets, and VCD tracks read in place from real vcdimager images.

The image tests burn two short VCD-compliant MPEG-1 clips with vcdimager and read the
tracks back through ``VcdTrackSource``, comparing against a plain reference de-framer
written here and asking ffprobe what the de-framed bytes are.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from media.sources import SourceUnreadable
from media.vcd import (
    FORM2_DATA,
    FORM2_OFFSET,
    RAW_SECTOR,
    CueError,
    CueTrack,
    VcdTrack,
    VcdTrackSource,
    check_track,
    is_form2,
    parse_cue,
    read_cue,
    trim_margins,
    vcd_tracks,
)

MIB = 1024 * 1024
SYNC = b"\x00" + b"\xff" * 10 + b"\x00"
CHINESE_BIN = "党课光盘.bin"


# -- helpers --------------------------------------------------------------------------------


def reference_deframe(bin_path: Path | bytes, first: int, count: int) -> bytes:
    """The obvious de-framer: every sector's bytes 24..2348, checked to be Mode 2 Form 2."""
    data = Path(os.fsdecode(bin_path)).read_bytes()
    payloads = []
    for sector in range(first, first + count):
        raw = data[sector * RAW_SECTOR : (sector + 1) * RAW_SECTOR]
        assert len(raw) == RAW_SECTOR
        assert raw[:12] == SYNC and raw[15] == 2, f"sector {sector} is not a Mode 2 sector"
        assert raw[18] & 0x20, f"sector {sector} is not Form 2"
        payloads.append(raw[FORM2_OFFSET : FORM2_OFFSET + FORM2_DATA])
    return b"".join(payloads)


def read_in_chunks(source: VcdTrackSource, chunk: int = MIB) -> bytes:
    parts = []
    for offset in range(0, source.size, chunk):
        part = source.read_at(offset, chunk)
        assert len(part) == min(chunk, source.size - offset)
        parts.append(part)
    assert source.read_at(source.size, chunk) == b""
    return b"".join(parts)


def ffprobe_json(*args: str, stdin: bytes | None = None) -> dict[str, object]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", *args],
        input=stdin, capture_output=True, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout)
    return result


def video_stream(probed: dict[str, object]) -> dict[str, object]:
    streams = probed["streams"]
    assert isinstance(streams, list)
    videos = [s for s in streams if s["codec_type"] == "video"]
    assert len(videos) == 1, streams
    stream: dict[str, object] = videos[0]
    return stream


def duration(probed: dict[str, object]) -> float:
    fmt = probed["format"]
    assert isinstance(fmt, dict)
    return float(fmt["duration"])


def make_sector(payload: bytes, submode: int = 0x20, mode: int = 2) -> bytes:
    """A raw sector as a burner writes it (the EDC is not checked by anyone here)."""
    assert len(payload) == FORM2_DATA
    subheader = bytes([0, 0, submode, 0]) * 2
    return SYNC + bytes([0, 2, 0, mode]) + subheader + payload + b"\x00" * 4


def numbered_payload(tag: int, sector: int) -> bytes:
    return (f"{tag}:{sector:06d};".encode() * FORM2_DATA)[:FORM2_DATA]


# -- cue sheets -------------------------------------------------------------------------------

VCDIMAGER_STYLE = """\
FILE "videocd.bin" BINARY
  TRACK 01 MODE2/2352
    FLAGS DCP
    INDEX 01 00:00:00
  TRACK 02 MODE2/2352
    FLAGS DCP
    INDEX 00 00:04:00
    INDEX 01 00:06:00
  TRACK 03 MODE2/2352
    FLAGS DCP
    INDEX 00 00:12:72
    INDEX 01 00:14:72
"""

MULTI_FILE = """\
REM GENRE "Education"
REM COMMENT "ExactAudioCopy v0.99"
CATALOG 0000000000000
TITLE "农村党员 远程教育"
FILE "disc one - data.bin" BINARY
  TRACK 01 MODE1/2352
    INDEX 01 00:00:00
FILE "disc one - 第二轨.bin" BINARY
  TRACK 02 MODE2/2352
    PREGAP 00:02:00
    INDEX 01 00:00:00
  TRACK 03 AUDIO
    TITLE "song"
    PERFORMER "someone"
    INDEX 00 01:00:00
    INDEX 01 01:02:00
    INDEX 02 01:30:00
"""

CRLF_LOWERCASE = (
    '\ufeffREM made by a Windows burner\r\n'
    'file unquoted name.bin binary\r\n'
    '  track 1 mode2/2352\r\n'
    '    index 1 00:00:00\r\n'
    '  track 2 mode2/2352\r\n'
    '    postgap 00:02:00\r\n'
    '    index 0 01:02:03\r\n'
    '    index 1 99:59:74\r\n'
)  # fmt: skip

MSF = """\
FILE "a.bin" BINARY
  TRACK 01 MODE2/2352
    INDEX 01 00:00:74
  TRACK 02 MODE2/2352
    INDEX 01 00:01:00
  TRACK 03 MODE2/2352
    INDEX 01 01:00:00
  TRACK 04 MODE2/2352
    INDEX 01 10:20:30
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(VCDIMAGER_STYLE, [
            CueTrack(1, "MODE2/2352", "videocd.bin", 0, None),
            CueTrack(2, "MODE2/2352", "videocd.bin", 6 * 75, 4 * 75),
            CueTrack(3, "MODE2/2352", "videocd.bin", 14 * 75 + 72, 12 * 75 + 72),
        ], id="vcdimager"),
        pytest.param(MULTI_FILE, [
            CueTrack(1, "MODE1/2352", "disc one - data.bin", 0, None),
            CueTrack(2, "MODE2/2352", "disc one - 第二轨.bin", 0, None),
            CueTrack(3, "AUDIO", "disc one - 第二轨.bin", 62 * 75, 60 * 75),
        ], id="multi-file-rem-pregap"),
        pytest.param(CRLF_LOWERCASE, [
            CueTrack(1, "MODE2/2352", "unquoted name.bin", 0, None),
            CueTrack(2, "MODE2/2352", "unquoted name.bin", (99 * 60 + 59) * 75 + 74,
                     (1 * 60 + 2) * 75 + 3),
        ], id="crlf-bom-lowercase-unquoted"),
        pytest.param(MSF, [
            CueTrack(1, "MODE2/2352", "a.bin", 74, None),
            CueTrack(2, "MODE2/2352", "a.bin", 75, None),
            CueTrack(3, "MODE2/2352", "a.bin", 4500, None),
            CueTrack(4, "MODE2/2352", "a.bin", (10 * 60 + 20) * 75 + 30, None),
        ], id="msf-75-frames-60-seconds"),
    ],
)  # fmt: skip
def test_parse_cue(text: str, expected: list[CueTrack]) -> None:
    assert parse_cue(text) == expected


GOOD_HEAD = 'FILE "a.bin" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 00:00:00\n'


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("hello world\nthis is not a cue sheet\n", "line 1"),
        (GOOD_HEAD + "<html><body>404</body></html>\n", "line 4"),
        ("  TRACK 01 MODE2/2352\n    INDEX 01 00:00:00\n", "line 1"),
        ('FILE "a.bin" BINARY\n    INDEX 01 00:00:00\n', "line 2"),
        ('FILE "a.bin" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 00:60:00\n', "line 3"),
        ('FILE "a.bin" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 00:00:75\n', "line 3"),
        ('FILE "a.bin" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 1:2\n', "line 3"),
        ('FILE "a.bin" BINARY\n  TRACK 01 MODE2/2352\n  TRACK 02 MODE2/2352\n', "line 2"),
        ('FILE "a.bin" BINARY\n  TRACK 01 MODE3/2352\n', "line 2"),
        (GOOD_HEAD + "  TRACK 01 MODE2/2352\n    INDEX 01 00:02:00\n", "line 4"),
        ('FILE "a.bin BINARY\n', "line 1"),
        ('FILE "a.bin" ISO\n', "line 1"),
        ('FILE "a.bin" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 00 00:05:00\n'
         '    INDEX 01 00:02:00\n', "line 4"),
        ("", "no TRACK"),
        ("REM only a remark\n", "no TRACK"),
    ],
)  # fmt: skip
def test_parse_cue_names_the_bad_line(text: str, where: str) -> None:
    with pytest.raises(CueError, match=where):
        parse_cue(text)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_read_cue_decodes_windows_encodings(tmp_path: Path, encoding: str) -> None:
    cue = tmp_path / "disc.cue"
    cue.write_bytes(VCDIMAGER_STYLE.replace("videocd.bin", CHINESE_BIN).encode(encoding))
    tracks = read_cue(os.fsencode(cue))
    assert [t.file for t in tracks] == [CHINESE_BIN] * 3
    assert tracks[2].start_sector == 1122


def test_read_cue_refuses_a_bin_passed_as_cue(tmp_path: Path) -> None:
    not_cue = tmp_path / "disc.cue"
    not_cue.write_bytes(make_sector(b"\x00" * FORM2_DATA) * 3)
    with pytest.raises(CueError, match="not a cue sheet"):
        read_cue(os.fsencode(not_cue))


def test_is_form2_reads_the_submode_of_mode2_sectors() -> None:
    assert is_form2(make_sector(b"\x00" * FORM2_DATA, submode=0x62)[:24])
    assert not is_form2(make_sector(b"\x00" * FORM2_DATA, submode=0x08)[:24])  # Form 1
    assert not is_form2(make_sector(b"\x00" * FORM2_DATA, submode=0x20, mode=1)[:24])
    assert not is_form2(SYNC)


# -- vcd_tracks on hand-made images ----------------------------------------------------------


def test_mode1_only_cue_has_no_mpeg_tracks(tmp_path: Path) -> None:
    (tmp_path / "data.bin").write_bytes(make_sector(b"\x00" * FORM2_DATA) * 4)
    cue = tmp_path / "data.cue"
    cue.write_text('FILE "data.bin" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n')
    assert vcd_tracks(os.fsencode(cue)) == []


def test_mode2_2336_images_are_refused_clearly(tmp_path: Path) -> None:
    cue = tmp_path / "v.cue"
    cue.write_text(VCDIMAGER_STYLE.replace("2352", "2336"))
    with pytest.raises(CueError, match="MODE2/2336"):
        vcd_tracks(os.fsencode(cue))


def test_missing_bin_is_a_clear_file_not_found(tmp_path: Path) -> None:
    cue = tmp_path / "v.cue"
    cue.write_text(VCDIMAGER_STYLE)
    with pytest.raises(FileNotFoundError, match="videocd.bin"):
        vcd_tracks(os.fsencode(cue))


def test_file_names_never_leave_the_cue_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.bin").write_bytes(make_sector(b"\x01" * FORM2_DATA) * 600)
    inner = tmp_path / "library"
    inner.mkdir()
    for name in ("../secret.bin", str(tmp_path / "secret.bin")):
        cue = inner / "v.cue"
        cue.write_text(VCDIMAGER_STYLE.replace("videocd.bin", name))
        with pytest.raises(FileNotFoundError):
            vcd_tracks(os.fsencode(cue))


def test_windows_path_in_file_resolves_by_name(tmp_path: Path) -> None:
    (tmp_path / "videocd.bin").write_bytes(make_sector(b"\x01" * FORM2_DATA) * 600)
    cue = tmp_path / "v.cue"
    cue.write_text(VCDIMAGER_STYLE.replace("videocd.bin", "D:\\刻录\\VideoCD.BIN"))
    tracks = vcd_tracks(os.fsencode(cue))
    assert [t.bin_path for t in tracks] == [os.fsencode(tmp_path / "videocd.bin")] * 2


def test_boundaries_and_offsets_on_a_multi_file_image(tmp_path: Path) -> None:
    """Track 2 ends at track 3's INDEX 01 (no INDEX 00); track 4 alone in a second file."""
    one = b"".join(make_sector(numbered_payload(1, s)) for s in range(40))
    two = b"".join(make_sector(numbered_payload(2, s)) for s in range(7))
    (tmp_path / "one.bin").write_bytes(one)
    (tmp_path / "two.bin").write_bytes(two + b"\x00" * 100)  # a torn last sector is ignored
    cue = tmp_path / "multi.cue"
    cue.write_text(
        'FILE "one.bin" BINARY\n  TRACK 01 MODE2/2352\n    INDEX 01 00:00:00\n'
        "  TRACK 02 MODE2/2352\n    INDEX 01 00:00:10\n"
        "  TRACK 03 MODE2/2352\n    INDEX 01 00:00:25\n"
        'FILE "two.bin" BINARY\n  TRACK 04 MODE2/2352\n    INDEX 01 00:00:02\n'
    )
    tracks = vcd_tracks(os.fsencode(cue))
    assert [(t.number, t.first_sector, t.sector_count) for t in tracks] == [
        (2, 10, 15), (3, 25, 15), (4, 2, 5)]  # fmt: skip
    assert tracks[2].bin_path == os.fsencode(tmp_path / "two.bin")
    rng = random.Random(4)
    for track in tracks:
        expected = reference_deframe(track.bin_path, track.first_sector, track.sector_count)
        with VcdTrackSource(track) as source:
            assert source.size == len(expected) == track.sector_count * FORM2_DATA
            assert read_in_chunks(source, 1000) == expected
            tag = 2 if track.number == 4 else 1
            assert source.read_at(0, 20) == numbered_payload(tag, track.first_sector)[:20]
            for _ in range(300):
                offset = rng.randrange(source.size + 10)
                length = rng.choice([0, 1, 23, FORM2_DATA - 1, FORM2_DATA, FORM2_DATA + 1,
                                     rng.randrange(3 * FORM2_DATA), 10**9])
                assert source.read_at(offset, length) == expected[offset : offset + length]


# -- real vcdimager images ---------------------------------------------------------------------


@dataclass(frozen=True)
class Disc:
    folder: Path
    cue: Path
    bin: Path
    clips: list[Path]
    seconds: list[float]


def _run(*argv: str | Path, cwd: Path) -> None:
    subprocess.run([str(a) for a in argv], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def disc(tmp_path_factory: pytest.TempPathFactory) -> Disc:
    if shutil.which("vcdimager") is None:
        message = "needs vcdimager (Debian: apt-get install vcdimager)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("vcd")
    clips, seconds = [folder / "clip1.mpg", folder / "clip2.mpg"], [6.0, 4.0]
    for clip, length in zip(clips, seconds, strict=True):
        _run("ffmpeg", "-nostdin", "-y", "-v", "error",
             "-f", "lavfi", "-i", f"testsrc=size=352x288:rate=25:duration={length:g}",
             "-f", "lavfi", "-i", f"sine=duration={length:g}",
             "-target", "pal-vcd", clip, cwd=folder)  # fmt: skip
    _run("vcdimager", "-t", "vcd2", "-l", "TESTVCD", "-c", "vcd.cue", "-b", "vcd.bin",
         clips[0].name, clips[1].name, cwd=folder)  # fmt: skip
    return Disc(folder, folder / "vcd.cue", folder / "vcd.bin", clips, seconds)


@pytest.fixture
def copy_disc(disc: Disc, tmp_path: Path) -> Callable[..., Path]:
    """Copy the image as ``bin_name`` with a cue named ``cue_name`` saying FILE ``file``."""

    def copy(bin_name: str | bytes, cue_name: str, file: str, encoding: str = "utf-8") -> Path:
        shutil.copyfile(disc.bin, os.path.join(os.fsencode(tmp_path), os.fsencode(bin_name)))
        cue = tmp_path / cue_name
        cue.write_bytes(disc.cue.read_text().replace('"vcd.bin"', f'"{file}"').encode(encoding))
        return cue

    return copy


@pytest.mark.ffmpeg
def test_the_cue_vcdimager_writes(disc: Disc) -> None:
    tracks = read_cue(os.fsencode(disc.cue))
    assert [(t.number, t.mode, t.file) for t in tracks] == [
        (n, "MODE2/2352", "vcd.bin") for n in (1, 2, 3)]  # fmt: skip
    # Track 1 (ISO 9660 + VCD control files) is 4 s; each MPEG track has a 2 s INDEX 00.
    assert tracks[0].start_sector == 0 and tracks[0].pregap_sector is None
    assert tracks[1].pregap_sector == 300
    for track in tracks[1:]:
        assert track.pregap_sector is not None
        assert track.start_sector - track.pregap_sector == 150


@pytest.mark.ffmpeg
def test_vcd_tracks_lists_the_two_clips(disc: Disc) -> None:
    cue = read_cue(os.fsencode(disc.cue))
    tracks = vcd_tracks(os.fsencode(disc.cue))
    assert [t.number for t in tracks] == [2, 3]
    assert all(t.bin_path == os.fsencode(disc.bin.resolve()) for t in tracks)
    assert [t.first_sector for t in tracks] == [cue[1].start_sector, cue[2].start_sector]
    assert cue[2].pregap_sector is not None
    assert tracks[0].sector_count == cue[2].pregap_sector - cue[1].start_sector
    assert tracks[1].first_sector + tracks[1].sector_count == disc.bin.stat().st_size // RAW_SECTOR


@pytest.mark.ffmpeg
@pytest.mark.parametrize("index", [0, 1])
def test_track_bytes_are_the_mpeg_program_stream(disc: Disc, tmp_path: Path,
                                                 index: int) -> None:
    track = vcd_tracks(os.fsencode(disc.cue))[index]
    expected = reference_deframe(disc.bin, track.first_sector, track.sector_count)
    with VcdTrackSource(track) as source:
        assert source.size == track.sector_count * FORM2_DATA == len(expected)
        assert read_in_chunks(source) == expected
        rng = random.Random(index)
        for _ in range(500):
            offset = rng.randrange(source.size)
            length = rng.choice([1, rng.randrange(FORM2_DATA * 3), rng.randrange(MIB)])
            assert source.read_at(offset, length) == expected[offset : offset + length]
        with ThreadPoolExecutor(4) as pool:  # os.pread: one source, many readers
            spans = [(rng.randrange(source.size), rng.randrange(MIB)) for _ in range(40)]
            got = list(pool.map(lambda span: source.read_at(*span), spans))
        assert got == [expected[o : o + n] for o, n in spans]
        assert check_track(source)

    # vcdimager puts empty sectors (a 30-sector front margin) before the first pack.
    first_data = next(i for i in range(0, len(expected), FORM2_DATA)
                      if expected[i : i + FORM2_DATA].strip(b"\x00"))  # fmt: skip
    assert expected[:first_data].count(0) == first_data
    assert expected[first_data : first_data + 4] == b"\x00\x00\x01\xba"

    stream_file = tmp_path / "track.mpg"
    stream_file.write_bytes(expected)
    probed = ffprobe_json(str(stream_file))
    video = video_stream(probed)
    assert (video["codec_name"], video["width"], video["height"]) == ("mpeg1video", 352, 288)
    assert abs(duration(probed) - disc.seconds[index]) < 1.0
    piped = video_stream(ffprobe_json("-i", "pipe:0", stdin=expected))  # streamed, no seeking
    assert (piped["codec_name"], piped["width"], piped["height"]) == ("mpeg1video", 352, 288)


@pytest.mark.ffmpeg
@pytest.mark.parametrize("index", [0, 1])
def test_trimmed_track_is_the_burned_mpeg_file(disc: Disc, index: int) -> None:
    track = vcd_tracks(os.fsencode(disc.cue))[index]
    trimmed = trim_margins(track)
    assert trimmed.first_sector == track.first_sector + 30  # vcdimager's front margin
    with VcdTrackSource(trimmed) as source:
        data = source.read_at(0, source.size)
    assert data.startswith(b"\x00\x00\x01\xba")
    assert data == disc.clips[index].read_bytes()  # vcd2 without --update-scan-offsets


@pytest.mark.ffmpeg
def test_check_track_rejects_the_iso_data_track(disc: Disc) -> None:
    data_track = VcdTrack(1, os.fsencode(disc.bin), 0, 300)
    with VcdTrackSource(data_track) as source:
        assert not check_track(source)


@pytest.mark.ffmpeg
@pytest.mark.parametrize("on_disk", ["utf-8", "gbk"])
def test_gbk_cue_with_chinese_bin_name(copy_disc: Callable[..., Path], tmp_path: Path,
                                       on_disk: str) -> None:
    cue = copy_disc(CHINESE_BIN.encode(on_disk), "党课光盘.cue", CHINESE_BIN, "gbk")
    assert read_cue(os.fsencode(cue))[0].file == CHINESE_BIN
    tracks = vcd_tracks(os.fsencode(cue))
    assert [t.number for t in tracks] == [2, 3]
    assert tracks[0].bin_path == os.path.join(os.fsencode(tmp_path), CHINESE_BIN.encode(on_disk))
    with VcdTrackSource(tracks[0]) as source:
        assert check_track(source)


@pytest.mark.ffmpeg
def test_file_name_with_wrong_case_resolves(copy_disc: Callable[..., Path],
                                            tmp_path: Path) -> None:
    cue = copy_disc("VideoCD.bin", "disc.cue", "VIDEOCD.BIN")
    tracks = vcd_tracks(os.fsencode(cue))
    assert [t.bin_path for t in tracks] == [os.fsencode(tmp_path / "VideoCD.bin")] * 2


@pytest.mark.ffmpeg
def test_renamed_image_resolves_by_the_cue_stem(copy_disc: Callable[..., Path],
                                                tmp_path: Path) -> None:
    cue = copy_disc("第三课.BIN", "第三课.cue", "VIDEOCD.BIN")
    tracks = vcd_tracks(os.fsencode(cue))
    assert [t.bin_path for t in tracks] == [os.fsencode(tmp_path / "第三课.BIN")] * 2


@pytest.mark.ffmpeg
@pytest.mark.parametrize("fraction", [0.45, 0.6, 0.8])
def test_truncated_image(disc: Disc, tmp_path: Path, fraction: float) -> None:
    """Tracks are still listed; reading what is missing raises SourceUnreadable.

    A cut inside the last track is invisible (it ends at the end of the file); a track
    that starts after the cut cannot be opened.
    """
    whole = vcd_tracks(os.fsencode(disc.cue))
    data = disc.bin.read_bytes()
    cut = int(len(data) * fraction)
    (tmp_path / "vcd.bin").write_bytes(data[:cut])
    cue = tmp_path / "vcd.cue"
    shutil.copyfile(disc.cue, cue)
    tracks = vcd_tracks(os.fsencode(cue))
    assert [t.number for t in tracks] == [2, 3]
    assert tracks[0] == VcdTrack(2, os.fsencode(tmp_path / "vcd.bin"), whole[0].first_sector,
                                 whole[0].sector_count)
    cut_sector = cut // RAW_SECTOR
    for track in tracks:
        if track.first_sector >= cut_sector:
            with pytest.raises(SourceUnreadable, match="truncated"):
                VcdTrackSource(track)
            continue
        with VcdTrackSource(track) as source:
            present = min(track.sector_count, cut_sector - track.first_sector) * FORM2_DATA
            assert source.read_at(0, present) == reference_deframe(
                tmp_path / "vcd.bin", track.first_sector, present // FORM2_DATA)
            assert check_track(source)
            if present < source.size:
                with pytest.raises(SourceUnreadable, match="truncated"):
                    source.read_at(present - 10, 100)
            else:
                source.read_at(0, source.size)  # the last track just got shorter
    if fraction == 0.6:  # the cut falls between the two tracks
        assert tracks[1].sector_count == 0
