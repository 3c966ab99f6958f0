"""The session record over HTTP (issue 17): minutes and feedback as ledger rows, edits that
keep every version, the town's reply, and the five haves computed from the ledger: a
session with no notice, a notice after the start, no playback at its station, playback at
another station only, minutes entered three days later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from yj_hall import JSON, Hall

from catalog import planning
from catalog.evidence.ledger import format_at
from catalog.models import StudySession


def _haves(hall: Hall, session_id: int) -> dict[str, dict[str, Any]]:
    hall.sign_in("dongcun")
    found = hall.client.get(f"/api/sessions/{session_id}/five-haves", headers=JSON)
    assert found.status_code == 200, found.text
    return {h["code"]: h for h in found.json()["haves"]}


def _played(hall: Hall, session_id: int, station: str, minutes: float,
            session_label: str | None = None) -> None:
    """A playback at ``station`` ten minutes into the session, through the app's ledger."""
    with hall.db.session() as s:
        study = s.get_one(StudySession, session_id)
        at = study.starts_at + timedelta(minutes=10)
    writer = hall.client.app.state.evidence.writer  # type: ignore[attr-defined]
    opened = writer.submit("playback.open", {
        "station": station, "client": "10.0.0.9", "user_agent": "tv", "member": None,
        "session": session_label, "item_id": 1, "title": "课件", "method": "hls",
        "opened_at": format_at(at)}).result(timeout=30)
    writer.submit("playback.close", {
        "open_seq": opened.seq, "item_id": 1, "client": "10.0.0.9",
        "closed_at": format_at(at + timedelta(minutes=minutes)), "ended_by": "idle",
        "bytes_sent": 1, "seconds": minutes * 60, "intervals": [[0, minutes * 60]]}
    ).result(timeout=30)


def _publish(hall: Hall, session_id: int, at: datetime) -> None:
    with hall.db.transaction() as s:
        study = s.get_one(StudySession, session_id)
        planning.publish_notice(study, "通知")
        study.notice_published_at = at


def test_five_haves_missing_late_and_done(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-30))
    haves = _haves(hall, running)
    assert {code: h["state"] for code, h in haves.items()} == dict.fromkeys(
        ("notice", "signin", "playback", "minutes", "feedback"), "missing")
    # A notice after the start is late; playback at another station only is missing.
    _publish(hall, running, datetime.now(UTC) - timedelta(minutes=1))
    _played(hall, running, "HX-001", 20)
    haves = _haves(hall, running)
    assert haves["notice"]["state"] == "late"
    assert haves["playback"]["state"] == "missing"
    # At its own station: done, with the minutes played.
    _played(hall, running, "CG-001", 25)
    haves = _haves(hall, running)
    assert haves["playback"]["state"] == "done" and haves["playback"]["minutes_played"] == 25
    hall.client.cookies.clear()
    assert hall.signin(running, code=hall.code(running), phone_last4="0001",
                       member_id=hall.members["张三"]).status_code == 201
    assert _haves(hall, running)["signin"]["state"] == "done"
    csrf = hall.sign_in("dongcun")
    headers = {**JSON, "x-csrf-token": csrf}
    assert hall.client.post(f"/api/sessions/{running}/minutes", headers=headers, json={
        "topics": ["party_building", "development"], "speakers": [hall.members["张三"]],
        "summary": "讨论了冬季果树管理。"}).status_code == 201
    assert hall.client.post(f"/api/sessions/{running}/feedback", headers=headers, json={
        "how_it_went": "到会 1 人", "requests": "希望多发养殖技术课件"}).status_code == 201
    haves = _haves(hall, running)
    assert haves["minutes"]["state"] == "done" and haves["feedback"]["state"] == "done"
    # Published the day before: done, hours ahead.
    early = hall.session(timedelta(minutes=-30), hours=3)
    _publish(hall, early, datetime.now(UTC) - timedelta(days=1))
    assert _haves(hall, early)["notice"]["state"] == "done"


def test_minutes_three_days_later_are_late_and_an_edit_keeps_both(hall: Hall) -> None:
    ended = hall.session(timedelta(days=-3, hours=-3), hours=2)
    csrf = hall.sign_in("dongcun")
    headers = {**JSON, "x-csrf-token": csrf}
    first = hall.client.post(f"/api/sessions/{ended}/minutes", headers=headers, json={
        "topics": ["village_affairs"], "summary": "初稿", "nonce": "m1"})
    assert first.status_code == 201, first.text
    again = hall.client.post(f"/api/sessions/{ended}/minutes", headers=headers, json={
        "topics": ["village_affairs"], "summary": "初稿", "nonce": "m1"})
    assert again.status_code == 200 and again.json()["seq"] == first.json()["seq"]
    edited = hall.client.post(f"/api/sessions/{ended}/minutes", headers=headers, json={
        "topics": ["village_affairs", "civility"], "summary": "定稿"})
    assert edited.status_code == 201
    versions = edited.json()["minutes"]
    assert [(v["summary"], v["current"], v["late_entry"]) for v in versions] == [
        ("初稿", False, True), ("定稿", True, True)]
    assert versions[1]["supersedes"] == versions[0]["seq"]
    assert _haves(hall, ended)["minutes"]["state"] == "late"
    page = hall.client.get(f"/sessions/{ended}")
    assert "定稿" in page.text and "共 2 版" in page.text and "补登" in page.text
    csrf = hall.sign_in("dongcun")  # _haves signed in afresh
    bad = hall.client.post(f"/api/sessions/{ended}/minutes",
                           headers={**JSON, "x-csrf-token": csrf},
                           json={"topics": ["weather"], "summary": "x"})
    assert bad.status_code == 400 and bad.json()["error"] == "bad_topic", bad.text


