"""Tests for media.ifo on real DVD-Video images authored by dvdauthor, checked against lsdvd.

The disc: title set 1 holds three titles (a 12 s clip with chapters at 0, 4 and 8 s, a 7 s
clip with chapters at 0 and 4 s, a 2 s logo), all in the same VTS_01_n.VOB files; title set 2
holds one title made of two VOBs (the 7 s clip then the logo) in a single chapter.
"""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pycdlib
import pytest
from pycdlib.pycdlibexception import PyCdlibInvalidInput

from media.ifo import SECTOR, Cell, IfoError, Title, parse_dvd

pytestmark = pytest.mark.ffmpeg

_CLIPS = {"main": 12, "second": 7, "logo": 2}  # name -> seconds
_EXPECTED_CHAPTERS = {1: (0.0, 4.0, 8.0), 2: (0.0, 4.0), 3: (0.0,), 4: (0.0,)}

# dvdauthor puts a chapter on a VOBU (GOP) boundary. GOPs of 10 frames (0.4 s) have one on
# every chapter point asked for; pal-dvd's default of 15 frames would move 0:04 to 4.2 s.
_DVDAUTHOR_XML = """\
<dvdauthor>
  <vmgm />
  <titleset>
    <titles>
      <pgc><vob file="main.mpg" chapters="0,0:04,0:08" /></pgc>
      <pgc><vob file="second.mpg" chapters="0,0:04" /></pgc>
      <pgc><vob file="logo.mpg" /></pgc>
    </titles>
  </titleset>
  <titleset>
    <titles>
      <pgc><vob file="second.mpg" chapters="0" /><vob file="logo.mpg" /></pgc>
    </titles>
  </titleset>
</dvdauthor>
"""


@dataclass(frozen=True)
class Dvd:
    root: Path  # holds VIDEO_TS/
    iso: Path
    clip_seconds: dict[str, float]  # ffprobe's duration of each source clip

    @property
    def video_ts(self) -> Path:
        return self.root / "VIDEO_TS"


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    env = {**os.environ, "VIDEO_FORMAT": "PAL"}
    done = subprocess.run([*map(str, args)], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{args[0]} failed: {done.stderr[-2000:]}"
    return done.stdout


def _ffprobe_duration(path: Path) -> float:
    out = _run("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
               path)
    return float(out)


@pytest.fixture(scope="module")
def dvd(tmp_path_factory: pytest.TempPathFactory) -> Dvd:
    for tool, package in (("dvdauthor", "dvdauthor"), ("lsdvd", "lsdvd"),
                          ("genisoimage", "genisoimage")):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool}: apt-get install {package}")
    work = tmp_path_factory.mktemp("dvd")
    seconds = {}
    for name, duration in _CLIPS.items():
        _run("ffmpeg", "-nostdin", "-y", "-v", "error",
             "-f", "lavfi", "-i", f"testsrc=size=720x576:rate=25:duration={duration}",
             "-f", "lavfi", "-i", f"sine=duration={duration}",
             "-target", "pal-dvd", "-b:v", "1500k", "-g", "10", work / f"{name}.mpg")
        seconds[name] = _ffprobe_duration(work / f"{name}.mpg")
    (work / "dvd.xml").write_text(_DVDAUTHOR_XML)
    _run("dvdauthor", "-o", "disc", "-x", "dvd.xml", cwd=work)
    _run("dvdauthor", "-o", "disc", "-T", cwd=work)  # (re)writes the VMG's table of contents
    _run("genisoimage", "-quiet", "-dvd-video", "-V", "TEST_DVD", "-o", work / "dvd.iso",
         work / "disc")
    return Dvd(work / "disc", work / "dvd.iso", seconds)


def _folder_reader(video_ts: Path) -> Callable[[str], bytes]:
    return lambda name: (video_ts / name).read_bytes()


@pytest.fixture(scope="module")
def titles(dvd: Dvd) -> list[Title]:
    return parse_dvd(_folder_reader(dvd.video_ts))


# --- lsdvd, the independent opinion --------------------------------------------------------------


@dataclass(frozen=True)
class LsdvdTrack:
    length: float
    vts: int
    angles: int
    chapter_lengths: list[float]
    cells: list[tuple[int, int]]  # (first_sector, last_sector)


def _lsdvd(device: Path) -> list[LsdvdTrack]:
    """lsdvd's Python output (-Oy); its XML output leaves out the cells' sectors."""
    out = _run("lsdvd", "-x", "-Oy", device)
    report = ast.literal_eval(out[out.index("lsdvd = {") + len("lsdvd = "):])  # after the banner
    return [
        LsdvdTrack(
            length=track["length"],
            vts=track["vts"],
            angles=track["angles"],
            chapter_lengths=[c["length"] for c in track["chapter"]],
            cells=[(c["first_sector"], c["last_sector"]) for c in track["cell"]],
        )
        for track in report["track"]
    ]


def _starts(lengths: list[float]) -> list[float]:
    return [sum(lengths[:i]) for i in range(len(lengths))]


# --- the parse ----------------------------------------------------------------------------------


