"""Damaged ISO 9660 images: whatever pycdlib raises on them is a disc error with a reason,
never an internal error, and no damage makes reading a disc go on forever."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pycdlib
import pytest
import yj_isos
from pycdlib.pycdlibexception import PyCdlibInvalidISO

from catalog.messages import message
from media.discs import DiscError, read_disc

REPO = Path(__file__).resolve().parents[2]

DAMAGE: list[tuple[Callable[[bytearray], None], type[Exception], str]] = [
    (yj_isos.file_flagged_as_folder, KeyError, "KeyError"),
    (yj_isos.version_not_a_number, ValueError, "ValueError"),
    (yj_isos.folder_cut_inside_a_record, struct.error, "struct.error"),
    (yj_isos.path_tables_disagree, PyCdlibInvalidISO, "path table"),
]
NAMES = ["plain", "joliet", "rock-ridge"]
OPTIONS = {"plain": (), "joliet": ("-J",), "rock-ridge": ("-R",)}


@pytest.fixture(params=NAMES)
def iso(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return yj_isos.make_iso(tmp_path / "files", tmp_path / "good.iso",
                            *OPTIONS[request.param])


@pytest.mark.parametrize(("mutate", "raised", "named"), DAMAGE,
                         ids=[m.__name__ for m, _, _ in DAMAGE])
def test_what_pycdlib_raises_is_a_damaged_disc(iso: Path, tmp_path: Path,
                                               mutate: Callable[[bytearray], None],
                                               raised: type[Exception], named: str) -> None:
    assert [e.name for e in read_disc(os.fsencode(iso)).entries] == [
        "TOP.MP4", "DIR/LESSON.MP4"]
    bad = yj_isos.damaged(iso, tmp_path / "bad.iso", mutate)
    with pytest.raises(raised):  # the damage is real: pycdlib itself trips on it
        pycdlib.PyCdlib().open(str(bad))
    with pytest.raises(DiscError) as caught:
        read_disc(os.fsencode(bad))
    assert caught.value.key == "scan_disc_damaged"
    assert named in caught.value.fields["detail"]
    zh = message(caught.value.key, "zh", **caught.value.fields)
    en = message(caught.value.key, "en", **caught.value.fields)
    assert zh.startswith("光盘镜像已损坏") and en.startswith("The disc image is damaged")


def test_a_folder_record_without_a_name_does_not_walk_forever(tmp_path: Path) -> None:
    iso = yj_isos.make_iso(tmp_path / "files", tmp_path / "good.iso")
    bad = yj_isos.damaged(iso, tmp_path / "noname.iso", yj_isos.folder_without_a_name)
    # In a child process: before the fix the walk looked the root up again and again.
    code = ("import sys; from media.discs import read_disc; "
            "print(sorted(e.name for e in read_disc(sys.argv[1].encode()).entries))")
    done = subprocess.run([sys.executable, "-c", code, str(bad)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['LESSON.MP4', 'TOP.MP4']"


def test_gbk_folder_names_in_iso_9660_records_are_read(tmp_path: Path) -> None:
    iso = yj_isos.make_iso(tmp_path / "files", tmp_path / "good.iso")
    gbk = yj_isos.damaged(iso, tmp_path / "gbk.iso", yj_isos.folder_named_in_gbk)
    info = read_disc(os.fsencode(gbk))
    assert [e.name for e in info.entries] == ["TOP.MP4", "课X/LESSON.MP4"]
