"""Walking a library root on real temp directories: bytes paths, symlinks, hidden files."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from indexer.walk import FoundFile, FoundProblem, category_of, walk_root


def touch(path: bytes | Path, data: bytes = b"\x00\x01") -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def walk(root: bytes | Path) -> list[FoundFile | FoundProblem]:
    return list(walk_root(os.fsencode(root)))


def files(results: list[FoundFile | FoundProblem]) -> list[FoundFile]:
    return [r for r in results if isinstance(r, FoundFile)]


def problems(results: list[FoundFile | FoundProblem]) -> list[FoundProblem]:
    return [r for r in results if isinstance(r, FoundProblem)]


def rels(results: list[FoundFile | FoundProblem]) -> list[bytes]:
    return [r.rel_raw for r in files(results)]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "课件库"
    path.mkdir()
    return path


def test_files_found_in_stable_sorted_order_with_relative_bytes_paths(root: Path) -> None:
    for rel in ["b.mp4", "a.mp3", "c.pdf", "z/2.avi", "z/1.avi", "m/n/deep.mkv", "m/top.wmv"]:
        touch(root / rel)
    first = walk(root)
    assert problems(first) == []
    # Each folder's files in name order, then its subfolders in name order, depth first.
    assert rels(first) == [b"a.mp3", b"b.mp4", b"c.pdf", b"m/top.wmv", b"m/n/deep.mkv",
                           b"z/1.avi", b"z/2.avi"]
    assert all(isinstance(r, bytes) and not r.startswith(b"/") for r in rels(first))
    assert walk(root) == first


def test_found_file_fields(root: Path) -> None:
    touch(root / "党课.mp4", b"x" * 123)
    touch(root / "讲义.PDF")
    found = {f.rel_raw: f for f in files(walk(root))}
    video = found["党课.mp4".encode()]
    assert video.abs_raw == os.fsencode(root / "党课.mp4")
    assert video.size == 123
    assert video.mtime_ns == os.stat(root / "党课.mp4").st_mtime_ns
    assert video.category == "media"
    assert found["讲义.PDF".encode()].category == "document"


def test_gbk_named_file_and_folder_found_with_exact_bytes(root: Path) -> None:
    folder = "党建知识".encode("gbk")
    name = "党员教育".encode("gbk") + b".rmvb"
    abs_path = os.path.join(os.fsencode(root), folder, name)
    touch(abs_path)
    (found,) = walk(root)
    assert isinstance(found, FoundFile)
    assert found.rel_raw == folder + b"/" + name
    assert found.abs_raw == abs_path
    assert os.path.exists(found.abs_raw)


def test_non_media_files_are_ignored(root: Path) -> None:
    for rel in ["cover.jpg", "水稻.nfo", "水稻.txt", "字幕.srt", "noext", "setup.exe"]:
        touch(root / rel)
    touch(root / "水稻.mp4")
    assert rels(walk(root)) == ["水稻.mp4".encode()]


@pytest.mark.parametrize(("name", "category"), [
    (b"a.mp4", "media"), (b"a.RMVB", "media"), (b"a.wma", "media"), (b"a.docx", "document"),
    (b"a.wps", "document"), (b"a.jpg", None), (b"a.nfo", None), (b"mp4", None),
    ("党课.mp4".encode("gbk"), "media"), (b"\xb5\xb3.\xff\xfe", None),
])
def test_category_of(name: bytes, category: str | None) -> None:
    assert category_of(name) == category


def test_hidden_files_and_dirs_are_skipped(root: Path) -> None:
    touch(root / ".hidden.mp4")
    touch(root / ".git" / "x.mp4")
    touch(root / "sub" / ".trash" / "y.mp4")
    touch(root / "sub" / "visible.mp4")
    assert walk(root) == [FoundFile(b"sub/visible.mp4", os.fsencode(root / "sub/visible.mp4"),
                                    2, os.stat(root / "sub/visible.mp4").st_mtime_ns, "media")]


def test_symlink_to_etc_passwd_is_reported_not_followed(root: Path) -> None:
    os.symlink("/etc/passwd", root / "课件.mp4")
    assert walk(root) == [FoundProblem("课件.mp4".encode(), "scan_symlink_outside",
                                       {"target": os.path.realpath("/etc/passwd")})]


def test_symlink_to_non_media_outside_is_reported_too(root: Path, tmp_path: Path) -> None:
    touch(tmp_path / "secret.txt")
    os.symlink(tmp_path / "secret.txt", root / "notes")
    (problem,) = walk(root)
    assert isinstance(problem, FoundProblem)
    assert problem.reason == "scan_symlink_outside"


def test_symlink_to_directory_outside_is_reported_and_not_entered(root: Path,
                                                                   tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside / "leak.mp4")
    touch(outside / "deeper" / "leak2.mp4")
    os.symlink(outside, root / "linked")
    touch(root / "own.mp4")
    results = walk(root)
    assert rels(results) == [b"own.mp4"]
    assert problems(results) == [FoundProblem(b"linked", "scan_symlink_outside",
                                              {"target": str(outside)})]
    assert not any(b"leak" in r.rel_raw for r in results)


def test_symlink_to_sibling_with_same_prefix_is_outside(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    sibling = tmp_path / "lib2"
    touch(sibling / "x.mp4")
    root.mkdir()
    os.symlink(sibling / "x.mp4", root / "x.mp4")
    (problem,) = walk(root)
    assert isinstance(problem, FoundProblem)
    assert problem.reason == "scan_symlink_outside"
    assert problem.detail == {"target": str(sibling / "x.mp4")}


def test_symlink_inside_root_to_media_file_is_found_at_its_target(root: Path) -> None:
    touch(root / "真实" / "水稻.mp4", b"abc")
    os.symlink("真实/水稻.mp4", root / "链接.mp4")
    results = walk(root)
    assert problems(results) == []
    found = {f.rel_raw: f for f in files(results)}
    link = found["链接.mp4".encode()]
    assert link.abs_raw == os.fsencode(root / "真实" / "水稻.mp4")
    assert link.size == 3
    assert "真实/水稻.mp4".encode() in found


def test_symlink_inside_root_to_directory_is_not_listed_twice(root: Path) -> None:
    touch(root / "real" / "a.mp4")
    os.symlink("real", root / "alias")
    assert walk(root) == [FoundFile(b"real/a.mp4", os.fsencode(root / "real/a.mp4"), 2,
                                    os.stat(root / "real/a.mp4").st_mtime_ns, "media")]


def test_broken_symlink_is_reported(root: Path) -> None:
    os.symlink("missing.mp4", root / "broken.mp4")
    assert walk(root) == [FoundProblem(b"broken.mp4", "scan_broken_symlink",
                                       {"target": str(root / "missing.mp4")})]


def test_unreadable_directory_is_reported_and_the_rest_still_found(root: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: directory permissions are not enforced")
    touch(root / "locked" / "x.mp4")
    touch(root / "open" / "y.mp4")
    os.chmod(root / "locked", 0)
    try:
        results = walk(root)
    finally:
        os.chmod(root / "locked", 0o755)
    assert rels(results) == [b"open/y.mp4"]
    (problem,) = problems(results)
    assert problem.rel_raw == b"locked"
    assert problem.reason == "scan_unreadable"
    assert problem.detail["detail"]


def test_root_given_through_a_symlink(root: Path, tmp_path: Path) -> None:
    touch(root / "党课" / "第一讲.mp4")
    touch(root / "内部.mp4")
    os.symlink("内部.mp4", root / "别名.mp4")
    via = tmp_path / "via-link"
    os.symlink(root, via)
    results = walk(via)
    assert problems(results) == []
    assert rels(results) == ["内部.mp4".encode(), "别名.mp4".encode(),
                             "党课/第一讲.mp4".encode()]
    assert results == walk(root)


def test_symlink_loops_do_not_hang(root: Path) -> None:
    touch(root / "sub" / "a.mp4")
    os.symlink("..", root / "sub" / "up")  # directory loop
    os.symlink("self.mp4", root / "self.mp4")  # a link to itself
    os.symlink("pong.mp4", root / "ping.mp4")  # a two-link cycle
    os.symlink("ping.mp4", root / "pong.mp4")
    results: list[FoundFile | FoundProblem] = []
    worker = threading.Thread(target=lambda: results.extend(walk(root)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "walk_root did not finish on a symlink loop"
    assert rels(results) == [b"sub/a.mp4"]
    assert {p.rel_raw for p in problems(results)} == {b"ping.mp4", b"pong.mp4", b"self.mp4"}