def test_titles_in_vmg_order_with_their_title_sets(titles: list[Title]) -> None:
    assert [(t.number, t.title_set, t.angles) for t in titles] == [
        (1, 1, 1), (2, 1, 1), (3, 1, 1), (4, 2, 1)]


def test_durations_match_the_source_clips(dvd: Dvd, titles: list[Title]) -> None:
    s = dvd.clip_seconds
    expected = [s["main"], s["second"], s["logo"], s["second"] + s["logo"]]
    assert [t.duration for t in titles] == pytest.approx(expected, abs=0.5)


def test_chapters_start_where_dvdauthor_was_told(titles: list[Title]) -> None:
    for title in titles:
        assert title.chapters == pytest.approx(_EXPECTED_CHAPTERS[title.number], abs=0.1)


def test_agrees_with_lsdvd(dvd: Dvd, titles: list[Title]) -> None:
    tracks = _lsdvd(dvd.root)
    assert len(tracks) == len(titles)
    for title, track in zip(titles, tracks, strict=True):
        assert title.duration == pytest.approx(track.length, abs=0.1)
        assert title.title_set == track.vts and title.angles == track.angles
        assert len(title.chapters) == len(track.chapter_lengths)
        assert title.chapters == pytest.approx(_starts(track.chapter_lengths), abs=0.1)
        assert [(c.first_sector, c.last_sector) for c in title.cells] == track.cells


def test_the_iso_read_through_pycdlib_gives_the_same_titles(dvd: Dvd,
                                                            titles: list[Title]) -> None:
    iso = pycdlib.PyCdlib()
    iso.open(str(dvd.iso))
    try:
        def read(name: str) -> bytes:
            out = io.BytesIO()
            try:
                iso.get_file_from_iso_fp(out, iso_path=f"/VIDEO_TS/{name};1")
            except PyCdlibInvalidInput as exc:
                raise FileNotFoundError(name) from exc
            return out.getvalue()

        assert parse_dvd(read) == titles
    finally:
        iso.close()
    assert _lsdvd(dvd.iso) == _lsdvd(dvd.root)


# --- the cells address real bytes -------------------------------------------------------------


def _title_vobs(video_ts: Path, title_set: int) -> bytes:
    parts = [video_ts / f"VTS_{title_set:02d}_{n}.VOB" for n in range(1, 10)]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def test_cells_lie_inside_the_vobs_and_titles_do_not_overlap(dvd: Dvd,
                                                             titles: list[Title]) -> None:
    for title_set in {t.title_set for t in titles}:
        sectors = len(_title_vobs(dvd.video_ts, title_set)) // SECTOR
        cells = sorted(c for t in titles if t.title_set == title_set for c in _ranges(t))
        assert cells and all(0 <= first <= last < sectors for first, last in cells)
        assert all(a[1] < b[0] for a, b in zip(cells, cells[1:], strict=False))


def _ranges(title: Title) -> list[tuple[int, int]]:
    return [(c.first_sector, c.last_sector) for c in title.cells]


def _cut(vobs: bytes, cells: tuple[Cell, ...]) -> bytes:
    return b"".join(vobs[c.first_sector * SECTOR:(c.last_sector + 1) * SECTOR] for c in cells)


def _video_seconds(path: Path) -> float:
    """Video frames / frame rate: unlike the container duration, not fooled by the timestamps
    starting over where a title's second VOB begins."""
    out = _run("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
               "-show_entries", "stream=nb_read_packets,r_frame_rate", "-of", "json", path)
    stream = json.loads(out)["streams"][0]
    numerator, denominator = stream["r_frame_rate"].split("/")
    return int(stream["nb_read_packets"]) * int(denominator) / int(numerator)


def test_each_titles_cells_hold_that_title(dvd: Dvd, titles: list[Title],
                                           tmp_path: Path) -> None:
    for title in titles:
        cut = tmp_path / f"title{title.number}.vob"
        cut.write_bytes(_cut(_title_vobs(dvd.video_ts, title.title_set), title.cells))
        assert _video_seconds(cut) == pytest.approx(title.duration, abs=0.2), title.number
        assert sum(c.duration for c in title.cells) == pytest.approx(title.duration, abs=0.05)


# --- backups and damage --------------------------------------------------------------------------


def _copy_video_ts(dvd: Dvd, tmp_path: Path) -> Path:
    """The IFOs and BUPs only: the parser never opens a VOB."""
    copy = tmp_path / "VIDEO_TS"
    copy.mkdir()
    for path in dvd.video_ts.glob("*.[IB][FU][OP]"):
        shutil.copy(path, copy / path.name)
    return copy


