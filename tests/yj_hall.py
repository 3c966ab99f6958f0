"""A branch with a running app for the attendance and session-record tests: the demo
organization, the real app over TestClient, SQLite or PostgreSQL, the real ledger."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from yj_testing import make_settings, sign_in

from catalog import attendance, org
from catalog.db import Database
from catalog.evidence.ledger import format_at
from catalog.keyfile import load_key
from catalog.models import LedgerRow, Member, OrgNode, StudySession
from catalog.org import demo_org
from catalog.settings import Settings
from web.app import create_app

JSON = {"accept": "application/json"}
LEDGER = "CG-TEST"


@dataclass
class Hall:
    settings: Settings
    db: Database
    client: TestClient
    nodes: dict[str, int]
    members: dict[str, int]
    tokens: dict[str, str]  # station name → its terminal token
    key: bytes

    def as_terminal(self, station: str = "东村站点") -> dict[str, str]:
        self.client.cookies.clear()
        return {"station_token": self.tokens[station]}

    def sign_in(self, username: str) -> str:
        self.client.cookies.clear()
        return sign_in(self.client, None, username, password=demo_org.DEMO_PASSWORD)

    def session(self, start_in: timedelta, hours: float = 2.0, kind: str = "prescribed",
                org_name: str = "东村党支部", group: str = "", **more: Any) -> int:
        """A session made through the JSON twin of the session form, as dongcun."""
        csrf = self.sign_in("dongcun" if org_name != "河西村党支部" else "admin")
        start = datetime.now(UTC) + start_in
        body = {"title": f"测试活动{start_in}", "kind": kind, "group": group,
                "starts_at": start.astimezone().isoformat(),
                "ends_at": (start + timedelta(hours=hours)).astimezone().isoformat(), **more}
        made = self.client.post(f"/api/org/{self.nodes[org_name]}/sessions", json=body,
                                headers={"x-csrf-token": csrf, **JSON})
        assert made.status_code == 201, made.text
        self.client.cookies.clear()
        return int(made.json()["id"])

    def code(self, session_id: int, windows_ago: int = 0) -> str:
        window = attendance.window_of(datetime.now(UTC).timestamp()) - windows_ago
        return attendance.code_for(self.key, session_id, window)

    def signin(self, session_id: int, **body: Any) -> Any:
        return self.client.post(f"/api/sessions/{session_id}/signins", json=body, headers=JSON)

    def rows(self, kind: str | None = None) -> int:
        with self.db.session() as s:
            query = select(func.count()).select_from(LedgerRow)
            if kind:
                query = query.where(LedgerRow.kind == kind)
            return int(s.scalar(query) or 0)

    def verdict(self) -> Any:
        """``ledger verify``'s verdict on the database, every projection compared."""
        from catalog import verification
        from catalog.evidence import audit

        with self.db.engine.connect() as connection:
            return audit.verify_stored(connection, LEDGER, None, None, audit.grace(60),
                                       projections=verification.projection_checks())

    def attendance(self, session_id: int) -> dict[str, Any]:
        self.sign_in("dongcun")
        found = self.client.get(f"/api/sessions/{session_id}/attendance", headers=JSON)
        assert found.status_code == 200, found.text
        return dict(found.json())


@pytest.fixture
def hall(tmp_path: Path, db_url: str) -> Iterator[Hall]:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False, station=LEDGER)
    db = Database.open(settings)
    with db.transaction() as session:
        built = demo_org.build(session)
        nodes = {name: node.id for name, node in built.items()}
        members = {m.name: m.id for m in session.scalars(select(Member))}
        tokens = {name: org.token_of(session, session.get_one(OrgNode, nodes[name])) or ""
                  for name in ("东村站点", "河西村站点")}
    app = create_app(settings, db)
    with TestClient(app, base_url="http://testserver") as client:
        yield Hall(settings, db, client, nodes, members, tokens, load_key(settings.data_dir))
    db.close()


def play(hall: Hall, station: str, at: datetime, seconds: float, session: str | None,
          item: int = 1, sent: float | None = None) -> None:
    writer = hall.client.app.state.evidence.writer  # type: ignore[attr-defined]
    opened = writer.submit("playback.open", {
        "station": station, "client": "10.0.0.9", "user_agent": "tv", "member": None,
        "session": session, "item_id": item, "title": f"课件{item}", "method": "direct",
        "opened_at": format_at(at)}).result(timeout=30)
    writer.submit("playback.close", {
        "open_seq": opened.seq, "item_id": item, "client": "10.0.0.9",
        "closed_at": format_at(at + timedelta(seconds=seconds)), "ended_by": "idle",
        "bytes_sent": 1, "seconds": seconds, "intervals": [[0, sent or seconds]]}
    ).result(timeout=30)


def month_of_records(hall: Hall) -> tuple[int, str]:
    """A session this month with a sign-in, minutes and feedback; plays at the station
    in it and in open viewing (one counted once, one too short), one elsewhere."""
    zone = ZoneInfo(hall.settings.timezone)
    running = hall.session(timedelta(minutes=-10))
    hall.client.cookies.clear()
    assert hall.signin(running, code=hall.code(running), phone_last4="0001",
                       member_id=hall.members["张三"]).status_code == 201
    csrf = hall.sign_in("dongcun")
    headers = {**JSON, "x-csrf-token": csrf}
    assert hall.client.post(f"/api/sessions/{running}/minutes", headers=headers, json={
        "topics": ["development"], "summary": "=讨论了果树"}).status_code == 201
    assert hall.client.post(f"/api/sessions/{running}/feedback", headers=headers,
                            json={"requests": "多发课件"}).status_code == 201
    with hall.db.session() as s:
        start = s.get_one(StudySession, running).starts_at
    play(hall, "CG-001", start + timedelta(minutes=5), 1200, str(running))
    now = datetime.now(UTC)
    play(hall, "CG-001", now - timedelta(minutes=30), 600, None, item=2)
    play(hall, "CG-001", now - timedelta(minutes=20), 600, None, item=2)  # same day, once
    play(hall, "CG-001", now - timedelta(minutes=10), 90, None, item=3)  # under 120 s
    play(hall, "HX-001", now - timedelta(minutes=10), 900, None, item=2)  # elsewhere
    return running, start.astimezone(zone).strftime("%Y-%m")


ITEM_THEMES = {1: "party", 2: "technology", 3: "policy"}


def stock(hall: Hall) -> None:
    """Items 1–3 (what play() plays) in the catalog, with themes and durations."""
    from catalog.models import Item, LibraryRoot

    with hall.db.transaction() as s:
        root = LibraryRoot(path=str(hall.settings.data_dir / "library"))
        s.add(root)
        s.flush()
        for item_id, theme in ITEM_THEMES.items():
            s.add(Item(id=item_id, root_id=root.id, rel_path=f"课件{item_id}.mp4",
                       rel_path_raw=f"课件{item_id}.mp4".encode(), title=f"课件{item_id}",
                       title_source="filename", theme=theme, rule_theme=theme, kind="video",
                       size=1000, mtime_ns=0, fingerprint=f"f{item_id}", duration=1800.0))


def node_ids(hall: Hall) -> dict[str, int]:
    """The demo tree's nodes by name (towns and organizations), and "city"."""
    with hall.db.session() as session:
        city = org.ensure_city(session)
        found = {"city": city.id}
        for town in org.children(session, city):
            found[town.name] = town.id
            for home in org.children(session, town):
                found[home.name] = home.id
    return found
