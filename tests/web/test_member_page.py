"""A member's own page (issue 14.7): his branch's coming sessions with their notices,
the must-watch items due and what he watched; pages for members show no command line
and no identifier."""

from __future__ import annotations

import html.parser
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from yj_testing import make_settings

from catalog import planning
from catalog.db import Database
from catalog.models import Item, Member, OrgNode, Playback
from catalog.org import demo_org
from web.app import create_app

pytestmark = pytest.mark.ffmpeg
ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Branch:
    client: TestClient
    member: int  # 张三's member id
    sessions: dict[str, int]
    items: dict[str, int]
    library: Path


def log_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    done = client.post("/login", data={"csrf": token.group(1), "username": username,
                                       "password": demo_org.DEMO_PASSWORD, "next": "/"},
                       follow_redirects=False)
    assert done.status_code == 303, done.text[:300]


def _session(session: Any, home: OrgNode, days: int, title: str) -> Any:
    day = datetime.now(ZONE).date() + timedelta(days=days)
    start = planning.local(day, 8 * 60 + 30, ZONE)
    return planning.create_session(session, home, start, start + timedelta(hours=4), title)


def _playback(seq: int, who: str, item: Item, seconds: float, days_ago: int) -> Playback:
    opened = datetime.now(ZONE) - timedelta(days=days_ago)
    return Playback(ledger="TEST", open_seq=seq, station="CG-001", client="10.0.0.9",
                    member=who, item_id=item.id, title=item.title, method="direct",
                    opened_at=opened, closed_at=opened + timedelta(seconds=seconds),
                    close_seq=seq + 1000, seconds=seconds, ended_by="idle")


@pytest.fixture
def branch(tmp_path: Path, db_url: str, demo_library: Path) -> Iterator[Branch]:
    from indexer.pipeline import Scanner

    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        items = {i.title: i for i in session.scalars(select(Item))}
        rice, party, other = items["水稻种植技术"], items["党课讲稿"], items["新农合政策问答"]
        home, far = nodes["东村党支部"], nodes["河西村党支部"]
        studies = {"published": _session(session, home, 5, "东村四月学习"),
                   "draft": _session(session, home, 12, "东村五月学习"),
                   "cancelled": _session(session, home, 8, "东村加开学习"),
                   "past": _session(session, home, -3, "东村上月学习"),
                   "far": _session(session, far, 5, "河西四月学习")}
        for name in ("published", "cancelled", "past", "far"):
            planning.publish_notice(studies[name], f"{studies[name].title}，请准时参加。")
        planning.cancel_session(studies["cancelled"], "村部停电")
        today = datetime.now(ZONE).date()
        planning.mark_must_watch(session, rice.id, nodes["本市"], today,
                                 today + timedelta(days=20), [nodes["城关镇"]])
        planning.mark_must_watch(session, other.id, nodes["本市"], today,
                                 today + timedelta(days=20), [nodes["河西镇"]])
        session.add_all([_playback(1, "user:zhangsan", rice, 125.0, 2),
                         _playback(2, "user:zhangsan", party, 40.0, 1),
                         _playback(3, "user:dongcun", other, 300.0, 1)])
        member = session.scalars(select(Member).where(Member.name == "张三")).one().id
        ids = {k: s.id for k, s in studies.items()}
        item_ids = {"rice": rice.id, "party": party.id, "other": other.id}
    with TestClient(create_app(settings, db)) as client:
        yield Branch(client, member, ids, item_ids, demo_library)
    db.close()


