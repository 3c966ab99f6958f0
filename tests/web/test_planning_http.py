"""Planning over real HTTP: a session's M3U8 plays in ffmpeg against the running server
and every stream it triggers is recorded for the station and the session; the iCalendar
feed and the printable notice."""

from __future__ import annotations

import subprocess
import time
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from yj_testing import make_settings, running_server, sign_in

from catalog import planning
from catalog.db import Database
from catalog.evidence import audit
from catalog.evidence.ledger import rows
from catalog.models import Item, OrgNode
from catalog.org import demo_org
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def planned(tmp_path: Path, db_url: str, demo_library: Path) -> Any:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False, station="SRV-1",
                             playback_idle_seconds=0.5)
    db = Database.open(settings)
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        items = {i.rel_path: i.id for i in session.query(Item)}
        # Today: an export's token plays only on its session's day.
        # Begun half an hour ago, whatever the hour the suite runs at: its notice is late.
        start = datetime.now(ZONE).replace(second=0, microsecond=0) - timedelta(minutes=30)
        study = planning.create_session(session, nodes["东村党支部"], start,
                                        start + timedelta(hours=4), "十二月主题党日",
                                        topics=["party_building", "civility"])
        # One file a browser plays as it is, one it cannot (an AVI, HLS on the web).
        planning.set_playlist(session, study, [items["先进适用科技/rice.mp4"],
                                               items["政治理论/形势与政策报告会.avi"]])
        planning.publish_notice(study, "请全体党员准时参加。")
        station = session.get_one(OrgNode, nodes["东村站点"].id)
        ids = {"session": study.id, "town": nodes["城关镇"].id, "station": station.id,
               "code": station.code}
    yield settings, db, ids
    db.close()


def test_the_m3u8_plays_in_ffmpeg_and_each_stream_is_recorded_for_the_station(
        planned: Any) -> None:
    settings, db, ids = planned
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as staff:
        sign_in(staff, None, "dongcun", password=demo_org.DEMO_PASSWORD)
        playlist = staff.get(f"/sessions/{ids['session']}/playlist.m3u8")
        assert playlist.status_code == 200
        lines = playlist.text.splitlines()
        assert lines[0] == "#EXTM3U" and lines[2].startswith("#EXTINF:")
        urls = [line for line in lines if line.startswith("http")]
        assert len(urls) == 2 and all("&export=x" in u for u in urls)
        assert "station_token" not in playlist.text  # the station's own token never leaves
        # VLC on a station PC: the file alone, no cookie, no login.
        for stream_url in urls:
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                    "format=duration", "-of", "csv=p=0", stream_url],
                                   capture_output=True, text=True, timeout=60)
            assert probe.returncode == 0 and float(probe.stdout) > 1, probe.stderr
        decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", urls[1], "-f", "null", "-"],
                                 capture_output=True, text=True, timeout=120)
        assert decoded.returncode == 0, decoded.stderr
        assert httpx.get(urls[0].split("?")[0]).status_code == 401  # without the token
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = staff.get("/api/playbacks").json()["playbacks"]
            if len(found) >= 2 and all(p["closed_at"] for p in found):
                break
            time.sleep(0.2)
    with db.engine.connect() as connection:
        opened = [e.data for e in rows(connection, "SRV-1") if e.kind == "playback.open"]
        issued = [e.data for e in rows(connection, "SRV-1") if e.kind == "export.issued"]
        verdict = audit.verify_stored(connection, "SRV-1", None, None, audit.grace(5))
    assert verdict.ok, verdict.problem  # an export row is evidence like any other
    # ffprobe and ffmpeg on one item within the idle window are one playback.
    assert len({d["item_id"] for d in opened}) == 2
    assert {d["station"] for d in opened} == {ids["code"]}
    assert {d["session"] for d in opened} == {str(ids["session"])}
    # Each playback names the export it came from, and the export who took it.
    assert len(issued) == 1 and {d["member"] for d in opened} == {f"export:{issued[0]['export']}"}
    assert issued[0]["issued_by"] == "user:dongcun" and issued[0]["role"] == "station_admin"
    assert issued[0]["session"] == str(ids["session"]) and len(issued[0]["items"]) == 2


