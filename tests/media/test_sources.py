"""Byte sources over real files: slices, file runs for the kernel, and the root check made
on the opened descriptor."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from media.sources import FileSource, OutsideRoot, Segment, SegmentSource, open_inside


def test_segment_runs_and_reads_agree(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"A" * 100 + b"0123456789")
    (tmp_path / "b").write_bytes(b"B" * 50 + b"abcdefghij")
    source = SegmentSource([Segment(os.fsencode(tmp_path / "a"), 100, 10),
                            Segment(os.fsencode(tmp_path / "b"), 50, 10)])
    with source:
        assert source.read_at(5, 10) == b"56789abcde"
        runs = source.runs(5, 10)
        assert [(offset, length) for _, offset, length in runs] == [(105, 5), (50, 5)]
        assert b"".join(os.pread(fd, n, at) for fd, at, n in runs) == b"56789abcde"
        assert source.runs(18, 100) == [(runs[1][0], 58, 2)]  # clipped at the end
        assert source.runs(20, 1) == []


def test_a_file_inside_the_directory_opens(tmp_path: Path) -> None:
    (tmp_path / "x.mp4").write_bytes(b"data")
    with FileSource(tmp_path / "x.mp4", os.fsencode(tmp_path.resolve())) as source:
        assert source.read_at(0, 10) == b"data"


@pytest.mark.parametrize("link_to", ["/etc/hostname", "../outside.mp4"])
def test_a_link_leading_out_of_the_directory_is_refused(tmp_path: Path, link_to: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.mp4").write_bytes(b"secret")
    os.symlink(link_to, root / "x.mp4")
    with pytest.raises(OutsideRoot, match="outside its library root"):
        open_inside(root / "x.mp4", os.fsencode(root.resolve()))
    with pytest.raises(FileNotFoundError):  # what callers catch as "gone"
        FileSource(root / "x.mp4", os.fsencode(root.resolve()))


def test_a_sibling_whose_name_extends_the_root_is_outside(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib2").mkdir()
    (tmp_path / "lib2" / "f").write_bytes(b"x")
    os.symlink("../lib2/f", tmp_path / "lib" / "f")
    with pytest.raises(OutsideRoot):
        open_inside(tmp_path / "lib" / "f", os.fsencode((tmp_path / "lib").resolve()))


def test_a_link_inside_the_directory_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real.mp4").write_bytes(b"ok")
    os.symlink("real.mp4", tmp_path / "alias.mp4")
    fd = open_inside(tmp_path / "alias.mp4", os.fsencode(tmp_path.resolve()))
    assert os.pread(fd, 2, 0) == b"ok"
    os.close(fd)
