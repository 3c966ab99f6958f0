"""The TV and the station page in Chromium at 1366×768 (issue 14.6).

The station administrator follows the TV link from the station page and plays today's
session with keys only: title, progress and clock show under the picture, ←/→ seek 10 s,
Back returns to the list. On a day without a session the station's terminal chooses a
theme and plays from it, and Back leads back to the TV page; on the ordinary pages Back
returns to the page before. A rescan started from the station page shows its progress
and what it added is in the catalog afterwards. Screenshots go to the test's directory
and a few to /work/shots/tv/ (YUANJIAO_TV_SHOTS to choose another folder).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from yj_browser import wait_until
from yj_testing import make_settings, running_server

from catalog import org, planning
from catalog.db import Database
from catalog.evidence.ledger import rows
from catalog.library.themes import Theme
from catalog.models import Item, OrgNode
from catalog.org import demo_org
from indexer.pipeline import Scanner
from media.demo import DemoItem, make_demo_library

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]

SHOTS = Path(os.environ.get("YUANJIAO_TV_SHOTS", "/work/shots/tv"))
VIEWPORT = {"width": 1366, "height": 768}
LONG = (DemoItem("先进适用科技/果树冬季修剪技术.mp4", Theme.TECHNOLOGY, "mp4-h264", 40.0),
        DemoItem("政治理论/基层党建工作讲座.avi", Theme.POLITICS, "avi-mpeg4", 40.0))
KEPT = ("先进适用科技/rice.mp4", "农村政策法规/新农合政策问答.mp4", "健康娱乐文化/黄梅戏选段.mp3")
ADDED = ("健康娱乐文化/广场舞教学.webm", "健康娱乐文化/新增的广场舞教学.webm")
VIDEO = "document.getElementById('tv-player')"


@dataclass
class Hall:
    url: str
    db: Database
    library: Path
    demo: Path
    gate: Path  # the server's ffprobe waits while this file is missing
    station: int
    token: str
    code: str
    items: dict[str, int]
    shots: Path


def _gated_ffprobe(folder: Path) -> tuple[str, Path]:
    gate = folder / "gate"
    wrapper = folder / "ffprobe-gated"
    real = shutil.which("ffprobe") or "ffprobe"
    wrapper.write_text(f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.05; done\n'
                       f'exec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper), gate


def _hall(tmp_path: Path, demo_library: Path, session_today: bool) -> Iterator[Hall]:
    library = tmp_path / "课件库"
    make_demo_library(library, items=LONG)
    for rel in KEPT:
        (library / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo_library / rel, library / rel)
    ffprobe, gate = _gated_ffprobe(tmp_path)
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path}/catalog.sqlite3",
                             guest_viewing=False, station="SRV-TV", ffprobe=ffprobe,
                             probe_workers=1, playback_idle_seconds=0.5)
    db = Database.open(settings)
    gate.touch()
    Scanner(db, settings).scan([library])
    gate.unlink()
    with db.transaction() as session:
        nodes = demo_org.build(session)
        items = {i.title: i.id for i in session.scalars(select(Item))}
        station = session.get_one(OrgNode, nodes["东村站点"].id)
        if session_today:
            start = datetime.now(UTC) - timedelta(minutes=5)
            study = planning.create_session(session, nodes["东村党支部"], start,
                                            start + timedelta(hours=4), "十二月主题党日")
            planning.set_playlist(session, study, [items["果树冬季修剪技术"],
                                                   items["基层党建工作讲座"],
                                                   items["水稻种植技术"]])
        facts = (station.id, org.token_of(session, station) or "", station.code or "")
    shots = tmp_path / "shots"
    shots.mkdir()
    with running_server(settings, db) as url:
        yield Hall(url, db, library, demo_library, gate, *facts, items, shots)
    db.close()


@pytest.fixture
def session_day(tmp_path: Path, demo_library: Path) -> Iterator[Hall]:
    yield from _hall(tmp_path, demo_library, session_today=True)


@pytest.fixture
def open_day(tmp_path: Path, demo_library: Path) -> Iterator[Hall]:
    yield from _hall(tmp_path, demo_library, session_today=False)


def _shot(page: Any, hall: Hall, name: str, full_page: bool = False) -> Path:
    path = hall.shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    return path


def _sign_in(browser: Any, hall: Hall, username: str, target: str) -> Any:
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{hall.url}/login?next={target}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{target}")
    return page


def _opened(hall: Hall) -> list[dict[str, Any]]:
    with hall.db.engine.connect() as connection:
        return [dict(e.data) for e in rows(connection, "SRV-TV") if e.kind == "playback.open"]


def _osd_visible(page: Any) -> None:
    for selector in ("#tv-osd-title", "#tv-time", "#tv-progress", "#tv-osd .tv-clock"):
        assert page.locator(selector).is_visible(), selector
    clock = page.locator("#tv-osd .tv-clock").inner_text()
    assert re.fullmatch(r"\d\d:\d\d", clock), clock


def _seeks(page: Any, total: str, shoot: Any) -> None:
    """→ moves 10 s on and ← 10 s back, the progress bar and the time following;
    ``shoot`` takes the screenshot after the step forward."""
    wait_until(page, f"{VIDEO}.currentTime > 2 && !{VIDEO}.paused", 60_000)
    assert page.locator("#tv-time").inner_text().endswith(f"/ {total}")
    before = page.evaluate(f"{VIDEO}.currentTime")
    page.keyboard.press("ArrowRight")
    wait_until(page, f"!{VIDEO}.seeking && {VIDEO}.currentTime >= {before + 9.5}", 30_000)
    after = page.evaluate(f"{VIDEO}.currentTime")
    assert before + 9.5 <= after <= before + 13, (before, after)
    wait_until(page, "document.getElementById('tv-progress').value >= "
                     f"{int(1000 * (before + 9.5) / 40)}")
    _osd_visible(page)
    shoot()
    page.keyboard.press("ArrowLeft")
    wait_until(page, f"!{VIDEO}.seeking && {VIDEO}.currentTime < {after - 7}", 30_000)
    back = page.evaluate(f"{VIDEO}.currentTime")
    assert after - 11 <= back <= after - 7, (after, back)


def test_the_station_admin_opens_the_tv_from_the_station_page_and_plays_with_keys(
        browser: Any, session_day: Hall) -> None:
    hall = session_day
    page = _sign_in(browser, hall, "dongcun", f"/stations/{hall.station}")
    page.get_by_role("link", name="打开电视播放模式").click()
    page.wait_for_url(f"**/station/{hall.station}")
    assert page.locator("h1").inner_text() == "十二月主题党日"
    assert page.locator(".tv-item").count() == 3
    assert page.locator(".tv-theme").count() == 0  # a session day: the session only
    _shot(page, hall, "tv-session-list")

    page.keyboard.press("Enter")  # the first item has the focus
    wait_until(page, "window.yuanjiaoTv && window.yuanjiaoTv.index === 0")
    assert page.locator("#tv-osd-title").inner_text() == "果树冬季修剪技术"
    _seeks(page, "0:40", lambda: _shot(page, hall, "tv-playing-direct"))

    page.keyboard.press("Escape")  # Back: the list again, the focus where it was
    wait_until(page, "document.getElementById('tv-stage').hidden")
    assert page.evaluate("document.activeElement.dataset.id") == str(
        hall.items["果树冬季修剪技术"])
    assert page.evaluate(f"{VIDEO}.paused")

    # The second item goes through HLS: the same keys, the same bar.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_until(page, "window.yuanjiaoTv.index === 1")
    assert page.locator("#tv-osd-title").inner_text() == "基层党建工作讲座"
    _seeks(page, "0:40", lambda: _shot(page, hall, "tv-playing-hls"))
    page.keyboard.press("Enter")  # OK pauses, and the bar says so
    page.locator("#tv-paused").wait_for()
    page.keyboard.press("ArrowDown")  # ↓ while playing: the next item
    wait_until(page, "window.yuanjiaoTv.index === 2")
    page.keyboard.press("Backspace")  # the other Back key
    wait_until(page, "document.getElementById('tv-stage').hidden")
    assert page.evaluate("document.activeElement.dataset.id") == str(hall.items["水稻种植技术"])
    page.context.close()

    opened = _opened(hall)
    assert {d["item_id"] for d in opened} >= {hall.items["果树冬季修剪技术"],
                                              hall.items["基层党建工作讲座"]}
    assert None not in {d["session"] for d in opened}  # each recorded for the session


def test_a_day_without_a_session_offers_the_catalog_by_theme(
        browser: Any, open_day: Hall) -> None:
    hall = open_day
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{hall.url}/t/{hall.token}")  # the station's QR link: the terminal's cookie
    page.goto(f"{hall.url}/station/{hall.station}")
    assert page.locator("h1").inner_text() == "今天没有安排活动。"
    tiles = page.locator(".tv-theme")
    assert tiles.all_inner_texts()[0].startswith("政治理论")
    assert [t.split()[0] for t in tiles.all_inner_texts()] == [
        "政治理论", "农村政策法规", "先进适用科技", "健康娱乐文化"]
    assert page.evaluate("document.activeElement.dataset.theme") == "politics"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.theme") == "technology"
    _shot(page, hall, "tv-open-themes")

    page.keyboard.press("Enter")
    page.wait_for_url("**/open?theme=technology")
    assert page.locator("h1").inner_text() == "自由点播 · 先进适用科技"
    assert page.locator(".tv-item").all_inner_texts()[0].split()[1] == "果树冬季修剪技术"
    _shot(page, hall, "tv-open-list")
    page.keyboard.press("Enter")
    wait_until(page, "window.yuanjiaoTv && window.yuanjiaoTv.index === 0")
    _seeks(page, "0:40", lambda: _shot(page, hall, "tv-open-playing"))
    page.keyboard.press("Escape")  # stops playing: the theme's list
    wait_until(page, "document.getElementById('tv-stage').hidden")
    assert page.url.endswith("/open?theme=technology")
    page.keyboard.press("Escape")  # from the list: the TV page
    page.wait_for_url(f"**/station/{hall.station}")
    page.locator(".tv-theme").first.wait_for()

    # The item that follows plays to its end, and the list comes back on the one after.
    page.goto(f"{hall.url}/station/{hall.station}/open?theme=technology")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_until(page, "window.yuanjiaoTv.index === 1")
    assert page.locator("#tv-osd-title").inner_text() == "水稻种植技术"
    wait_until(page, "document.getElementById('tv-stage').hidden", 40_000)

    opened = [d for d in _opened(hall) if d["item_id"] == hall.items["果树冬季修剪技术"]]
    assert opened and {d["station"] for d in opened} == {hall.code}
    assert {d.get("session") for d in opened} == {None}

    # The ordinary pages a remote reaches: Back returns to the page before.
    page.goto(f"{hall.url}/")
    page.locator("main a[href^='/watch/']").first.click()
    page.wait_for_url("**/watch/*")
    page.keyboard.press("Backspace")
    page.wait_for_url(f"{hall.url}/")
    page.locator("input[type=search]").focus()
    page.keyboard.type("水稻")
    page.keyboard.press("Backspace")  # in a text field it deletes, as always
    assert page.locator("input[type=search]").input_value() == "水"
    assert page.url == f"{hall.url}/"
    context.close()


def test_a_rescan_from_the_station_page_shows_its_progress(
        browser: Any, open_day: Hall) -> None:
    hall = open_day
    page = _sign_in(browser, hall, "dongcun", f"/stations/{hall.station}")
    for rel in ADDED:
        shutil.copy(hall.demo / "健康娱乐文化/广场舞教学.webm", hall.library / rel)
    page.get_by_role("button", name="开始扫描").click()
    # ffprobe waits at the gate: the scan stays running, its progress on the page.
    wait_until(page, "window.yuanjiaoRescan && window.yuanjiaoRescan.total === 2")
    bar = page.locator("#rescan-progress")
    assert bar.is_visible()
    assert page.evaluate("document.getElementById('rescan-progress').max") == 2
    assert "0 / 2" in page.locator("#rescan-message").inner_text()
    assert page.get_by_role("button", name="开始扫描").is_disabled()
    _shot(page, hall, "station-rescan-running", full_page=True)
    hall.gate.touch()
    wait_until(page, "window.yuanjiaoRescan.state === 'done'", 60_000)
    assert page.evaluate("document.getElementById('rescan-progress').value") == 1
    assert "新增 2" in page.locator("#rescan-message").inner_text()
    _shot(page, hall, "station-rescan-done", full_page=True)
    page.get_by_role("link", name="查看课件目录").click()
    page.wait_for_url(f"{hall.url}/")
    assert page.get_by_text("新增的广场舞教学").count() >= 1
    page.context.close()
    print(f"screenshots: {hall.shots} and {SHOTS}")
