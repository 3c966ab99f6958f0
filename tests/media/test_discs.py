"""Disc images read in place: titles, tracks and files, byte for byte."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from media.discs import DiscError, open_entry, read_disc
from media.ifo import SECTOR, parse_dvd
from media.probe import probe_source

pytestmark = pytest.mark.ffmpeg


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_bytes(disc: Path, locator: dict[str, Any]) -> bytes:
    with closing(open_entry(os.fsencode(disc), locator)) as source:
        return source.read_at(0, source.size)


def seven_zip(image: Path, inner: str) -> bytes:
    return subprocess.run(["7z", "e", "-so", str(image), inner], check=True,
                          capture_output=True).stdout


def test_dvd_iso_lists_its_titles_without_the_logo(disc_images: Any) -> None:
    info = read_disc(os.fsencode(disc_images.dvd_iso))
    assert (info.kind, info.layout, info.label) == ("dvd-video", "iso", "DANGJIAN_2009_03")
    assert [e.index for e in info.entries] == [1, 2]
    assert [e.duration for e in info.entries] == [pytest.approx(12, abs=1),
                                                  pytest.approx(7, abs=1)]
    assert [len(e.chapters) for e in info.entries] == [3, 2]
    assert info.entries[0].chapters == pytest.approx((0, 4, 8), abs=0.1)
    assert info.skipped == ({"title": 3, "duration": pytest.approx(1, abs=0.2)},)


def test_video_ts_folder_gives_the_same_titles_and_bytes(disc_images: Any) -> None:
    iso = read_disc(os.fsencode(disc_images.dvd_iso))
    folder = read_disc(os.fsencode(disc_images.video_ts))
    assert folder.layout == "video_ts"
    assert [(e.key, e.duration, e.chapters) for e in folder.entries] == [
        (e.key, e.duration, e.chapters) for e in iso.entries]
    for from_iso, from_folder in zip(iso.entries, folder.entries, strict=True):
        assert sha(entry_bytes(disc_images.dvd_iso, from_iso.locator)) == sha(
            entry_bytes(disc_images.video_ts, from_folder.locator))


def test_title_bytes_are_its_cells_cut_from_the_vob_that_7z_extracts(disc_images: Any) -> None:
    # Both titles live in VTS_01_1.VOB; each restarts its timestamps at 0.
    vob = seven_zip(disc_images.dvd_iso, "VIDEO_TS/VTS_01_1.VOB")
    assert len(vob) == (disc_images.video_ts / "VTS_01_1.VOB").stat().st_size
    titles = parse_dvd(lambda name: (disc_images.video_ts / name).read_bytes())
    info = read_disc(os.fsencode(disc_images.dvd_iso))
    for entry in info.entries:
        cells = titles[entry.index - 1].cells
        expected = b"".join(vob[c.first_sector * SECTOR:(c.last_sector + 1) * SECTOR]
                            for c in cells)
        assert sha(entry_bytes(disc_images.dvd_iso, entry.locator)) == sha(expected)


def test_ffprobe_fed_from_the_title_reports_its_streams(disc_images: Any) -> None:
    info = read_disc(os.fsencode(disc_images.dvd_iso))
    with closing(open_entry(os.fsencode(disc_images.dvd_iso), info.entries[1].locator)) as src:
        probe = probe_source(src)
    assert probe.video is not None and probe.video.codec == "mpeg2video"
    assert (probe.video.width, probe.video.height) == (720, 576)
    assert probe.audio is not None and probe.audio.codec in {"mp2", "ac3"}
    assert probe.duration == pytest.approx(7, abs=1)


def test_vcd_gives_its_mpeg_tracks(disc_images: Any) -> None:
    info = read_disc(os.fsencode(disc_images.vcd_cue))
    assert (info.kind, info.layout) == ("vcd", "cue")
    assert [e.key for e in info.entries] == ["track-2", "track-3"]
    durations = []
    for entry in info.entries:
        with closing(open_entry(os.fsencode(disc_images.vcd_cue), entry.locator)) as source:
            probe = probe_source(source)
        assert probe.video is not None and probe.video.codec == "mpeg1video"
        durations.append(probe.duration)
    assert durations == [pytest.approx(6, abs=1), pytest.approx(4, abs=1)]


def test_joliet_data_disc_gives_its_files_with_chinese_names(disc_images: Any) -> None:
    info = read_disc(os.fsencode(disc_images.data_iso))
    assert (info.kind, info.label) == ("data", "KEJIAN")
    names = {e.name: e for e in info.entries}
    assert set(names) == {"课件/党课讲稿.pdf", "课件/政策/新农合政策问答.mp4"}
    assert names["课件/党课讲稿.pdf"].category == "document"
    for name, entry in names.items():
        original = (disc_images.data_files / name).read_bytes()
        extracted = seven_zip(disc_images.data_iso, name)
        assert sha(entry_bytes(disc_images.data_iso, entry.locator)) == sha(extracted) == sha(
            original)


def test_rock_ridge_gbk_names_are_decoded(tmp_path: Path, disc_images: Any) -> None:
    files = tmp_path / "files"
    files.mkdir()
    gbk = os.path.join(os.fsencode(files), "水稻种植.mp4".encode("gbk"))
    shutil.copy(disc_images.data_files / "课件/政策/新农合政策问答.mp4", os.fsdecode(gbk))
    subprocess.run(["genisoimage", "-quiet", "-R", "-o", str(tmp_path / "rr.iso"), str(files)],
                   check=True, capture_output=True)
    info = read_disc(os.fsencode(tmp_path / "rr.iso"))
    assert [e.name for e in info.entries] == ["水稻种植.mp4"]


@pytest.mark.parametrize(("make", "reason"), [
    (lambda src, dst: dst.write_bytes(src.read_bytes()[: src.stat().st_size // 2]),
     "scan_truncated"),
    (lambda src, dst: dst.write_bytes(os.urandom(200_000)), "scan_disc_unknown"),
    (lambda src, dst: dst.write_bytes(b""), "scan_disc_unknown"),
])
def test_broken_images_are_errors_with_a_reason(tmp_path: Path, disc_images: Any, make: Any,
                                                reason: str) -> None:
    broken = tmp_path / "坏光盘.iso"
    make(disc_images.dvd_iso, broken)
    with pytest.raises(DiscError) as caught:
        read_disc(os.fsencode(broken))
    assert caught.value.key == reason


def test_a_text_file_named_cue_is_unreadable(tmp_path: Path) -> None:
    cue = tmp_path / "x.cue"
    cue.write_text("this is not a cue sheet\n")
    with pytest.raises(DiscError) as caught:
        read_disc(os.fsencode(cue))
    assert caught.value.key == "scan_disc_unreadable"


def test_a_data_disc_without_courseware_is_empty(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "readme.txt").write_text("hello")
    subprocess.run(["genisoimage", "-quiet", "-J", "-o", str(tmp_path / "e.iso"), str(files)],
                   check=True, capture_output=True)
    with pytest.raises(DiscError) as caught:
        read_disc(os.fsencode(tmp_path / "e.iso"))
    assert caught.value.key == "scan_disc_empty"
