"""media.fingerprint: size plus first and last MiB, on real files."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from media.fingerprint import CHUNK, fingerprint_file


def _write(path: Path, data: bytes | bytearray) -> Path:
    path.write_bytes(bytes(data))
    return path


def _flip(data: bytes, at: int) -> bytearray:
    changed = bytearray(data)
    changed[at] ^= 0xFF
    return changed


@pytest.fixture(scope="module")
def three_mib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fingerprint") / "lecture.mp4"
    return _write(path, random.Random(20240301).randbytes(3 * CHUNK))


def test_same_content_at_two_paths_has_the_same_fingerprint(
    three_mib: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "renamed" / "新农合政策问答.mp4"
    moved.parent.mkdir()
    shutil.copyfile(three_mib, moved)
    assert fingerprint_file(moved) == fingerprint_file(three_mib)


def test_given_size_matches_measured_size(three_mib: Path) -> None:
    assert fingerprint_file(three_mib, three_mib.stat().st_size) == fingerprint_file(three_mib)


def test_bytes_path_is_accepted(three_mib: Path) -> None:
    assert fingerprint_file(bytes(three_mib)) == fingerprint_file(three_mib)


def test_change_in_the_unhashed_middle_is_not_seen(three_mib: Path, tmp_path: Path) -> None:
    """Documented trade-off: only the first and last MiB (and the size) are hashed."""
    data = three_mib.read_bytes()
    changed = _write(tmp_path / "middle.mp4", _flip(data, len(data) // 2))
    assert changed.read_bytes() != data
    assert fingerprint_file(changed) == fingerprint_file(three_mib)


@pytest.mark.parametrize(
    "at", [0, CHUNK - 1, 2 * CHUNK, 3 * CHUNK - 1], ids=["first", "end-of-head", "tail", "last"]
)
def test_change_in_the_head_or_tail_is_seen(three_mib: Path, tmp_path: Path, at: int) -> None:
    changed = _write(tmp_path / "changed.mp4", _flip(three_mib.read_bytes(), at))
    assert fingerprint_file(changed) != fingerprint_file(three_mib)


def test_different_size_is_seen(three_mib: Path, tmp_path: Path) -> None:
    longer = _write(tmp_path / "longer.mp4", three_mib.read_bytes() + b"\0")
    assert fingerprint_file(longer) != fingerprint_file(three_mib)


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, CHUNK + CHUNK // 2])
def test_files_up_to_two_mib_are_hashed_whole(tmp_path: Path, size: int) -> None:
    data = random.Random(size).randbytes(size)
    original = _write(tmp_path / "a.mp3", data)
    assert len(fingerprint_file(original)) == 64
    for at in {0, size // 2, size - 1} if size else set():
        changed = _write(tmp_path / "b.mp3", _flip(data, at))
        assert fingerprint_file(changed) != fingerprint_file(original), at


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fingerprint_file(tmp_path / "gone.mp4")
