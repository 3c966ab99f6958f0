"""The scan pipeline end to end, on real media, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog import library
from catalog.db import Database
from catalog.library.themes import Theme
from catalog.models import Item, ScanError
from catalog.settings import Settings
from indexer.pipeline import Scanner, ScanResult
from media.demo import MANIFEST

pytestmark = pytest.mark.ffmpeg


def scan(db: Database, settings: Settings, *roots: Path) -> ScanResult:
    return Scanner(db, settings).scan(list(roots))


def items_by_path(db: Database) -> dict[str, Item]:
    with db.session() as session:
        return {i.rel_path: i for i in library.all_items(session)}


def errors_by_path(db: Database) -> dict[str, ScanError]:
    with db.session() as session:
        return {e.rel_path: e for e in library.list_scan_errors(session)}


def ffprobe_duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                          "json", str(path)], capture_output=True, check=True).stdout
    return float(json.loads(out)["format"]["duration"])


def test_demo_library_lands_in_intended_themes(db: Database, settings: Settings,
                                               demo_library: Path) -> None:
    result = scan(db, settings, demo_library)
    manifest = json.loads((demo_library / MANIFEST).read_text("utf-8"))
    found = items_by_path(db)
    assert result.counts["added"] == len(manifest) and result.counts["errors"] == 0
    for entry in manifest:
        item = found[entry["path"]]
        assert item.theme == entry["theme"], (entry["path"], item.theme_reason)
        assert item.theme_reason
        if entry["encoding"] != "pdf":
            assert item.duration == pytest.approx(ffprobe_duration(demo_library / entry["path"]),
                                                  abs=0.5)
    themes = {i.theme for i in found.values()}
    assert themes == {t.value for t in Theme} - {Theme.UNCLASSIFIED}


def test_titles_come_from_tag_then_sidecar_then_file_name(db: Database, settings: Settings,
                                                          demo_library: Path) -> None:
    scan(db, settings, demo_library)
    found = items_by_path(db)
    assert (found["先进适用科技/rice.mp4"].title, found["先进适用科技/rice.mp4"].title_source) == (
        "水稻种植技术", "tag")
    nfo = found["新下载/video_0315.mp4"]
    assert (nfo.title, nfo.title_source, nfo.tags) == ("村党支部书记谈带头致富", "nfo", ["党建"])
    txt = found["新下载/lesson03.avi"]  # the .txt sidecar is GBK
    assert (txt.title, txt.title_source) == ("果树嫁接实用技术", "txt")
    named = found["政治理论/01_科学发展观学习辅导.mp4"]
    assert (named.title, named.title_source) == ("科学发展观学习辅导", "filename")


def test_browser_playable_comes_from_codecs_not_extension(db: Database, settings: Settings,
                                                          demo_library: Path) -> None:
    scan(db, settings, demo_library)
    found = items_by_path(db)
    assert found["农村政策法规/新农合政策问答.mp4"].browser_playable  # H.264/AAC
    assert not found["党建知识/支部三会一课规范.mp4"].browser_playable  # MPEG-4 Part 2
    assert found["健康娱乐文化/广场舞教学.webm"].browser_playable
    assert not found["政治理论/新时代思想宣讲.mkv"].browser_playable
    assert found["党建知识/党课讲稿.pdf"].kind == "document"
    assert found["农村政策法规/土地承包法律讲座.mp3"].kind == "audio"


def make_bad_library(root: Path, good_clip: Path) -> None:
    root.mkdir(parents=True)
    (root / "空文件.mp4").write_bytes(b"")
    data = good_clip.read_bytes()
    (root / "下载中断.mp4").write_bytes(data[: len(data) // 2])
    (root / "其实是文本.avi").write_text("这不是视频，是一个改了扩展名的文本文件。\n" * 50)
    (root / "坏文档.pdf").write_text("not a pdf")
    shutil.copy(good_clip, root / "good.mp4")
    gbk_name = os.path.join(os.fsencode(root), "党员教育片.mp4".encode("gbk"))
    with open(gbk_name, "wb") as f:
        f.write(data)
    os.symlink("/etc/passwd", root / "密码.mp4")
    # A link to a FIFO outside the root: opening it would block the scan forever, so a
    # finished scan proves the link was not followed.
    fifo = root.parent / "outside.fifo"
    os.mkfifo(fifo)
    os.symlink(fifo, root / "管道.flv")
    os.symlink(root / "不存在.mp4", root / "断链.mp4")


@pytest.fixture
def bad_library(tmp_path: Path, demo_library: Path) -> Path:
    root = tmp_path / "bad" / "库"
    make_bad_library(root, demo_library / "政治理论/01_科学发展观学习辅导.mp4")
    return root


def test_bad_files_are_reported_and_the_scan_goes_on(db: Database, settings: Settings,
                                                     bad_library: Path) -> None:
    result = scan(db, settings, bad_library)
    found, errors = items_by_path(db), errors_by_path(db)
    assert set(found) == {"good.mp4", "党员教育片.mp4"}
    assert found["党员教育片.mp4"].rel_path_raw == "党员教育片.mp4".encode("gbk")
    reasons = {path: e.reason for path, e in errors.items()}
    assert reasons == {
        "空文件.mp4": "scan_empty",
        "下载中断.mp4": "scan_truncated",
        "其实是文本.avi": "scan_not_media",
        "坏文档.pdf": "scan_bad_document",
        "密码.mp4": "scan_symlink_outside",
        "管道.flv": "scan_symlink_outside",
        "断链.mp4": "scan_broken_symlink",
    }
    assert errors["密码.mp4"].detail == {"target": "/etc/passwd"}
    assert result.counts["errors"] == len(reasons) and result.counts["added"] == 2


def test_unchanged_library_is_not_probed_again(tmp_path: Path, db: Database, settings: Settings,
                                               demo_library: Path,
                                               counting_ffprobe: tuple[str, Path]) -> None:
    root = tmp_path / "two-hundred"
    clips = [p for p in demo_library.rglob("*") if p.suffix in {".mp4", ".mkv", ".avi", ".mp3"}]
    for n in range(200):
        target = root / f"第{n // 20:02d}组" / f"课件{n:03d}{clips[n % len(clips)].suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clips[n % len(clips)], target)
    (root / "坏的.mp4").write_bytes(b"broken")
    wrapper, calls = counting_ffprobe
    counted = settings.replace(ffprobe=wrapper)
    first = scan(db, counted, root)
    assert first.counts["added"] == 200 and first.counts["errors"] == 1
    assert len(calls.read_text().splitlines()) == 201
    calls.write_text("")
    again = scan(db, counted, root)
    assert calls.read_text() == ""
    assert again.counts["unchanged"] == 200 and again.counts["probed"] == 0
    assert again.counts["errors"] == 1  # the broken file stays reported, not re-probed


def test_renamed_file_keeps_id_and_override(tmp_path: Path, db: Database, settings: Settings,
                                            demo_library: Path) -> None:
    root = tmp_path / "lib"
    shutil.copytree(demo_library, root)
    scan(db, settings, root)
    before = items_by_path(db)["农村政策法规/新农合政策问答.mp4"]
    with db.transaction() as session:
        library.set_theme_override(session, before.id, Theme.CULTURE)
    (root / "整理后").mkdir()
    os.rename(root / "农村政策法规/新农合政策问答.mp4", root / "整理后/新农合问答（重命名）.mp4")
    result = scan(db, settings, root)
    after = items_by_path(db)
    assert result.counts["moved"] == 1 and result.counts["added"] == 0
    moved = after["整理后/新农合问答（重命名）.mp4"]
    assert moved.id == before.id and moved.theme == "culture"
    assert "农村政策法规/新农合政策问答.mp4" not in after
    # A changed file keeps its id and override too, and is probed again.
    with open(root / "整理后/新农合问答（重命名）.mp4", "ab") as f:
        f.write(b"\0" * 16)
    result = scan(db, settings, root)
    assert result.counts["updated"] == 1
    assert items_by_path(db)["整理后/新农合问答（重命名）.mp4"].theme == "culture"


def catalog_as_a_clean_scan_sees_it(db: Database) -> dict[str, dict[str, object]]:
    """Every shown item by path, with all that a scan derives (not ids or times)."""
    skip = {"id", "root_id", "disc_id", "added_at", "updated_at", "missing_since"}
    with db.session() as session:
        return {item.rel_path: {c.key: getattr(item, c.key) for c in Item.__table__.columns
                                if c.key not in skip}
                for item in library.all_items(session)}


def test_a_rescan_after_renames_equals_a_clean_scan(tmp_path: Path, db: Database,
                                                    settings: Settings, demo_library: Path,
                                                    settings_at: Callable[..., Settings]
                                                    ) -> None:
    root = tmp_path / "lib"
    shutil.copytree(demo_library, root)
    scan(db, settings, root)
    before = items_by_path(db)
    pinned = before["农村政策法规/低保申请指南.wmv"]
    with db.transaction() as session:
        library.set_theme_override(session, pinned.id, Theme.CULTURE)
    renames = {
        # party by folder and name -> technology by folder and name: a file-name title
        "党建知识/党员先进性教育.flv": "先进适用科技/养殖技术讲座.flv",
        # its .nfo stays behind: the sidecar's title and genre no longer apply
        "新下载/video_0315.mp4": "政治理论/video_0315.mp4",
        # manually pinned to culture; the rules' theme follows the folder
        "农村政策法规/低保申请指南.wmv": "政治理论/理论学习/学习辅导.wmv",
        # the title tag stays the title
        "先进适用科技/rice.mp4": "健康娱乐文化/rice.mp4",
    }
    for old, new in renames.items():
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        os.rename(root / old, root / new)
    result = scan(db, settings, root)
    assert result.counts["moved"] == len(renames) and result.counts["added"] == 0

    clean_settings = settings_at(tmp_path / "clean", f"sqlite:///{tmp_path}/clean.db")
    clean_db = Database.open(clean_settings)
    try:
        scan(clean_db, clean_settings, root)
        clean = catalog_as_a_clean_scan_sees_it(clean_db)
    finally:
        clean_db.close()
    rescanned = catalog_as_a_clean_scan_sees_it(db)
    moved_pinned = rescanned["政治理论/理论学习/学习辅导.wmv"]
    # The manual theme wins and survives the move; all else is the clean scan's.
    assert moved_pinned["theme"] == "culture" and moved_pinned["rule_theme"] == "politics"
    moved_pinned["theme"] = moved_pinned["rule_theme"]
    assert rescanned == clean
    after = items_by_path(db)
    assert {new: after[new].id for new in renames.values()} == {
        new: before[old].id for old, new in renames.items()}
    assert (after["先进适用科技/养殖技术讲座.flv"].title,
            after["先进适用科技/养殖技术讲座.flv"].theme) == ("养殖技术讲座", "technology")
    assert (after["政治理论/video_0315.mp4"].title_source,
            after["政治理论/video_0315.mp4"].theme) == ("filename", "politics")
    assert after["健康娱乐文化/rice.mp4"].title == "水稻种植技术"


def test_deleted_file_is_hidden_and_comes_back(tmp_path: Path, db: Database, settings: Settings,
                                               demo_library: Path) -> None:
    root = tmp_path / "lib"
    shutil.copytree(demo_library, root)
    scan(db, settings, root)
    original = items_by_path(db)["健康娱乐文化/黄梅戏选段.mp3"]
    kept = root.parent / "kept.mp3"
    os.rename(root / "健康娱乐文化/黄梅戏选段.mp3", kept)
    assert scan(db, settings, root).counts["removed"] == 1
    assert "健康娱乐文化/黄梅戏选段.mp3" not in items_by_path(db)
    os.rename(kept, root / "健康娱乐文化/黄梅戏选段.mp3")
    scan(db, settings, root)
    assert items_by_path(db)["健康娱乐文化/黄梅戏选段.mp3"].id == original.id


def test_a_file_or_folder_turned_into_a_link_out_leaves_the_catalog(
        tmp_path: Path, db: Database, settings: Settings, demo_library: Path,
        settings_at: Callable[..., Settings]) -> None:
    root = tmp_path / "lib"
    shutil.copytree(demo_library, root)
    scan(db, settings, root)
    outside = tmp_path / "outside"
    outside.mkdir()
    # The same bytes outside the root: not even a matching fingerprint may bring them in.
    shutil.move(root / "政治理论/新时代思想宣讲.mkv", outside / "新时代思想宣讲.mkv")
    os.symlink(outside / "新时代思想宣讲.mkv", root / "政治理论/新时代思想宣讲.mkv")
    shutil.move(root / "健康娱乐文化", outside / "健康娱乐文化")
    os.symlink(outside / "健康娱乐文化", root / "健康娱乐文化")
    os.unlink(root / "党建知识/党课讲稿.pdf")
    os.symlink(root / "党建知识/不存在.pdf", root / "党建知识/党课讲稿.pdf")
    result = scan(db, settings, root)
    found, errors = items_by_path(db), errors_by_path(db)
    assert "政治理论/新时代思想宣讲.mkv" not in found and "党建知识/党课讲稿.pdf" not in found
    assert not [p for p in found if p.startswith("健康娱乐文化/")]
    assert {p: e.reason for p, e in errors.items()} == {
        "政治理论/新时代思想宣讲.mkv": "scan_symlink_outside",
        "健康娱乐文化": "scan_symlink_outside",
        "党建知识/党课讲稿.pdf": "scan_broken_symlink",
    }
    assert result.counts["removed"] == 5 and len(found) == 12

    clean_settings = settings_at(tmp_path / "clean", f"sqlite:///{tmp_path}/clean.db")
    clean_db = Database.open(clean_settings)
    try:
        scan(clean_db, clean_settings, root)
        assert set(items_by_path(clean_db)) == set(found)
        assert {p: (e.reason, e.detail) for p, e in errors_by_path(clean_db).items()} == {
            p: (e.reason, e.detail) for p, e in errors.items()}
    finally:
        clean_db.close()
    # Put back, the files are the same items again.
    os.unlink(root / "政治理论/新时代思想宣讲.mkv")
    shutil.move(outside / "新时代思想宣讲.mkv", root / "政治理论/新时代思想宣讲.mkv")
    scan(db, settings, root)
    assert "政治理论/新时代思想宣讲.mkv" in items_by_path(db)


def test_a_catalogued_file_that_breaks_leaves_the_catalog_and_comes_back(
        tmp_path: Path, db: Database, settings: Settings, demo_library: Path) -> None:
    root = tmp_path / "lib"
    shutil.copytree(demo_library, root)
    scan(db, settings, root)
    lecture = root / "政治理论/形势与政策报告会.avi"
    original, good = items_by_path(db)["政治理论/形势与政策报告会.avi"], lecture.read_bytes()
    lecture.write_text("下载页面的错误提示，不是视频。\n" * 40)
    result = scan(db, settings, root)
    assert "政治理论/形势与政策报告会.avi" not in items_by_path(db)
    assert errors_by_path(db)["政治理论/形势与政策报告会.avi"].reason == "scan_not_media"
    assert result.counts["removed"] == 1 and original.id in result.changed
    lecture.write_bytes(good)
    scan(db, settings, root)
    assert items_by_path(db)["政治理论/形势与政策报告会.avi"].id == original.id
    assert errors_by_path(db) == {}


def test_missing_root_is_reported_and_nothing_is_removed(tmp_path: Path, db: Database,
                                                         settings: Settings,
                                                         demo_library: Path) -> None:
    scan(db, settings, demo_library)
    result = scan(db, settings, demo_library, tmp_path / "没有这个目录")
    assert result.missing_roots == [tmp_path / "没有这个目录"]
    assert result.counts["removed"] == 0 and len(items_by_path(db)) == 17


def catalog_snapshot(db: Database) -> set[tuple[object, ...]]:
    with db.session() as session:
        rows = session.execute(select(Item.rel_path, Item.title, Item.theme, Item.kind,
                                      Item.duration, Item.fingerprint, Item.size,
                                      Item.browser_playable)).all()
    return {tuple(r) for r in rows}


@pytest.mark.slow
def test_scan_killed_halfway_resumes_to_the_same_catalog(
        tmp_path: Path, db_url: str, demo_library: Path,
        settings_at: Callable[..., Settings]) -> None:
    root = tmp_path / "big"
    clips = sorted(p for p in demo_library.rglob("*") if p.suffix in {".mp4", ".avi", ".flv"})
    for n in range(80):
        target = root / f"卷{n // 30}" / f"第{n:03d}讲{clips[n % len(clips)].suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clips[n % len(clips)], target)
    killed = settings_at(tmp_path / "killed", db_url)
    db = Database.open(killed)
    log = tmp_path / "killed-scan.log"
    env = os.environ | {"YUANJIAO_DATA_DIR": str(killed.data_dir), "YUANJIAO_DB_URL": db_url}
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "web.cli", "scan", "-q", "--workers", "1",
                                 str(root)], env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            _wait_for_items(db, proc, log, at_least=20)
        finally:
            proc.kill()  # SIGKILL: no cleanup, no final commit
            proc.wait()
    with db.session() as session:
        partial = session.scalar(select(func.count()).select_from(Item))
    assert partial is not None and 20 <= partial < 80, "the scan was not cut off halfway"
    resumed = Scanner(db, killed).scan([root])
    assert resumed.counts["unchanged"] >= partial
    with db.session() as session:
        statuses = [r.status for r in session.scalars(select(library.ScanRun))]
    assert statuses == ["interrupted", "finished"]

    reference_settings = settings_at(tmp_path / "reference", f"sqlite:///{tmp_path}/ref.db")
    reference = Database.open(reference_settings)
    Scanner(reference, reference_settings).scan([root])
    assert catalog_snapshot(db) == catalog_snapshot(reference)
    assert len(catalog_snapshot(db)) == 80
    db.close()
    reference.close()


def _wait_for_items(db: Database, proc: subprocess.Popen[bytes], log: Path,
                    at_least: int) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        with db.session() as session:
            if (session.scalar(select(func.count()).select_from(Item)) or 0) >= at_least:
                return
        time.sleep(0.05)
    raise AssertionError("the scan wrote nothing within 60 s")


def test_playlists_in_the_library_open_nothing(tmp_path: Path, db: Database,
                                               settings: Settings) -> None:
    # .m3u8 and .ffconcat files, and a playlist renamed to .mp4, that name a local file
    # and a loopback "canary" port: the scan must read neither.
    import socket

    root = tmp_path / "lib"
    root.mkdir()
    with socket.socket() as canary:
        canary.bind(("127.0.0.1", 0))
        canary.listen(4)
        canary.settimeout(0.5)
        port = canary.getsockname()[1]
        playlist = ("#EXTM3U\n#EXTINF:10,\nfile:///etc/hostname\n"
                    f"#EXTINF:10,\nhttp://127.0.0.1:{port}/a.ts\n#EXT-X-ENDLIST\n")
        (root / "课件.m3u8").write_text(playlist)
        (root / "伪装.mp4").write_text(playlist)
        (root / "list.ffconcat").write_text(
            f"ffconcat version 1.0\nfile /etc/hostname\nfile http://127.0.0.1:{port}/b\n")
        result = scan(db, settings, root)
        with pytest.raises(TimeoutError):
            canary.accept()
    assert items_by_path(db) == {}
    assert {p: e.reason for p, e in errors_by_path(db).items()} == {"伪装.mp4": "scan_not_media"}
    assert result.counts["errors"] == 1
