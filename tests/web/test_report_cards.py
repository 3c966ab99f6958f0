"""The monthly report card (issue 18.2): generated, the station adds its text and
submits it (a ledger row), the town sees it in; a card not in by the due day is missing,
one sent after it is late; a second submission supersedes the first, both kept, and
``ledger verify`` checks the projection."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text
from yj_hall import JSON, Hall, month_of_records, node_ids, stock

from catalog.reports.models import ReportCardRow


def _months_back(month: str, back: int) -> str:
    year, number = int(month[:4]), int(month[5:]) - back
    while number < 1:
        year, number = year - 1, number + 12
    return f"{year}-{number:02d}"


def test_generated_submitted_seen_by_the_town_late_and_missing(hall: Hall) -> None:
    stock(hall)
    running, month = month_of_records(hall)
    ids = node_ids(hall)
    csrf = hall.sign_in("dongcun")
    page = hall.client.get(f"/org/{ids['东村党支部']}/reports?kind=card&period={month}")
    assert page.status_code == 200
    assert "月报卡" in page.text and "党建知识" in page.text  # item 1's theme was played
    assert "未报送（未到截止日）" in page.text and 'id="card-submit"' in page.text
    card = hall.client.get(f"/api/org/{ids['东村党支部']}/reports/card?period={month}").json()
    assert card["summary"]["held"] == 1 and card["summary"]["members_reached"] == 1
    assert card["rows"][0]["session_id"] == running

    sent = hall.client.post(f"/org/{ids['东村党支部']}/cards/{month}", data={
        "csrf": csrf, "nonce": "card-1", "examples": "张三学了果树嫁接，今年增收",
        "problems": "=投影仪偏暗", "needs": "多发养殖课件"}, follow_redirects=False)
    assert sent.status_code == 303 and "kind=card" in sent.headers["location"]
    shown = hall.client.get(sent.headers["location"])
    assert "已按时报送" in shown.text and "张三学了果树嫁接" in shown.text
    again = hall.client.post(f"/org/{ids['东村党支部']}/cards/{month}", data={
        "csrf": csrf, "nonce": "card-1", "examples": "重复"}, follow_redirects=False)
    assert again.status_code == 303  # the same nonce: the first row answers, none written
    with hall.db.session() as session:
        assert len(session.scalars(select(ReportCardRow)).all()) == 1

    # A correction is a new row naming the first; the card shows the latest.
    fixed = hall.client.post(f"/api/org/{ids['东村党支部']}/cards/{month}", headers={
        **JSON, "x-csrf-token": csrf}, json={"nonce": "card-2", "examples": "更正：增收两成",
                                            "problems": "", "needs": ""})
    assert fixed.status_code == 201 and fixed.json()["late"] is False
    with hall.db.session() as session:
        rows = session.scalars(select(ReportCardRow).order_by(ReportCardRow.seq)).all()
        assert [r.supersedes_seq for r in rows] == [None, rows[0].seq]
        assert rows[0].body["figures"]["held"] == 1

    # A month whose due day has passed: in late when sent now, missing where not sent.
    old = _months_back(month, 2)
    late = hall.client.post(f"/api/org/{ids['东村党支部']}/cards/{old}", headers={
        **JSON, "x-csrf-token": csrf}, json={"nonce": "card-3", "examples": "补报"})
    assert late.status_code == 201 and late.json()["late"] is True

    hall.sign_in("chengguan")
    seen = hall.client.get(f"/api/org/{ids['城关镇']}/reports/cards?period={old}-01.."
                           f"{month}-01").json()
    states = {(r["organization"], r["month"]): r["card_state"] for r in seen["rows"]}
    assert states[("东村党支部", month)] == "in"
    assert states[("西村党支部", month)] == "open"
    assert states[("东村党支部", old)] == "late"
    assert states[("西村党支部", old)] == "missing"
    page = hall.client.get(f"/org/{ids['城关镇']}/reports?kind=cards&period={old}-01.."
                           f"{month}-01")
    assert "未报送（已过截止日）" in page.text and "逾期报送" in page.text

    assert hall.verdict().ok, hall.verdict().problem
    with hall.db.engine.begin() as connection:
        connection.execute(text("UPDATE report_cards SET late = false"))
    problem = hall.verdict().problem
    assert problem is not None and problem.detail["table"] == "report_cards"


def test_bad_cards_are_refused_and_nothing_is_written(hall: Hall) -> None:
    ids = node_ids(hall)
    csrf = hall.sign_in("dongcun")
    headers = {**JSON, "x-csrf-token": csrf}
    ahead = date.today().replace(day=1)
    ahead = date(ahead.year + 1, 1, 1).strftime("%Y-%m")
    for month, body, key in [
            ("2026-13", {}, "bad_card_month"), (ahead, {}, "card_month_ahead"),
            ("2026-01", {"examples": 5}, "bad_card_text"),
            ("2026-01", {"examples": "字" * 5001}, "card_text_too_long")]:
        answer = hall.client.post(f"/api/org/{ids['东村党支部']}/cards/{month}",
                                  headers=headers, json=body)
        assert answer.status_code == 400 and answer.json()["error"] == key, answer.text
    town = hall.client.post(f"/api/org/{ids['城关镇']}/cards/2026-01", headers=headers,
                            json={})
    assert town.status_code == 404  # not his: the town is above his organization
    with hall.db.session() as session:
        assert session.scalars(select(ReportCardRow)).all() == []
