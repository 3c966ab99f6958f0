"""Disc images in the scan: catalogued by title, track or file; incremental; movable."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from yj_testing import sign_in

from catalog import library
from catalog.db import Database
from catalog.models import Item
from catalog.settings import Settings
from indexer.pipeline import Scanner
from web.app import create_app

pytestmark = pytest.mark.ffmpeg


@pytest.fixture
def disc_root(tmp_path: Path, disc_images: Any) -> Path:
    root = tmp_path / "光盘库"
    (root / "下载").mkdir(parents=True)
    # A neutral name in a neutral folder: only the volume label DANGJIAN_2009_03 says party.
    shutil.copy(disc_images.dvd_iso, root / "下载" / "disc01.iso")
    shutil.copytree(disc_images.video_ts, root / "先进适用科技" / "果树栽培" / "VIDEO_TS")
    shutil.copy(disc_images.vcd_cue, root / "科技VCD.cue")
    shutil.copy(disc_images.folder / "vcd.bin", root / "科技VCD.bin")
    # The cue names vcd.bin; people rename images, and the scan still finds its .bin.
    shutil.copy(disc_images.data_iso, root / "资料盘.iso")
    (root / "坏的.iso").write_bytes(disc_images.dvd_iso.read_bytes()[:3_000_000])
    (root / "随机.iso").write_bytes(os.urandom(100_000))
    return root


def items(db: Database) -> dict[str, Item]:
    with db.session() as session:
        return {i.rel_path: i for i in library.all_items(session)}


def test_discs_become_items_by_title_track_and_file(db: Database, settings: Settings,
                                                    disc_root: Path) -> None:
    result = Scanner(db, settings).scan([disc_root])
    found = items(db)
    dvd = [i for p, i in found.items() if p.startswith("下载/disc01.iso")]
    assert sorted(i.disc_index for i in dvd) == [1, 2]
    first = next(i for i in dvd if i.disc_index == 1)
    assert first.title == "disc01 标题 1" and first.theme == "party"
    assert "DANGJIAN_2009_03" in first.theme_reason
    assert first.duration == pytest.approx(12, abs=1) and len(first.chapters) == 3
    assert first.container == "mpeg" and first.video_codec == "mpeg2video"
    assert not first.browser_playable
    folder = [i for p, i in found.items() if "VIDEO_TS" in p]
    assert len(folder) == 2 and {i.theme for i in folder} == {"technology"}
    vcd = [i for p, i in found.items() if p.startswith("科技VCD.cue")]
    assert [i.video_codec for i in vcd] == ["mpeg1video", "mpeg1video"]
    data = {i.disc_path: i for p, i in found.items() if p.startswith("资料盘.iso")}
    assert set(data) == {"课件/党课讲稿.pdf", "课件/政策/新农合政策问答.mp4"}
    assert data["课件/政策/新农合政策问答.mp4"].browser_playable
    assert data["课件/党课讲稿.pdf"].kind == "document"
    with db.session() as session:
        errors = {e.rel_path: e.reason for e in library.list_scan_errors(session)}
    assert errors == {"坏的.iso": "scan_truncated", "随机.iso": "scan_disc_unknown"}
    assert result.counts["added"] == 8 and result.counts["errors"] == 2


def test_unchanged_discs_are_not_probed_again(db: Database, settings: Settings,
                                              disc_root: Path,
                                              counting_ffprobe: tuple[str, Path]) -> None:
    wrapper, calls = counting_ffprobe
    counted = settings.replace(ffprobe=wrapper)
    Scanner(db, counted).scan([disc_root])
    assert calls.read_text()
    calls.write_text("")
    again = Scanner(db, counted).scan([disc_root])
    assert calls.read_text() == "" and again.counts["probed"] == 0
    assert again.counts["unchanged"] == 4 and again.counts["errors"] == 2


def test_a_moved_disc_keeps_its_items_and_overrides(db: Database, settings: Settings,
                                                    disc_root: Path) -> None:
    Scanner(db, settings).scan([disc_root])
    before = {i.disc_index: i.id for p, i in items(db).items()
              if p.startswith("下载/disc01.iso")}
    with db.transaction() as session:
        from catalog.library.themes import Theme

        library.set_theme_override(session, before[2], Theme.POLITICS)
    (disc_root / "归档").mkdir()
    os.rename(disc_root / "下载" / "disc01.iso", disc_root / "归档" / "二〇〇九年三月.iso")
    result = Scanner(db, settings).scan([disc_root])
    after = {i.disc_index: i for p, i in items(db).items()
             if p.startswith("归档/二〇〇九年三月.iso")}
    assert result.counts["moved"] == 1 and result.counts["added"] == 0
    assert {n: i.id for n, i in after.items()} == before
    assert after[2].theme == "politics"


def shown_discs(db: Database) -> dict[str, tuple[object, ...]]:
    """Discs and their items as a scan derives them (not ids or times), by path."""
    skip = {"id", "root_id", "disc_id", "added_at", "updated_at", "missing_since"}
    with db.session() as session:
        return {d.rel_path: (d.kind, d.layout, d.label, d.size, d.fingerprint, d.skipped,
                             sorted(sorted((c.key, repr(getattr(i, c.key)))
                                           for c in Item.__table__.columns if c.key not in skip)
                                    for i in d.items if i.missing_since is None))
                for d in library.list_discs(session)}


def test_a_rescan_after_moving_discs_equals_a_clean_scan(
        tmp_path: Path, db: Database, settings: Settings, disc_root: Path,
        settings_at: Callable[..., Settings]) -> None:
    Scanner(db, settings).scan([disc_root])
    before = {p: i.id for p, i in items(db).items()}
    (disc_root / "归档").mkdir()
    os.rename(disc_root / "下载" / "disc01.iso", disc_root / "归档" / "二〇〇九年三月.iso")
    # A VIDEO_TS folder is named, and labelled, by the folder that holds it.
    (disc_root / "党建知识").mkdir()
    os.rename(disc_root / "先进适用科技" / "果树栽培", disc_root / "党建知识" / "支部生活")
    result = Scanner(db, settings).scan([disc_root])
    assert result.counts["moved"] == 2 and result.counts["added"] == 0

    clean_settings = settings_at(tmp_path / "clean", f"sqlite:///{tmp_path}/clean.db")
    clean_db = Database.open(clean_settings)
    try:
        Scanner(clean_db, clean_settings).scan([disc_root])
        clean = shown_discs(clean_db)
    finally:
        clean_db.close()
    assert shown_discs(db) == clean
    after = items(db)
    folder = {i.disc_index: i for p, i in after.items() if p.startswith("党建知识/支部生活")}
    assert {i.theme for i in folder.values()} == {"party"}
    assert folder[1].title == "支部生活 标题 1" and folder[1].disc.label == "支部生活"
    assert folder[1].id == before["先进适用科技/果树栽培/VIDEO_TS › 标题 1"]
    dvd = {i.disc_index: i for p, i in after.items() if p.startswith("归档/")}
    assert dvd[1].title == "二〇〇九年三月 标题 1"
    assert dvd[1].id == before["下载/disc01.iso › 标题 1"]


def test_a_disc_turned_into_a_link_out_leaves_the_catalog(tmp_path: Path, db: Database,
                                                           settings: Settings,
                                                           disc_root: Path) -> None:
    Scanner(db, settings).scan([disc_root])
    outside = tmp_path / "外面"
    outside.mkdir()
    shutil.move(disc_root / "资料盘.iso", outside / "资料盘.iso")
    os.symlink(outside / "资料盘.iso", disc_root / "资料盘.iso")
    shutil.move(disc_root / "先进适用科技" / "果树栽培" / "VIDEO_TS", outside / "VIDEO_TS")
    os.symlink(outside / "VIDEO_TS", disc_root / "先进适用科技" / "果树栽培" / "VIDEO_TS")
    result = Scanner(db, settings).scan([disc_root])
    assert not [p for p in items(db) if p.startswith(("资料盘.iso", "先进适用科技/"))]
    with db.session() as session:
        discs = {d.rel_path for d in library.list_discs(session)}
        errors = {e.rel_path: e.reason for e in library.list_scan_errors(session)}
    assert discs == {"下载/disc01.iso", "科技VCD.cue"}
    assert errors == {"坏的.iso": "scan_truncated", "随机.iso": "scan_disc_unknown",
                      "资料盘.iso": "scan_symlink_outside",
                      "先进适用科技/果树栽培/VIDEO_TS": "scan_symlink_outside"}
    assert result.counts["removed"] == 2


def test_a_catalogued_disc_that_breaks_leaves_the_catalog(db: Database, settings: Settings,
                                                         disc_root: Path) -> None:
    Scanner(db, settings).scan([disc_root])
    image = disc_root / "下载" / "disc01.iso"
    image.write_bytes(image.read_bytes()[:3_000_000])  # a copy cut off halfway
    result = Scanner(db, settings).scan([disc_root])
    assert not [p for p in items(db) if p.startswith("下载/disc01.iso")]
    with db.session() as session:
        assert "下载/disc01.iso" not in {d.rel_path for d in library.list_discs(session)}
        errors = {e.rel_path: e.reason for e in library.list_scan_errors(session)}
    assert errors["下载/disc01.iso"] == "scan_truncated" and result.counts["removed"] == 1


def test_damaged_iso_images_are_scan_errors_with_their_reason(tmp_path: Path, db: Database,
                                                              settings: Settings) -> None:
    import yj_isos

    root = tmp_path / "光盘库"
    root.mkdir()
    good = yj_isos.make_iso(tmp_path / "files", tmp_path / "good.iso", "-J")
    damage = [yj_isos.file_flagged_as_folder, yj_isos.version_not_a_number,
              yj_isos.folder_cut_inside_a_record, yj_isos.path_tables_disagree]
    for n, mutate in enumerate(damage):
        yj_isos.damaged(good, root / f"坏光盘{n}.iso", mutate)
    result = Scanner(db, settings).scan([root])
    with db.session() as session:
        errors = [library.scan_error_json(e, "en") for e in library.list_scan_errors(session)]
    assert [e["reason"] for e in errors] == ["scan_disc_damaged"] * len(damage)
    assert all(e["message"].startswith("The disc image is damaged") for e in errors)
    assert "KeyError" in errors[0]["message"] and result.counts["errors"] == len(damage)


def test_api_shows_discs_and_each_items_disc(db: Database, settings: Settings,
                                             disc_root: Path) -> None:
    Scanner(db, settings).scan([disc_root])
    with TestClient(create_app(settings, db)) as client:
        sign_in(client, db)
        discs = client.get("/api/discs").json()
        listed = client.get("/api/items", params={"per_page": 200}).json()["items"]
        page = client.get("/")
    assert discs["total"] == 4
    by_kind = sorted((d["kind"], d["layout"], len(d["items"])) for d in discs["discs"])
    assert by_kind == [("data", "iso", 2), ("dvd-video", "iso", 2),
                       ("dvd-video", "video_ts", 2), ("vcd", "cue", 2)]
    dvd = next(d for d in discs["discs"] if d["label"] == "DANGJIAN_2009_03")
    assert dvd["skipped_titles"][0]["title"] == 3
    from_dvd = [i for i in listed if i["disc"] and i["disc"]["id"] == dvd["id"]]
    assert sorted(i["disc_title"] for i in from_dvd) == [1, 2]
    assert "DVD 视频光盘 DANGJIAN_2009_03" in page.text
