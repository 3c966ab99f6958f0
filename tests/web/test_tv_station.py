"""The station page's rescan and the TV's open viewing over HTTP (issue 14.6).

A rescan is started by the station's editors only, runs in the background (one at a
time: a second start gets the running one), is followed by polling, and what it finds
is in the catalog and the search afterwards. Bad input is a 4xx, never a 500. On a day
without a session the TV offers the catalog by theme.
"""

from __future__ import annotations

import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from yj_testing import make_settings, sign_in

from catalog import org
from catalog.db import Database
from catalog.models import OrgNode
from catalog.org import demo_org
from catalog.settings import Settings
from indexer.pipeline import Scanner, scan_lock
from web.app import create_app

pytestmark = pytest.mark.ffmpeg

KEPT = ("先进适用科技/rice.mp4", "农村政策法规/新农合政策问答.mp4", "健康娱乐文化/黄梅戏选段.mp3",
        "党建知识/党课讲稿.pdf")
ADDED = ("先进适用科技/大棚蔬菜栽培.mpg", "政治理论/新时代思想宣讲.mkv")
JSON = {"accept": "application/json"}


@dataclass
class Town:
    settings: Settings
    db: Database
    library: Path
    demo: Path  # the demo library, where the files a test adds come from
    gate: Path  # ffprobe waits while this file is missing
    nodes: dict[str, int]
    token: str  # 东村站点's


def _gated_ffprobe(folder: Path) -> tuple[str, Path]:
    """The real ffprobe, started only once the test opens the gate: a scan stays running
    for as long as the test needs it to."""
    gate = folder / "gate"
    wrapper = folder / "ffprobe-gated"
    real = shutil.which("ffprobe") or "ffprobe"
    wrapper.write_text(f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.05; done\n'
                       f'exec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper), gate


@pytest.fixture
def town(tmp_path: Path, db_url: str, demo_library: Path) -> Iterator[Town]:
    library = tmp_path / "课件库"
    for rel in KEPT:
        (library / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo_library / rel, library / rel)
    ffprobe, gate = _gated_ffprobe(tmp_path)
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False, ffprobe=ffprobe,
                             probe_workers=1)
    db = Database.open(settings)
    gate.touch()
    Scanner(db, settings).scan([library])
    gate.unlink()
    with db.transaction() as session:
        built = demo_org.build(session)
        nodes = {name: node.id for name, node in built.items()}
        token = org.token_of(session, session.get_one(OrgNode, nodes["东村站点"])) or ""
    yield Town(settings, db, library, demo_library, gate, nodes, token)
    db.close()


def _client(town: Town, username: str | None = None) -> tuple[TestClient, str]:
    client = TestClient(create_app(town.settings, town.db), headers=JSON)
    client.__enter__()
    csrf = sign_in(client, None, username, password=demo_org.DEMO_PASSWORD) if username else ""
    return client, csrf


def _start(client: TestClient, csrf: str, station: int, **data: str) -> Any:
    return client.post(f"/stations/{station}/rescan", data=data or {"action": "start"},
                       headers={"x-csrf-token": csrf} if csrf else {})