def test_xspf_ical_and_notice(planned: Any) -> None:
    settings, db, ids = planned
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as staff:
        sign_in(staff, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        xspf = staff.get(f"/sessions/{ids['session']}/playlist.xspf")
        ical = staff.get(f"/org/{ids['town']}/sessions.ics")
        notice = staff.get(f"/sessions/{ids['session']}/notice")
    assert xspf.headers["content-type"].startswith("application/xspf+xml")
    assert xspf.text.count("<track>") == 2 and "&amp;export=x" in xspf.text
    assert ical.headers["content-type"].startswith("text/calendar")
    body = ical.text
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:东村党支部 · 十二月主题党日" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert "DTSTART:" in body and "X-WR-CALNAME:城关镇 主题党日" in body
    assert "东村党支部主题党日活动通知" in notice.text and "乡风文明" in notice.text
    assert "print.css" in notice.text


def test_a_must_watch_item_is_found_by_the_search_filter(planned: Any) -> None:
    settings, db, ids = planned
    with db.session() as session:
        item = session.query(Item).filter(Item.rel_path.like("%广场舞%")).one()
        home = session.query(OrgNode).filter(OrgNode.name == "东村党支部").one()
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as staff:
        csrf = sign_in(staff, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        before = staff.get("/api/search", params={"must_watch": "1"}).json()
        marked = staff.post("/must-watch", data={
            "csrf": csrf, "item_id": str(item.id), "node_ids": [str(home.id)],
            "deadline": (date.today() + timedelta(days=10)).isoformat()})
        assert marked.status_code == 303  # back to the sessions page
        after = staff.get("/api/search", params={"must_watch": "1"}).json()
        pending = staff.get("/api/must-watch", params={"node": home.id}).json()["pending"]
    assert before["total"] == 0
    assert [r["id"] for r in after["results"]] == [item.id]
    assert [p["item_id"] for p in pending] == [item.id]


def test_compose_plans_and_a_moved_session_over_the_api(planned: Any) -> None:
    settings, db, ids = planned
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as staff:
        csrf = sign_in(staff, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        headers = {"x-csrf-token": csrf}
        api = f"/api/sessions/{ids['session']}"
        first = staff.post(f"{api}/compose", json={"months": 0}, headers=headers).json()
        second = staff.post(f"{api}/compose", json={"months": 0}, headers=headers).json()
        assert first == second and first["items"]
        assert all(item["reason"] for item in first["items"])
        saved = staff.put(api, json={"items": [i["id"] for i in first["items"]],
                                     "discussion_minutes": 45}, headers=headers).json()
        assert [i["id"] for i in saved["items"]] == [i["id"] for i in first["items"]]
        assert saved["discussion_minutes"] == 45
        # The demo clips are short, and a notice published on the day is late.
        assert {c["code"] for c in saved["checks"]} == {"length", "notice"}
        bad = staff.put(api, json={"items": [999999]}, headers=headers)
        assert bad.status_code == 404 and bad.json()["error"] == "item_not_found"

        plans = f"/api/org/{ids['town']}/plans?year=2027"
        stored = staff.put(plans, headers=headers, json={
            "year": {"focus": {"1": "politics", "7": "party", "13": "x"}, "notes": "全年重点"},
            "q1": {"notes": "一季度安排"}, "m03": {"notes": "三月：学习两会精神"}}).json()
        assert stored["plans"]["year"] == {"focus": {"1": "politics", "7": "party"},
                                           "notes": "全年重点"}
        assert staff.get(plans).json() == stored
        assert staff.put(plans, headers=headers, json={"m13": {}}).status_code == 400

        moved = staff.post(f"/sessions/{ids['session']}/move", data={
            "csrf": csrf, "date": "2027-01-15", "start": "14:00", "end": "18:00"})
        assert moved.status_code == 303
        after = staff.get(api).json()
        assert (after["date"], after["start"], after["end"], after["moved"]) == (
            "2027-01-15", "14:00", "18:00", True)
        wrong = staff.post(f"/sessions/{ids['session']}/move", data={
            "csrf": csrf, "date": "2027-01-15", "start": "18:00", "end": "14:00"})
        assert wrong.status_code == 400 and "结束须晚于开始" in wrong.text


def test_the_plan_page_keeps_a_years_focus_and_assignments(planned: Any) -> None:
    settings, db, ids = planned
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as staff:
        csrf = sign_in(staff, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        page = f"/org/{ids['town']}/plan?year=2027"
        saved = staff.post(page, data={"csrf": csrf, "notes_year": "全年学习重点",
                                       "focus_3": "policy", "focus_7": "party",
                                       "notes_m03": "学习两会精神", "notes_q3": "冬训准备"},
                           follow_redirects=True)
        api = staff.get(f"/api/org/{ids['town']}/plans?year=2027").json()["plans"]
    assert saved.status_code == 200 and "学习两会精神" in saved.text
    assert api["year"] == {"focus": {"3": "policy", "7": "party"}, "notes": "全年学习重点"}
    assert api["m03"]["notes"] == "学习两会精神" and api["q3"]["notes"] == "冬训准备"


def test_compose_leans_on_the_months_focus_in_the_yearly_plan(planned: Any) -> None:
    settings, db, ids = planned
    with db.session() as session:
        study = planning.get_session(session, ids["session"])
        month = study.starts_at.astimezone(ZONE).month
        year = study.starts_at.astimezone(ZONE).year
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as staff:
        csrf = sign_in(staff, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        headers = {"x-csrf-token": csrf}
        api = f"/api/sessions/{ids['session']}/compose"
        plain = staff.post(api, json={"months": 0}, headers=headers).json()
        staff.put(f"/api/org/{ids['town']}/plans?year={year}", headers=headers,
                  json={"year": {"focus": {str(month): "culture"}}})
        focused = staff.post(api, json={"months": 0}, headers=headers).json()

    # (The demo catalog is too small for weights to change the pick; that weights shape
    # the pick is tests/catalog/test_rules_compose.py's business.)
    assert plain["weights"] == {t: 1.0 for t in ("politics", "party", "policy",
                                                 "technology", "culture")}
    assert focused["weights"]["culture"] == 2.0 and focused["weights"]["party"] == 1.0
