"""The scan reads nothing through links inside discs or swapped in after the walk
(issue 13.5): a VOB or IFO in a copied VIDEO_TS folder that is a link, a cue sheet whose
.bin is a link or a path out of the root, a file swapped for a link between the walk and
its examination. Each is a scan error with its reason; nothing outside is catalogued."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from catalog import library
from catalog.db import Database
from catalog.settings import Settings
from indexer.examine import Described, Failed, examine_file
from indexer.pipeline import MoveCandidates, Scanner
from indexer.walk import FoundFile, walk_root

pytestmark = pytest.mark.ffmpeg


def scan_results(db: Database, settings: Settings, root: Path
                 ) -> tuple[set[str], dict[str, tuple[str, dict[str, Any]]]]:
    Scanner(db, settings).scan([root])
    with db.session() as session:
        items = {i.rel_path for i in library.all_items(session)}
        errors = {e.rel_path: (e.reason, dict(e.detail))
                  for e in library.list_scan_errors(session)}
    return items, errors


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "库", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    return root, outside


@pytest.mark.parametrize("linked", ["VTS_01_1.VOB", "VTS_01_0.IFO", "VIDEO_TS.IFO"])
def test_a_link_inside_a_video_ts_folder_is_not_followed(
        db: Database, settings: Settings, disc_images: Any, places: tuple[Path, Path],
        linked: str) -> None:
    root, outside = places
    folder = root / "党课" / "VIDEO_TS"
    shutil.copytree(disc_images.video_ts, folder)
    # The real file, moved out of the root, and a link to it in its place: followed, the
    # disc would be catalogued as if nothing were amiss.
    shutil.move(folder / linked, outside / linked)
    os.symlink(outside / linked, folder / linked)
    items, errors = scan_results(db, settings, root)
    assert items == set()
    reason, detail = errors["党课/VIDEO_TS"]
    assert reason == "scan_disc_refused" and detail["name"] == linked


def test_a_link_inside_the_folder_to_a_file_inside_is_refused_too(
        db: Database, settings: Settings, disc_images: Any, places: tuple[Path, Path]) -> None:
    root, _ = places
    folder = root / "VIDEO_TS"
    shutil.copytree(disc_images.video_ts, folder)
    shutil.move(folder / "VTS_01_1.VOB", root / "elsewhere.vob")  # not media: no item
    os.symlink("../elsewhere.vob", folder / "VTS_01_1.VOB")
    items, errors = scan_results(db, settings, root)
    assert not any(i.startswith("VIDEO_TS") for i in items)
    assert errors["VIDEO_TS"][0] == "scan_disc_refused"


def test_a_bin_beside_the_cue_that_is_a_link_out_is_not_read(
        db: Database, settings: Settings, disc_images: Any, places: tuple[Path, Path]) -> None:
    root, outside = places
    shutil.copy(disc_images.vcd_cue, root / "科技.cue")
    shutil.copy(disc_images.folder / "vcd.bin", outside / "vcd.bin")
    os.symlink(outside / "vcd.bin", root / "vcd.bin")
    items, errors = scan_results(db, settings, root)
    assert items == set()
    reason, detail = errors["科技.cue"]
    assert reason == "scan_disc_refused" and detail["name"] == "vcd.bin"


@pytest.mark.parametrize("named", ["../outside/vcd.bin", "../../outside/vcd.bin", "ABSOLUTE"])
def test_a_cue_naming_a_bin_outside_the_root_reads_nothing_there(
        db: Database, settings: Settings, disc_images: Any, places: tuple[Path, Path],
        named: str) -> None:
    root, outside = places
    (root / "课").mkdir()
    shutil.copy(disc_images.folder / "vcd.bin", outside / "vcd.bin")
    if named == "ABSOLUTE":
        named = str(outside / "vcd.bin")
    cue = disc_images.vcd_cue.read_text().replace('"vcd.bin"', f'"{named}"')
    assert named in cue
    (root / "课" / "外面.cue").write_text(cue)
    items, errors = scan_results(db, settings, root)
    assert items == set()
    reason, detail = errors["课/外面.cue"]
    assert reason == "scan_disc_unreadable" and "not beside it" in detail["detail"]


def test_a_file_swapped_for_a_link_after_the_walk_is_not_read(
        settings: Settings, demo_library: Path, places: tuple[Path, Path]) -> None:
    root, outside = places
    shutil.copy(demo_library / "农村政策法规/新农合政策问答.mp4", root / "课件.mp4")
    shutil.copy(demo_library / "先进适用科技/rice.mp4", outside / "secret.mp4")
    (found,) = [f for f in walk_root(os.fsencode(root)) if isinstance(f, FoundFile)]
    # Between the walk and the examination, the name becomes a link to a secret.
    os.rename(root / "课件.mp4", root / ".kept.mp4")
    os.symlink(outside / "secret.mp4", root / "课件.mp4")
    examined = examine_file(found, None, "库", MoveCandidates([]), settings)
    assert isinstance(examined, Failed) and examined.reason == "scan_unreadable"
    assert examined.probed == 0
    # Swapped back, the same file is described as usual.
    os.replace(root / ".kept.mp4", root / "课件.mp4")
    assert isinstance(examine_file(found, None, "库", MoveCandidates([]), settings), Described)