def _wait(client: TestClient, station: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/stations/{station}/rescan").json()
        if state["state"] != "running" or time.monotonic() > deadline:
            return dict(state)
        time.sleep(0.1)


def test_a_station_admin_rescans_and_the_new_files_are_catalogued(town: Town) -> None:
    station = town.nodes["东村站点"]
    for rel in ADDED:
        (town.library / rel).parent.mkdir(parents=True, exist_ok=True)
    client, csrf = _client(town, "dongcun")
    try:
        idle = client.get(f"/stations/{station}/rescan").json()
        assert idle["state"] == "idle" and idle["roots"] == [str(town.library)]
        before = {i["title"] for i in client.get("/api/items").json()["items"]}
        for rel in ADDED:
            shutil.copy(town.demo / rel, town.library / rel)
        started = _start(client, csrf, station)
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["started"] and job["state"] == "running"
        assert job["station"] == {"id": station, "name": "东村站点"}
        assert job["started_by"] == "user:dongcun"
        # While ffprobe waits at the gate the scan runs: a second start gets the same one.
        deadline = time.monotonic() + 20
        while client.get(f"/stations/{station}/rescan").json()["total"] is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        running = client.get(f"/stations/{station}/rescan").json()
        assert running["state"] == "running" and running["total"] == len(ADDED)
        assert running["done"] == 0 and "0 / 2" in running["message"]
        again = _start(client, csrf, station)
        assert again.status_code == 200
        assert again.json()["id"] == job["id"] and again.json()["started"] is False
        # From another station's page, by its town's organizer: still the one scan.
        other = TestClient(client.app, headers=JSON)  # the same server (no second lifespan)
        other_csrf = sign_in(other, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        third = _start(other, other_csrf, town.nodes["西村站点"])
        assert third.status_code == 200 and third.json()["id"] == job["id"]
        # Another server on the same data directory: the scan's lock file refuses it.
        second, second_csrf = _client(town, "chengguan")
        try:
            fourth = _start(second, second_csrf, town.nodes["西村站点"])
            assert (fourth.status_code, fourth.json()["error"]) == (409, "scan_locked")
        finally:
            second.__exit__(None, None, None)
        town.gate.touch()
        done = _wait(client, station)
        assert done["state"] == "done", done
        assert done["summary"]["added"] == len(ADDED) and done["summary"]["errors"] == 0
        assert done["done"] == done["total"] == len(ADDED)
        assert done["message"].startswith("扫描完成：新增 2")
        after = {i["title"] for i in client.get("/api/items").json()["items"]}
        assert after - before == {"大棚蔬菜栽培", "新时代思想宣讲"}
        found = client.get("/api/search", params={"q": "大棚"}).json()
        assert [r["title"] for r in found["results"]] == ["大棚蔬菜栽培"]
        # The page shows the last scan's result, and the next start is a new scan.
        page = client.get(f"/stations/{station}", headers={"accept": "text/html"})
        assert 'id="rescan-progress"' in page.text and "扫描完成" in page.text
        fresh = _start(client, csrf, station)
        assert fresh.status_code == 202 and fresh.json()["id"] == job["id"] + 1
        assert _wait(client, station)["summary"]["unchanged"] == len(KEPT) + len(ADDED)
    finally:
        client.__exit__(None, None, None)


@pytest.mark.parametrize("caller", ["anonymous", "terminal", "zhangsan", "inspector"])
def test_only_editors_start_or_follow_a_rescan(town: Town, caller: str) -> None:
    station = town.nodes["东村站点"]
    client, csrf = _client(town, None if caller in ("anonymous", "terminal") else caller)
    try:
        suffix = f"?station_token={town.token}" if caller == "terminal" else ""
        got = client.post(f"/stations/{station}/rescan{suffix}", data={"action": "start"},
                          headers={"x-csrf-token": csrf} if csrf else {})
        seen = client.get(f"/stations/{station}/rescan{suffix}")
        want = 401 if caller in ("anonymous", "terminal") else 403
        assert (got.status_code, seen.status_code) == (want, want), got.text
        assert client.app.state.rescans.last is None  # type: ignore[attr-defined]
    finally:
        client.__exit__(None, None, None)


def test_a_station_admin_cannot_rescan_from_another_towns_station(town: Town) -> None:
    client, csrf = _client(town, "dongcun")
    try:
        far = town.nodes["河西村站点"]
        assert _start(client, csrf, far).status_code == 404
        assert client.get(f"/stations/{far}/rescan").status_code == 404
    finally:
        client.__exit__(None, None, None)


def test_bad_rescan_requests_are_refused_with_a_reason(town: Town) -> None:
    station = town.nodes["东村站点"]
    client, csrf = _client(town, "admin")
    try:
        cases = {
            "no action": ({}, 400, "bad_choice"),
            "another action": ({"action": "stop"}, 400, "bad_choice"),
            "a long action": ({"action": "x" * 5000}, 400, "bad_choice"),
        }
        for name, (data, status, key) in cases.items():
            got = client.post(f"/stations/{station}/rescan", data=data,
                              headers={"x-csrf-token": csrf})
            assert (got.status_code, got.json()["error"]) == (status, key), name
        assert client.post(f"/stations/{station}/rescan", json={"action": "start"},
                           headers={"x-csrf-token": csrf}).status_code == 400
        assert _start(client, "", station).status_code == 403  # no CSRF token
        organization = town.nodes["东村党支部"]  # a node, but not a station
        assert _start(client, csrf, organization).json()["error"] == "node_not_found"
        assert client.get(f"/stations/{organization}/rescan").status_code == 404
        for path in ("/stations/99999999/rescan", "/stations/" + "9" * 30 + "/rescan",
                     "/stations/x/rescan", "/stations/-1/rescan"):
            assert client.get(path).status_code == 404, path
            posted = client.post(path, data={"action": "start"},
                                 headers={"x-csrf-token": csrf})
            assert posted.status_code == 404, path
        with scan_lock(town.settings.data_dir):  # `yuanjiao scan` is running
            locked = _start(client, csrf, station)
        assert (locked.status_code, locked.json()["error"]) == (409, "scan_locked")
        assert client.app.state.rescans.last is None  # type: ignore[attr-defined]
    finally:
        client.__exit__(None, None, None)


def test_a_rescan_with_no_library_folder_says_what_to_do(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    with db.transaction() as session:
        station = demo_org.build(session)["东村站点"].id
    town = Town(settings, db, tmp_path, tmp_path, tmp_path / "gate", {}, "")
    client, csrf = _client(town, "dongcun")
    try:
        got = _start(client, csrf, station)
        assert (got.status_code, got.json()["error"]) == (409, "rescan_no_roots")
        assert "library_roots" in got.json()["message"]
        page = client.get(f"/stations/{station}", headers={"accept": "text/html"}).text
        assert "没有可扫描的媒体库目录" in page
        assert 'value="start" disabled' in page
    finally:
        client.__exit__(None, None, None)
        db.close()


def test_a_form_without_scripts_comes_back_to_the_station_page(town: Town) -> None:
    station = town.nodes["东村站点"]
    client, csrf = _client(town, "dongcun")
    try:
        town.gate.touch()
        got = client.post(f"/stations/{station}/rescan", data={"action": "start", "csrf": csrf},
                          headers={"accept": "text/html"}, follow_redirects=False)
        assert got.status_code == 303
        assert got.headers["location"] == f"/stations/{station}#rescan"
        assert _wait(client, station)["state"] == "done"
    finally:
        client.__exit__(None, None, None)


def test_the_station_page_links_to_the_tv_and_offers_the_rescan_to_editors(town: Town) -> None:
    station = town.nodes["东村站点"]
    for username, editor in (("dongcun", True), ("inspector", False)):
        client, _ = _client(town, username)
        try:
            page = client.get(f"/stations/{station}", headers={"accept": "text/html"}).text
            assert f'href="/station/{station}"' in page and "打开电视播放模式" in page
            assert ('id="rescan"' in page) is editor, username
            assert (str(town.library) in page) is editor, username
        finally:
            client.__exit__(None, None, None)


# ---- the TV on a day without a session


def test_a_day_without_a_session_offers_the_catalog_by_theme(town: Town) -> None:
    station = town.nodes["东村站点"]
    client, _ = _client(town)
    try:
        tv = client.get(f"/station/{station}?station_token={town.token}",
                        headers={"accept": "text/html"})
        assert tv.status_code == 200
        assert "今天没有安排活动" in tv.text and "自由点播" in tv.text
        # Themes with something a TV plays, in the policy's order; the PDF's theme has none.
        themes = [line.split('data-theme="')[1].split('"')[0]
                  for line in tv.text.splitlines() if 'class="tv-theme"' in line]
        assert themes == ["policy", "technology", "culture"]
        link = f"/station/{station}/open?theme=technology&amp;station_token={town.token}"
        assert link in tv.text  # a TV that keeps no cookie keeps its token in the links
        open_page = client.get(f"/station/{station}/open?theme=technology",
                               headers={"accept": "text/html"})
        assert open_page.status_code == 200
        assert "水稻种植技术" in open_page.text and 'class="tv-item"' in open_page.text
        assert f'data-back="/station/{station}"' in open_page.text
        party = client.get(f"/station/{station}/open?theme=party",
                           headers={"accept": "text/html"})
        assert "党课讲稿" not in party.text and 'class="tv-item"' not in party.text
        chooser = client.get(f"/station/{station}/open", headers={"accept": "text/html"})
        assert chooser.status_code == 200 and 'class="tv-theme"' in chooser.text
        # Bad input: a 4xx naming it.
        bad = client.get(f"/station/{station}/open?theme=%3Cscript%3E")
        assert (bad.status_code, bad.json()["error"]) == (400, "theme_unknown")
        assert "<script>" not in client.get(f"/station/{station}/open?theme=%3Cscript%3E",
                                            headers={"accept": "text/html"}).text
        organization = town.nodes["东村党支部"]
        assert client.get(f"/station/{organization}/open").status_code == 404
        assert client.get("/station/99999999/open").status_code == 404
    finally:
        client.__exit__(None, None, None)


def test_open_viewing_is_for_the_stations_own_terminal_and_staff(town: Town) -> None:
    client, _ = _client(town)
    try:
        far = town.nodes["河西村站点"]
        assert client.get(f"/station/{far}/open?station_token={town.token}").status_code == 404
        client.cookies.clear()
        assert client.get(f"/station/{far}/open").status_code == 401
    finally:
        client.__exit__(None, None, None)
