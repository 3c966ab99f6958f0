"""Red flags over the real app (issue 18.5): one device signing in more members than the
limit within ten minutes, and a station with nothing recorded for N days; each fires and
stays quiet, and the flags page and its JSON twin list them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from yj_hall import Hall, node_ids, play


def _month(hall: Hall) -> str:
    return datetime.now(ZoneInfo(hall.settings.timezone)).strftime("%Y-%m")


def _flags(hall: Hall, node: int, month: str) -> list[dict[str, object]]:
    hall.sign_in("inspector")
    answer = hall.client.get(f"/api/org/{node}/reports/flags?period={month}")
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, object]] = answer.json()["rows"]
    return rows


def _sign_in_from_one_phone(hall: Hall, session_id: int, people: list[tuple[str, str]]
                            ) -> None:
    hall.client.cookies.clear()
    for last4, name in people:
        done = hall.signin(session_id, code=hall.code(session_id), phone_last4=last4,
                           member_id=hall.members[name])
        assert done.status_code == 201, done.text


def test_one_device_signing_in_four_fires_and_three_does_not(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-10))
    month = _month(hall)
    ids = node_ids(hall)
    _sign_in_from_one_phone(hall, running, [("0001", "张三"), ("0002", "李四"),
                                            ("0003", "王五")])
    assert not [f for f in _flags(hall, ids["东村党支部"], month)
                if f["flag"] == "device_burst"]
    _sign_in_from_one_phone(hall, running, [("0005", "钱七")])  # another phone: still quiet
    assert not [f for f in _flags(hall, ids["东村党支部"], month)
                if f["flag"] == "device_burst"]


def test_the_fourth_member_from_the_same_phone_is_a_device_burst(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-10))
    month = _month(hall)
    ids = node_ids(hall)
    _sign_in_from_one_phone(hall, running, [("0001", "张三"), ("0002", "李四"),
                                            ("0003", "王五"), ("0005", "钱七")])
    found = [f for f in _flags(hall, ids["东村党支部"], month) if f["flag"] == "device_burst"]
    assert len(found) == 1 and found[0]["session_id"] == running
    assert found[0]["detail"]["members"] == 4  # type: ignore[index]
    hall.sign_in("inspector")
    page = hall.client.get(f"/org/{ids['东村党支部']}/reports?kind=flags&period={month}")
    assert "一台设备代签多人" in page.text and "十分钟内签到 4 人" in page.text


def test_a_silent_station_is_flagged_and_a_busy_one_is_not(hall: Hall) -> None:
    now = datetime.now(UTC)
    month = _month(hall)
    ids = node_ids(hall)
    play(hall, "CG-001", now - timedelta(days=2), 600, None)
    quiet = {(f["organization"], f["station"]) for f in _flags(hall, ids["城关镇"], month)
             if f["flag"] == "ledger_quiet"}
    assert quiet == {("西村党支部", "CG-002")}
    play(hall, "CG-002", now - timedelta(days=15), 600, None)  # older than 14 days
    assert ("西村党支部", "CG-002") in {
        (f["organization"], f["station"]) for f in _flags(hall, ids["城关镇"], month)
        if f["flag"] == "ledger_quiet"}
    play(hall, "CG-002", now - timedelta(days=13), 600, None)
    assert not [f for f in _flags(hall, ids["城关镇"], month) if f["flag"] == "ledger_quiet"]