def test_the_town_replies_to_feedback_and_others_cannot(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-30))
    csrf = hall.sign_in("dongcun")
    sent = hall.client.post(f"/api/sessions/{running}/feedback",
                            headers={**JSON, "x-csrf-token": csrf},
                            json={"problems": "投影仪灯泡坏了"})
    assert sent.status_code == 201
    seq = sent.json()["seq"]
    csrf = hall.sign_in("hexi")
    other = hall.client.post(f"/api/feedback/{seq}/reply", json={"text": "收到"},
                             headers={**JSON, "x-csrf-token": csrf})
    assert other.status_code == 404
    csrf = hall.sign_in("chengguan")
    replied = hall.client.post(f"/api/feedback/{seq}/reply", json={"text": "下周送新灯泡"},
                               headers={**JSON, "x-csrf-token": csrf})
    assert replied.status_code == 201, replied.text
    found = hall.client.get(f"/api/sessions/{running}/feedback", headers=JSON).json()
    assert [r["text"] for r in found["replies"]] == ["下周送新灯泡"]
    assert found["replies"][0]["actor"] == "user:chengguan"


def test_the_record_form_works_without_scripts(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-30))
    csrf = hall.sign_in("dongcun")
    done = hall.client.post(f"/sessions/{running}/record", data={
        "csrf": csrf, "form": "minutes", "topics": ["civility"],
        "speakers": [str(hall.members["李四"])], "summary": "移风易俗"},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("#record")
    page = hall.client.get(f"/sessions/{running}")
    assert "移风易俗" in page.text


def test_ledger_verify_covers_the_record_rows(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-30))
    csrf = hall.sign_in("dongcun")
    assert hall.client.post(f"/api/sessions/{running}/minutes",
                            headers={**JSON, "x-csrf-token": csrf},
                            json={"summary": "摘要"}).status_code == 201


    assert hall.verdict().ok, hall.verdict().problem
    with hall.db.engine.begin() as connection:
        connection.execute(text("UPDATE record_rows SET late_entry = true"))
    problem = hall.verdict().problem
    assert problem is not None and problem.detail["table"] == "record_rows"


def test_the_session_list_shows_five_marks_per_session(hall: Hall) -> None:
    import re

    running = hall.session(timedelta(minutes=-30))
    _played(hall, running, "CG-001", 5)
    hall.sign_in("dongcun")
    from zoneinfo import ZoneInfo

    started = datetime.now(UTC) - timedelta(minutes=30)  # the session's own month
    month = started.astimezone(ZoneInfo(hall.settings.timezone)).strftime("%Y-%m")
    page = hall.client.get(f"/sessions?month={month}", headers={"accept": "text/html"})
    assert page.status_code == 200
    row = re.search(rf'<tr data-session="{running}".*?</tr>', page.text, re.S)
    assert row is not None
    marks = re.findall(r'class="mark (\w+)" data-code="(\w+)"', row.group(0))
    assert marks == [("missing", "notice"), ("missing", "signin"), ("done", "playback"),
                     ("missing", "minutes"), ("missing", "feedback")]


def test_the_town_page_lists_feedback_and_takes_a_reply(hall: Hall) -> None:
    import re

    running = hall.session(timedelta(minutes=-30))
    csrf = hall.sign_in("dongcun")
    assert hall.client.post(f"/api/sessions/{running}/feedback",
                            headers={**JSON, "x-csrf-token": csrf},
                            json={"requests": "希望多发养殖技术课件"}).status_code == 201
    town = hall.nodes["城关镇"]
    csrf = hall.sign_in("hexi")
    assert hall.client.get(f"/org/{town}/feedback", headers=JSON).status_code == 404
    csrf = hall.sign_in("chengguan")
    page = hall.client.get(f"/org/{town}/feedback", headers={"accept": "text/html"})
    assert page.status_code == 200 and "希望多发养殖技术课件" in page.text
    seq = re.search(r'data-seq="(\d+)"', page.text)
    assert seq is not None
    done = hall.client.post(f"/feedback/{seq.group(1)}/reply", follow_redirects=False, data={
        "csrf": csrf, "text": "下月送养殖课件光盘", "back": f"/org/{town}/feedback"})
    assert done.status_code == 303 and done.headers["location"] == f"/org/{town}/feedback"
    again = hall.client.get(f"/org/{town}/feedback", headers={"accept": "text/html"})
    assert "下月送养殖课件光盘" in again.text
    hall.sign_in("dongcun")
    assert "下月送养殖课件光盘" in hall.client.get(f"/sessions/{running}").text
