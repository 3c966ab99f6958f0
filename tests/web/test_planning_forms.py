"""Planning forms over HTTP: a mistake comes back with the values kept and the message
beside its field; publishing over failing checks asks once and is a ledger row; a
cancelled session is kept, with its reason, and its exports stop; a session entered
after its start is marked so; the list shows length, checks, notice and the TV link."""

from __future__ import annotations

import re
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from yj_testing import make_settings, running_server, sign_in

from catalog import planning
from catalog.db import Database
from catalog.evidence.ledger import rows
from catalog.models import Item, StudySession
from catalog.org import demo_org
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def town(tmp_path: Path, db_url: str, demo_library: Path) -> Any:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False, station="SRV-1")
    db = Database.open(settings)
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        today = datetime.now(ZONE).date()
        ahead = planning.local(today + timedelta(days=7), 8 * 60 + 30, ZONE)
        study = planning.create_session(session, nodes["东村党支部"], ahead,
                                        ahead + timedelta(hours=4), "下周主题党日")
        planning.set_playlist(session, study, [session.scalars(select(Item.id).where(
            Item.rel_path.like("%rice%"))).one()])
        # Back-dated: created today for a day three weeks ago.
        past = planning.local(today - timedelta(days=21), 8 * 60 + 30, ZONE)
        old = planning.create_session(session, nodes["东村党支部"], past,
                                      past + timedelta(hours=4), "补录的活动")
        ids = {"session": study.id, "old": old.id, "org": nodes["东村党支部"].id,
               "town": nodes["城关镇"].id, "month": ahead.strftime("%Y-%m"),
               "old_month": past.strftime("%Y-%m")}
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as client:
        csrf = sign_in(client, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        yield client, csrf, db, ids
    db.close()


def _field_error(page: httpx.Response, field: str) -> str:
    found = re.search(rf'class="field-error" role="alert" data-field="{field}">([^<]*)<',
                      page.text)
    assert found, page.text[-3000:]
    return found.group(1)


def test_a_mistake_comes_back_with_the_values_and_the_message_beside_the_field(
        town: Any) -> None:
    client, csrf, db, ids = town
    bad = client.post(f"/org/{ids['org']}/sessions", data={
        "csrf": csrf, "title": "三月的主题党日", "date": "2027-02-30", "start": "08:30",
        "end": "12:00", "group": "第二组"})
    assert bad.status_code == 400 and "2027-02-30" in _field_error(bad, "date")
    assert 'value="三月的主题党日"' in bad.text and 'value="第二组"' in bad.text
    assert "<details open" in bad.text  # the form stays open where the mistake is
    backwards = client.post(f"/org/{ids['org']}/sessions", data={
        "csrf": csrf, "title": "x", "date": "2027-03-10", "start": "12:00", "end": "08:30"})
    assert "结束须晚于开始" in _field_error(backwards, "end")
    rule = client.post(f"/org/{ids['town']}/rules", data={
        "csrf": csrf, "year": "2028", "rule_kind": "day", "rule_day": "32", "start": "08:30",
        "minutes": "240"})
    assert rule.status_code == 400 and _field_error(rule, "rule_day")
    assert 'value="32"' in rule.text
    must = client.post("/must-watch", data={"csrf": csrf, "item_query": "没有这个课件",
                                            "deadline": "2027-05-01",
                                            "node_ids": str(ids["org"])})
    assert must.status_code == 400 and "没有这个课件" in _field_error(must, "item_query")
    moved = client.post(f"/sessions/{ids['session']}/move", data={
        "csrf": csrf, "date": "2027-03-10", "start": "25:00", "end": "12:00"})
    assert moved.status_code == 400 and _field_error(moved, "start")
    assert 'value="25:00"' in moved.text
    with db.session() as session:  # nothing was made or changed by any of them
        assert len(session.scalars(select(StudySession)).all()) == 2


def test_publishing_over_failing_checks_asks_once_and_is_recorded(town: Any) -> None:
    client, csrf, db, ids = town
    form = {"csrf": csrf, "notice": "请全体党员准时参加。", "topics": "village_affairs"}
    asked = client.post(f"/sessions/{ids['session']}/publish", data=form)
    assert asked.status_code == 409 and "确定仍要发布通知吗" in asked.text
    assert "请全体党员准时参加。" in asked.text  # the text typed is kept
    with db.session() as session:
        assert session.get_one(StudySession, ids["session"]).notice_published_at is None
    done = client.post(f"/sessions/{ids['session']}/publish", data=form | {"confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303
    with db.engine.connect() as connection:
        published = [e.data for e in rows(connection, "SRV-1") if e.kind == "notice.published"]
    assert len(published) == 1 and published[0]["by"] == "user:chengguan"
    assert "length" in published[0]["failing_checks"] and not published[0]["late"]
    assert published[0]["notice"] == "请全体党员准时参加。"
    listed = client.get(f"/sessions?month={ids['month']}").text
    row = re.search(rf'<tr data-session="{ids["session"]}".*?</tr>', listed, re.S)
    assert row and "按时发布" in row.group(0) and "1 个课件" in row.group(0)
    assert "/180 分钟" in row.group(0) and "项不符合" in row.group(0)
    assert "/station/" in row.group(0)  # the TV link


def test_a_back_dated_session_is_marked_and_its_late_notice_shown(town: Any) -> None:
    client, csrf, db, ids = town
    done = client.post(f"/sessions/{ids['old']}/publish", data={
        "csrf": csrf, "notice": "补发的通知", "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    listed = client.get(f"/sessions?month={ids['old_month']}").text
    row = re.search(rf'<tr data-session="{ids["old"]}".*?</tr>', listed, re.S)
    assert row and "补录" in row.group(0) and "发布晚了" in row.group(0)
    with db.engine.connect() as connection:
        published = [e.data for e in rows(connection, "SRV-1") if e.kind == "notice.published"]
    assert published[-1]["late"] is True


def test_a_cancelled_session_is_kept_with_its_reason_and_its_exports_stop(
        town: Any) -> None:
    client, csrf, db, ids = town
    empty = client.post(f"/sessions/{ids['session']}/cancel", data={"csrf": csrf,
                                                                    "reason": "  "})
    assert empty.status_code == 400 and _field_error(empty, "reason")
    done = client.post(f"/sessions/{ids['session']}/cancel",
                       data={"csrf": csrf, "reason": "抢收水稻"}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(f"/sessions/{ids['session']}").text
    assert "<del>下周主题党日</del>" in page and "原因：抢收水稻" in page
    again = client.post(f"/sessions/{ids['session']}/cancel",
                        data={"csrf": csrf, "reason": "再取消一次"})
    assert again.status_code == 400 and "已取消" in again.text
    moved = client.post(f"/sessions/{ids['session']}/move", data={
        "csrf": csrf, "date": "2027-03-10", "start": "08:30", "end": "12:00"})
    assert moved.status_code == 400
    export = client.get(f"/sessions/{ids['session']}/playlist.m3u8").text
    assert "export=" not in export  # a cancelled session plays nothing
    with db.engine.connect() as connection:
        cancelled = [e.data for e in rows(connection, "SRV-1")
                     if e.kind == "session.cancelled"]
    assert cancelled == [{"session": str(ids["session"]), "organization": ids["org"],
                          "by": "user:chengguan", "reason": "抢收水稻",
                          "starts_at": cancelled[0]["starts_at"]}]
    with db.session() as session:
        assert session.get_one(StudySession, ids["session"]).cancel_reason == "抢收水稻"