class _Text(html.parser.HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


# Dates, times, durations and phone numbers are what a member may read as numbers.
READABLE_NUMBERS = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(:\d{2})?|1\d{10}")


def test_his_page_lists_his_branchs_sessions_due_items_and_what_he_watched(
        branch: Branch) -> None:
    client = branch.client
    log_in(client, "zhangsan")
    page = client.get(f"/members/{branch.member}", headers={"accept": "text/html"})
    assert page.status_code == 200
    text = visible_text(page.text)
    coming = text[text.index("本支部即将开展的活动"):text.index("必看课件")]
    assert [t for t in ("东村四月学习", "东村加开学习", "东村五月学习") if t in coming] == [
        "东村四月学习", "东村加开学习", "东村五月学习"]  # soonest first
    assert "东村上月学习" not in text and "河西四月学习" not in text
    assert "已取消：村部停电" in coming and "通知尚未发布" in coming
    notice = f'href="/sessions/{branch.sessions["published"]}/notice"'
    assert page.text.count("/notice\"") == 1 and notice in page.text
    due = text[text.index("必看课件"):text.index("我的收看记录")]
    assert "《水稻种植技术》" in due and "已看 2:05" in due
    assert "新农合政策问答" not in due  # sent to the other town
    watched = text[text.index("我的收看记录"):]
    assert watched.index("党课讲稿") < watched.index("水稻种植技术")  # newest first
    assert "新农合政策问答" not in watched  # dongcun's playback

    opened = client.get(f"/sessions/{branch.sessions['published']}/notice")
    assert opened.status_code == 200 and "东村四月学习，请准时参加。" in opened.text

    twin = client.get(f"/api/members/{branch.member}").json()
    assert [s["title"] for s in twin["sessions"]] == ["东村四月学习", "东村加开学习",
                                                      "东村五月学习"]
    assert [bool(s["notice_url"]) for s in twin["sessions"]] == [True, False, False]
    assert twin["must_watch"] == [{
        "item_id": branch.items["rice"], "title": "水稻种植技术",
        "deadline": twin["must_watch"][0]["deadline"],
        "duration": twin["must_watch"][0]["duration"], "watched_seconds": 125.0,
        "watch_url": f"/watch/{branch.items['rice']}"}]
    assert [w["seconds"] for w in twin["watched"]] == [40.0, 125.0]
    assert twin["watched_total"] == 2


def test_his_secretary_sees_what_he_sees(branch: Branch) -> None:
    log_in(branch.client, "dongcun")
    text = visible_text(branch.client.get(f"/members/{branch.member}").text)
    assert "东村四月学习" in text and "《水稻种植技术》" in text
    assert "收看记录" in text and "我的收看记录" not in text


def test_pages_for_a_member_show_no_command_line_and_no_identifier(branch: Branch) -> None:
    client = branch.client
    log_in(client, "zhangsan")
    rice = branch.items["rice"]
    far = branch.sessions["far"]
    pages = {  # path → what must not be read there, besides a command line
        f"/members/{branch.member}": "numbers", "/nothing/here/12345": "numbers",
        "/watch/987654": "numbers", f"/sessions/{far}/notice": "numbers",
        f"/sessions/{branch.sessions['draft']}/notice": "numbers",
        f"/members/{branch.member + 1}": "numbers",
        f"/sessions/{branch.sessions['published']}/notice": "numbers",
        "/": str(branch.library), f"/watch/{rice}": str(branch.library),
        f"/items/{rice}": str(branch.library), "/search?q=党章": str(branch.library),
        "/account/password": str(branch.library)}
    for path, hidden in pages.items():
        response = client.get(path, headers={"accept": "text/html"})
        assert response.status_code in (200, 404), path
        text = visible_text(response.text)
        assert "yuanjiao " not in text.lower() and "`" not in text, (path, text[:400])
        if hidden == "numbers":
            assert not re.search(r"\d", READABLE_NUMBERS.sub("", text)), (path, text[:600])
        else:
            assert hidden not in text and ".mp4" not in text, path  # no file path
    # Staff still read what is missing and how to find it.
    log_in(client, "dongcun")
    staff = visible_text(client.get("/watch/987654", headers={"accept": "text/html"}).text)
    assert "987654" in staff


def test_an_empty_catalog_tells_a_member_whom_to_ask(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
    with TestClient(create_app(settings, db)) as client:
        log_in(client, "zhangsan")
        member_view = visible_text(client.get("/").text)
        log_in(client, "admin")
        admin_view = visible_text(client.get("/").text)
    db.close()
    assert "请告诉站点管理员" in member_view and "yuanjiao" not in member_view.lower()
    assert "yuanjiao scan" in admin_view