def _truncate(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


def test_a_truncated_vts_ifo_falls_back_to_its_bup(dvd: Dvd, titles: list[Title],
                                                   tmp_path: Path) -> None:
    copy = _copy_video_ts(dvd, tmp_path)
    _truncate(copy / "VTS_01_0.IFO", 0x100)
    assert parse_dvd(_folder_reader(copy)) == titles


def test_a_missing_vmg_ifo_falls_back_to_its_bup(dvd: Dvd, titles: list[Title],
                                                 tmp_path: Path) -> None:
    copy = _copy_video_ts(dvd, tmp_path)
    (copy / "VIDEO_TS.IFO").unlink()
    assert parse_dvd(_folder_reader(copy)) == titles


def test_both_vts_copies_damaged_is_an_ifo_error(dvd: Dvd, tmp_path: Path) -> None:
    copy = _copy_video_ts(dvd, tmp_path)
    _truncate(copy / "VTS_01_0.IFO", 0x100)
    _truncate(copy / "VTS_01_0.BUP", SECTOR + 10)  # header intact, tables cut off
    with pytest.raises(IfoError, match=r"VTS_01_0\.IFO.*VTS_01_0\.BUP"):
        parse_dvd(_folder_reader(copy))


@pytest.mark.parametrize("garbage", [os.urandom(6 * SECTOR), b""], ids=["random", "empty"])
def test_a_vmg_that_is_not_an_ifo_is_an_ifo_error(dvd: Dvd, tmp_path: Path,
                                                  garbage: bytes) -> None:
    copy = _copy_video_ts(dvd, tmp_path)
    (copy / "VIDEO_TS.IFO").write_bytes(garbage)
    (copy / "VIDEO_TS.BUP").write_bytes(garbage)
    with pytest.raises(IfoError, match="not a DVDVIDEO-VMG IFO"):
        parse_dvd(_folder_reader(copy))


def test_a_vmg_cut_before_its_title_table_is_an_ifo_error(dvd: Dvd, tmp_path: Path) -> None:
    copy = _copy_video_ts(dvd, tmp_path)
    _truncate(copy / "VIDEO_TS.IFO", SECTOR)
    (copy / "VIDEO_TS.BUP").unlink()
    with pytest.raises(IfoError, match="TT_SRPT .*outside the file"):
        parse_dvd(_folder_reader(copy))


def test_a_missing_title_set_is_an_ifo_error(dvd: Dvd, tmp_path: Path) -> None:
    copy = _copy_video_ts(dvd, tmp_path)
    (copy / "VTS_02_0.IFO").unlink()
    (copy / "VTS_02_0.BUP").unlink()
    with pytest.raises(IfoError, match="VTS_02_0.IFO not found"):
        parse_dvd(_folder_reader(copy))


def test_a_read_error_is_not_mistaken_for_a_bad_ifo(dvd: Dvd) -> None:
    def read(name: str) -> bytes:
        if name.startswith("VTS_02"):
            raise OSError(5, "Input/output error", name)
        return (dvd.video_ts / name).read_bytes()

    with pytest.raises(OSError, match="Input/output error") as caught:
        parse_dvd(read)
    assert not isinstance(caught.value, IfoError)


# --- angle blocks: dvdauthor cannot author them, so mark two real cells as one --------------------


def _u16(data: bytes | bytearray, at: int) -> int:
    return int(struct.unpack_from(">H", data, at)[0])


def _u32(data: bytes | bytearray, at: int) -> int:
    return int(struct.unpack_from(">I", data, at)[0])


def test_an_angle_block_keeps_angle_one_only(dvd: Dvd, titles: list[Title],
                                             tmp_path: Path) -> None:
    """Title 4's two cells (the 7 s clip, the logo) become a 2-angle block: cell 1 is angle 1
    (block mode 01 first, type 01 angle), cell 2 angle 2 (mode 11 last). Only cell 1 stays."""
    copy = _copy_video_ts(dvd, tmp_path)
    vts = bytearray((copy / "VTS_02_0.IFO").read_bytes())
    pgcit = _u32(vts, 0xCC) * SECTOR                  # VTSI_MAT 0xCC: VTS_PGCIT sector
    pgc = pgcit + _u32(vts, pgcit + 8 + 4)            # PGC 1 offset in its search pointer
    assert vts[pgc + 3] == 2                          # two cells
    cells = pgc + _u16(vts, pgc + 0xE8)               # cell playback table
    vts[cells] = (vts[cells] & 0x0F) | 0b0101_0000           # first cell of an angle block
    vts[cells + 24] = (vts[cells + 24] & 0x0F) | 0b1101_0000  # last cell of an angle block
    (copy / "VTS_02_0.IFO").write_bytes(bytes(vts))
    vmg = bytearray((copy / "VIDEO_TS.IFO").read_bytes())
    entry = _u32(vmg, 0xC4) * SECTOR + 8 + 12 * 3     # TT_SRPT entry of title 4
    vmg[entry + 1] = 2                                # angles
    (copy / "VIDEO_TS.IFO").write_bytes(bytes(vmg))

    patched = parse_dvd(_folder_reader(copy))[3]
    original = titles[3]
    assert patched.angles == 2
    assert patched.cells == original.cells[:1]
    assert patched.chapters == (0.0,)
    assert _lsdvd_angles(copy.parent) == [1, 1, 1, 2]


def _lsdvd_angles(root: Path) -> list[int]:
    return [track.angles for track in _lsdvd(root)]
