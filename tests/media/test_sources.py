"""Byte sources over real files, and media.paths: opening below a root, component by
component, by descriptor (issue 13: open once, use the descriptor)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from media.paths import DiscFiles, OutsideRoot, open_beneath, open_member, open_resolved
from media.sources import FileSource, Segment, SegmentSource


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


def read(fd: int) -> bytes:
    try:
        return os.pread(fd, 100, 0)
    finally:
        os.close(fd)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "outside.mp4").write_bytes(b"secret")
    (tmp_path / "lib" / "课" / "深").mkdir(parents=True)
    (tmp_path / "lib" / "课" / "深" / "x.mp4").write_bytes(b"data")
    return tmp_path / "lib"


def test_a_file_below_the_root_opens_as_a_descriptor(root: Path) -> None:
    with FileSource(open_beneath(root, "课/深/x.mp4".encode())) as source:
        assert source.read_at(0, 10) == b"data"


@pytest.mark.parametrize("link_to", ["/etc/hostname", "../outside.mp4", "../../outside.mp4"])
@pytest.mark.parametrize("links", [False, True])
def test_a_link_leading_out_of_the_root_is_refused(root: Path, link_to: str,
                                                   links: bool) -> None:
    os.symlink(link_to, root / "y.mp4")
    with pytest.raises(OutsideRoot):
        open_beneath(root, b"y.mp4", links=links)


@pytest.mark.parametrize("links", [False, True])
def test_a_folder_swapped_for_a_link_is_refused_on_the_way(root: Path, tmp_path: Path,
                                                           links: bool) -> None:
    (tmp_path / "elsewhere" / "深").mkdir(parents=True)
    (tmp_path / "elsewhere" / "深" / "x.mp4").write_bytes(b"secret")
    os.rename(root / "课", root / "课.old")
    os.symlink(tmp_path / "elsewhere", root / "课")
    with pytest.raises(OutsideRoot):
        open_beneath(root, "课/深/x.mp4".encode(), links=links)


def test_climbing_above_the_root_is_refused(root: Path) -> None:
    with pytest.raises(OutsideRoot, match="above"):
        open_beneath(root, b"../outside.mp4")
    assert read(open_beneath(root, "课/../课/深/x.mp4".encode())) == b"data"


def test_a_sibling_whose_name_extends_the_root_is_outside(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib2").mkdir()
    (tmp_path / "lib2" / "f").write_bytes(b"x")
    os.symlink(str(tmp_path / "lib2" / "f"), tmp_path / "lib" / "f")
    with pytest.raises(OutsideRoot, match="outside"):
        open_beneath(tmp_path / "lib", b"f", links=True)


def test_links_inside_the_root_are_followed_only_when_asked(root: Path) -> None:
    os.symlink("课/深/x.mp4", root / "alias.mp4")
    os.symlink(str(root / "课" / "深" / "x.mp4"), root / "absolute.mp4")
    os.symlink("深", root / "课" / "浅")  # a folder link, resolved from where it lies
    for name in ("alias.mp4", "absolute.mp4", "课/浅/x.mp4"):
        assert read(open_beneath(root, name.encode(), links=True)) == b"data"
        with pytest.raises(OutsideRoot, match="link"):
            open_beneath(root, name.encode())


def test_the_root_itself_may_be_reached_through_a_link(root: Path, tmp_path: Path) -> None:
    os.symlink(root, tmp_path / "via")
    assert read(open_beneath(tmp_path / "via", "课/深/x.mp4".encode())) == b"data"


def test_link_loops_end(root: Path) -> None:
    os.symlink("ping.mp4", root / "pong.mp4")
    os.symlink("pong.mp4", root / "ping.mp4")
    with pytest.raises(OutsideRoot, match="too many links"):
        open_beneath(root, b"ping.mp4", links=True)


def test_only_regular_files_open(root: Path) -> None:
    os.mkfifo(root / "fifo.mp4")  # would hang a plain open for reading
    with pytest.raises(OutsideRoot, match="not a regular file"):
        open_beneath(root, b"fifo.mp4")
    with pytest.raises(OutsideRoot, match="not a regular file"):
        open_beneath(root, "课".encode())
    with pytest.raises(OutsideRoot, match="a directory, not a file"):
        open_beneath(root, b".")
    with pytest.raises(FileNotFoundError):
        open_beneath(root, b"missing.mp4")


def test_the_descriptor_keeps_reading_the_file_it_opened(root: Path, tmp_path: Path) -> None:
    fd = open_beneath(root, "课/深/x.mp4".encode())
    target = root / "课" / "深" / "x.mp4"
    target.unlink()
    os.symlink(tmp_path / "outside.mp4", target)
    assert read(fd) == b"data"
    # A new open of /dev/fd/N (what ffmpeg is given) is the same file, not the name.
    fd = os.open(tmp_path / "outside.mp4", os.O_RDONLY)
    try:
        with open(f"/dev/fd/{fd}", "rb") as again:
            assert again.read() == b"secret"
    finally:
        os.close(fd)


def test_open_resolved_refuses_any_link(root: Path, tmp_path: Path) -> None:
    assert read(open_resolved(root / "课" / "深" / "x.mp4")) == b"data"
    os.symlink(root, tmp_path / "via")
    with pytest.raises(OutsideRoot):
        open_resolved(tmp_path / "via" / "课" / "深" / "x.mp4")


def test_members_and_neighbours_of_a_disc_never_follow_links(root: Path, tmp_path: Path
                                                              ) -> None:
    folder = root / "课" / "VIDEO_TS"
    folder.mkdir()
    (folder / "VTS_01_0.IFO").write_bytes(b"ifo")
    os.symlink(tmp_path / "outside.mp4", folder / "VTS_01_1.VOB")
    os.symlink("VTS_01_0.IFO", folder / "VTS_01_0.BUP")  # inside, and still refused
    with DiscFiles(root, "课/VIDEO_TS".encode(), links=True) as disc:
        assert os.pread(disc.member(b"VTS_01_0.IFO"), 10, 0) == b"ifo"
        for name in (b"VTS_01_1.VOB", b"VTS_01_0.BUP", "../深/x.mp4".encode()):
            with pytest.raises(OutsideRoot):
                disc.member(name)
        assert os.pread(disc.beside("深/x.mp4".encode()), 10, 0) == b"data"
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(OutsideRoot):
            open_member(fd, b"VTS_01_1.VOB")
    finally:
        os.close(fd)
