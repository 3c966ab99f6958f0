"""Attendance over HTTP (issue 16): sign-in by the TV's code, marks, corrections, late
entries, who is expected, and who may read and mark what. The real app, the real
database (SQLite and PostgreSQL) and the real ledger: each answer is checked against
the rows it wrote."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from yj_hall import JSON, LEDGER, Hall
from yj_testing import drop_triggers

from catalog.attendance.models import AttendanceRow
from catalog.models import Member


def _by_name(found: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in found["members"] if m["name"] == name)


def test_a_phone_signs_in_by_four_digits_then_a_name_once(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    code = hall.code(running)
    hall.client.cookies.clear()
    # No roster before the digits; the digits give the names to choose from.
    choose = hall.signin(running, code=code, phone_last4="0001")
    assert choose.status_code == 200 and choose.json()["choose"] == [
        {"member_id": hall.members["张三"], "name": "张三"}]
    before = hall.rows()
    assert hall.rows() == before  # choosing writes nothing
    done = hall.signin(running, code=code, phone_last4="0001", member_id=hall.members["张三"],
                       nonce="n-first")
    assert done.status_code == 201, done.text
    answer = done.json()
    assert answer["status"] == "present" and answer["ok"]
    assert hall.rows("attendance.signin") == 1
    # The same request again (a retry on a weak signal): the same answer, no new row.
    again = hall.signin(running, code=code, phone_last4="0001", member_id=hall.members["张三"],
                        nonce="n-first")
    assert again.status_code == 200 and again.json()["replayed"] and again.json()["seq"] == \
        answer["seq"]
    assert hall.rows("attendance.signin") == 1
    # A second sign-in of the same member: refused, saying when he signed in.
    twice = hall.signin(running, code=code, phone_last4="0001", member_id=hall.members["张三"],
                        nonce="n-second")
    assert twice.status_code == 409
    at = answer["at"][11:16]
    assert twice.json()["message"] == f"张三 已签到 {at}"
    assert hall.rows("attendance.signin") == 1 and hall.rows("attendance.refused") == 1
    # Wrong digits for the chosen name are refused too.
    wrong = hall.signin(running, code=code, phone_last4="0002", member_id=hall.members["王五"])
    assert wrong.status_code == 409 and wrong.json()["refusal"] == "signin_phone_mismatch"
    found = hall.attendance(running)
    line = _by_name(found, "张三")
    assert line["status"] == "present" and line["method"] == "tv_qr"
    assert found["figures"]["present"] == 1


def test_sign_in_is_open_only_in_its_window_with_a_current_code(hall: Hall) -> None:
    later = hall.session(timedelta(hours=3))
    early = hall.signin(later, code=hall.code(later), phone_last4="0001",
                        member_id=hall.members["张三"])
    assert early.status_code == 409 and early.json()["refusal"] == "signin_not_open"
    assert "起可以签到" in early.json()["message"]
    ended = hall.session(timedelta(hours=-3), hours=2)
    late = hall.signin(ended, code=hall.code(ended), phone_last4="0001",
                       member_id=hall.members["张三"])
    assert late.status_code == 409 and late.json()["refusal"] == "signin_closed"
    running = hall.session(timedelta(minutes=-5))
    old = hall.signin(running, code=hall.code(running, windows_ago=4), phone_last4="0001",
                      member_id=hall.members["张三"])
    assert old.status_code == 409 and old.json()["refusal"] == "signin_code_expired"
    assert "秒前的码" in old.json()["message"]
    other = hall.signin(running, code=hall.code(later), phone_last4="0001",
                        member_id=hall.members["张三"])
    assert other.json()["refusal"] == "signin_code_wrong"
    # The previous window is still accepted (a phone takes a moment to open the link).
    previous = hall.signin(running, code=hall.code(running, windows_ago=1), phone_last4="0001",
                           member_id=hall.members["张三"])
    assert previous.status_code == 201, previous.text
    # Every refusal is a row, with its reason.
    with hall.db.session() as s:
        refusals = s.scalars(select(AttendanceRow.refusal).where(
            AttendanceRow.kind == "attendance.refused").order_by(AttendanceRow.seq)).all()
    assert refusals == ["signin_not_open", "signin_closed", "signin_code_expired",
                        "signin_code_wrong"]


def test_a_station_token_cannot_mark_another_stations_session(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    params = hall.as_terminal("河西村站点")
    marked = hall.client.post(f"/api/sessions/{running}/signins", params=params, json={
        "method": "admin", "member_id": hall.members["张三"], "status": "present"},
        headers=JSON)
    assert marked.status_code == 403 and marked.json()["refusal"] == "signin_other_station"
    kiosk = hall.client.post(f"/api/sessions/{running}/signins", params=params, json={
        "code": hall.code(running), "phone_last4": "0001", "member_id": hall.members["张三"]},
        headers=JSON)
    assert kiosk.status_code == 403
    assert hall.rows("attendance.mark") == 0 and hall.rows("attendance.signin") == 0
    assert hall.rows("attendance.refused") == 2
    # Its own station's terminal marks, from its own pages (same origin).
    own = hall.client.post(f"/api/sessions/{running}/signins", params=hall.as_terminal(),
                           json={"method": "admin", "member_id": hall.members["李四"],
                                 "status": "late"},
                           headers={**JSON, "origin": "http://testserver"})
    assert own.status_code == 201, own.text
    forged = hall.client.post(f"/api/sessions/{running}/signins", params=hall.as_terminal(),
                              json={"method": "admin", "member_id": hall.members["王五"],
                                    "status": "present"},
                              headers={**JSON, "origin": "http://evil.example"})
    assert forged.status_code == 403 and forged.json()["error"] == "csrf_failed"
    # A signed-in administrator's mark needs his CSRF token (the route's guard takes none).
    csrf = hall.sign_in("dongcun")
    for headers in ({}, {"x-csrf-token": "wrong"},
                    {"x-csrf-token": csrf, "origin": "http://evil.example"}):
        tokenless = hall.client.post(f"/api/sessions/{running}/signins", json={
            "method": "admin", "member_id": hall.members["王五"], "status": "present"},
            headers={**JSON, **headers})
        assert tokenless.status_code == 403 and tokenless.json()["error"] == "csrf_failed"
    # Anonymous marks nothing; a member marks nobody.
    hall.client.cookies.clear()
    assert hall.signin(running, method="admin", member_id=hall.members["王五"],
                       status="present").status_code == 401
    csrf = hall.sign_in("zhangsan")
    member = hall.client.post(f"/api/sessions/{running}/signins", json={
        "method": "admin", "member_id": hall.members["王五"], "status": "present"},
        headers={**JSON, "x-csrf-token": csrf})
    assert member.status_code in (403, 404)


def test_a_correction_is_a_new_row_and_both_stay_visible(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    csrf = hall.sign_in("dongcun")
    headers = {**JSON, "x-csrf-token": csrf}
    marked = hall.client.post(f"/api/sessions/{running}/signins", json={
        "method": "admin", "member_id": hall.members["王五"], "status": "absent"},
        headers=headers)
    assert marked.status_code == 201, marked.text
    first = marked.json()["seq"]
    no_reason = hall.client.post(f"/api/signins/{first}/correct",
                                 json={"status": "leave", "reason": " "}, headers=headers)
    assert no_reason.status_code == 400
    fixed = hall.client.post(f"/api/signins/{first}/correct",
                             json={"status": "leave", "reason": "外出务工，事先请假"},
                             headers=headers)
    assert fixed.status_code == 201, fixed.text
    second = fixed.json()["seq"]
    stale = hall.client.post(f"/api/signins/{first}/correct",
                             json={"status": "present", "reason": "再改"}, headers=headers)
    assert stale.status_code == 400 and stale.json()["error"] == "correct_superseded"
    line = _by_name(hall.attendance(running), "王五")
    assert line["status"] == "leave" and line["seq"] == second
    assert [(h["seq"], h["status"], h["replaced_by"], h["replaces"]) for h in line["history"]] \
        == [(first, "absent", second, None), (second, "leave", None, first)]
    page = hall.client.get(f"/sessions/{running}")
    assert page.status_code == 200 and f"更正第 {first} 条" in page.text
    # Another town's organizer cannot correct it (it does not exist for him).
    csrf = hall.sign_in("hexi")
    hidden = hall.client.post(f"/api/signins/{second}/correct",
                              json={"status": "present", "reason": "x"},
                              headers={**JSON, "x-csrf-token": csrf})
    assert hidden.status_code == 404


def test_a_mark_two_days_after_the_session_is_a_late_entry_everywhere(hall: Hall) -> None:
    ended = hall.session(timedelta(days=-2, hours=-3), hours=2)
    csrf = hall.sign_in("dongcun")
    sheet = (datetime.now(UTC) - timedelta(days=2, hours=2)).astimezone().isoformat()
    marked = hall.client.post(f"/api/sessions/{ended}/signins", json={
        "method": "admin", "member_id": hall.members["张三"], "status": "present",
        "at_event": sheet}, headers={**JSON, "x-csrf-token": csrf})
    assert marked.status_code == 201 and marked.json()["late_entry"] is True
    found = hall.attendance(ended)
    line = _by_name(found, "张三")
    assert line["late_entry"] and "late_entry" in line["flags"]
    assert line["at_event"][:16] == datetime.fromisoformat(sheet).astimezone(
        datetime.fromisoformat(line["at_event"]).tzinfo).isoformat()[:16]
    assert found["figures"]["late_entries"] == 1
    page = hall.client.get(f"/sessions/{ended}")
    assert "补登" in page.text
    hall.sign_in("zhangsan")
    record = hall.client.get(f"/api/members/{hall.members['张三']}/record", headers=JSON)
    assert record.status_code == 200
    assert any(s["session_id"] == ended and s["late_entry"]
               for s in record.json()["sessions_list"])
    mine = hall.client.get(f"/members/{hall.members['张三']}/record")
    assert "补登" in mine.text
    from click.testing import CliRunner

    from web.cli import cli

    shown = CliRunner().invoke(cli, ["attendance", str(ended)], env={
        "YUANJIAO_DATA_DIR": str(hall.settings.data_dir), "YUANJIAO_DB_URL": hall.settings.db_url,
        "YUANJIAO_STATION": LEDGER})
    assert shown.exit_code == 0, shown.output
    assert "张三" in shown.output and "补登" in shown.output


def test_exempt_members_leave_the_denominator_and_an_elective_counts_its_group(hall: Hall
                                                                               ) -> None:
    with hall.db.transaction() as s:
        s.get_one(Member, hall.members["李四"]).exempt = True
    running = hall.session(timedelta(minutes=-5))
    found = hall.attendance(running)
    # 张三, 王五 expected (full, probationary); 李四 exempt; 赵六 (mobile) and 钱七
    # (activist) are not expected.
    assert found["figures"]["expected"] == 2 and found["figures"]["exempt"] == 1
    csrf = hall.sign_in("dongcun")
    group = hall.client.put(f"/api/org/{hall.nodes['东村党支部']}/groups", json={
        "name": "种植组", "member_ids": [hall.members["张三"], hall.members["钱七"]]},
        headers={**JSON, "x-csrf-token": csrf})
    assert group.status_code == 200, group.text
    elective = hall.session(timedelta(minutes=-5), kind="elective", group="种植组")
    code = hall.code(elective)
    hall.client.cookies.clear()
    assert hall.signin(elective, code=code, phone_last4="0001",
                       member_id=hall.members["张三"]).status_code == 201
    assert hall.signin(elective, code=code, phone_last4="0005",
                       member_id=hall.members["钱七"]).status_code == 201
    figures = hall.attendance(elective)["figures"]
    assert figures["expected"] == 1 and figures["present"] == 1 and figures["rate"] == 1.0
    assert figures["target"] == 0.75 and figures["others"] == 1


def test_a_member_reads_only_his_own_record(hall: Hall) -> None:
    hall.sign_in("zhangsan")
    own = hall.client.get(f"/api/members/{hall.members['张三']}/record?year=2027",
                          headers=JSON)
    assert own.status_code == 200 and own.json()["name"] == "张三"
    other = hall.client.get(f"/api/members/{hall.members['李四']}/record", headers=JSON)
    assert other.status_code == 404
    bad = hall.client.get(f"/api/members/{hall.members['张三']}/record?year=abc",
                          headers=JSON)
    assert bad.status_code == 400


def test_bad_input_is_a_clear_400_and_writes_nothing(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    hall.client.cookies.clear()
    before = hall.rows()
    for body in ({"code": "x", "phone_last4": "12a4"}, {"code": "x", "phone_last4": 1234},
                 {"code": "x", "phone_last4": "1234", "nonce": "a b"},
                 {"code": "x", "phone_last4": "1234", "member_id": "张三"},
                 {"code": "x"}, {"code": "x", "guest_name": "名" * 60}):
        answer = hall.signin(running, **body)
        assert answer.status_code == 400, (body, answer.text)
    assert hall.client.post(f"/api/sessions/{running}/signins", content=b"[1]",
                            headers=JSON).status_code == 400
    assert hall.signin(999999, code="x", phone_last4="0001").status_code == 404
    assert hall.rows() == before


def test_ledger_verify_covers_attendance_rows(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    hall.client.cookies.clear()
    assert hall.signin(running, code=hall.code(running), phone_last4="0001",
                       member_id=hall.members["张三"]).status_code == 201
    assert hall.signin(running, code="WRONG123", phone_last4="0001",
                       member_id=hall.members["王五"]).status_code == 409


    assert hall.verdict().ok, hall.verdict().problem
    with hall.db.engine.begin() as connection:
        connection.execute(text("UPDATE attendance_rows SET status = 'absent' "
                                "WHERE kind = 'attendance.signin'"))
    problem = hall.verdict().problem
    assert problem is not None and problem.key == "verify_projection"
    assert problem.detail["table"] == "attendance_rows" and problem.detail["column"] == "status"
    if hall.settings.db_url.startswith("sqlite"):
        with hall.db.engine.begin() as connection:
            connection.execute(text("UPDATE attendance_rows SET status = 'present' "
                                    "WHERE kind = 'attendance.signin'"))
            drop_triggers(connection)
            connection.execute(text(
                "UPDATE ledger SET payload = replace(payload, '\"present\"', '\"late\"') "
                "WHERE kind = 'attendance.signin'"))
        problem = hall.verdict().problem
        assert problem is not None and problem.key != "verify_projection"
        assert re.match(r"verify_", problem.key)


def test_a_member_signs_in_as_his_own_account_and_only_himself(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    code = hall.code(running)
    csrf = hall.sign_in("zhangsan")
    headers = {**JSON, "x-csrf-token": csrf}
    other = hall.client.post(f"/api/sessions/{running}/signins", headers=headers,
                             json={"code": code, "member_id": hall.members["李四"]})
    assert other.status_code == 403 and other.json()["refusal"] == "signin_not_yourself"
    own = hall.client.post(f"/api/sessions/{running}/signins", headers=headers,
                           json={"code": code})
    assert own.status_code == 201, own.text
    line = _by_name(hall.attendance(running), "张三")
    assert line["method"] == "tv_qr" and line["history"][0]["actor"] == "user:zhangsan"


def test_the_kiosk_signs_in_at_its_own_station(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    done = hall.client.post(f"/api/sessions/{running}/signins", params=hall.as_terminal(),
                            json={"code": hall.code(running), "phone_last4": "0003",
                                  "member_id": hall.members["王五"]}, headers=JSON)
    assert done.status_code == 201, done.text
    line = _by_name(hall.attendance(running), "王五")
    assert line["method"] == "kiosk" and line["history"][0]["actor"] == "terminal:CG-001"


def _verify_cli(hall: Hall) -> Any:
    from click.testing import CliRunner

    from web.cli import cli

    return CliRunner().invoke(cli, ["ledger", "verify"], env={
        "YUANJIAO_DATA_DIR": str(hall.settings.data_dir), "YUANJIAO_DB_URL": hall.settings.db_url,
        "YUANJIAO_STATION": LEDGER})


def test_a_paper_sheet_is_kept_by_its_digest_and_checked_by_ledger_verify(hall: Hall
                                                                          ) -> None:
    import hashlib

    ended = hall.session(timedelta(hours=-3), hours=2)
    csrf = hall.sign_in("dongcun")
    headers = {**JSON, "x-csrf-token": csrf}
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    bad = hall.client.post(f"/api/sessions/{ended}/sheets", headers=headers,
                           files={"file": ("sheet.png", b"GIF89a....", "image/png")})
    assert bad.status_code == 400 and bad.json()["error"] == "sheet_bad_type"
    kept = hall.client.post(f"/api/sessions/{ended}/sheets", headers=headers,
                            files={"file": ("签到表.png", png, "image/png")})
    assert kept.status_code == 201, kept.text
    digest = kept.json()["sha256"]
    assert digest == hashlib.sha256(png).hexdigest()
    unknown = hall.client.post(f"/api/sessions/{ended}/signins", headers=headers, json={
        "method": "admin", "member_id": hall.members["张三"], "status": "present",
        "sheet_sha256": "0" * 64})
    assert unknown.status_code == 400 and unknown.json()["error"] == "sheet_unknown"
    marked = hall.client.post(f"/api/sessions/{ended}/signins", headers=headers, json={
        "method": "admin", "member_id": hall.members["张三"], "status": "present",
        "sheet_sha256": digest})
    assert marked.status_code == 201, marked.text
    line = _by_name(hall.attendance(ended), "张三")
    assert line["history"][0]["sheet_sha256"] == digest
    checked = _verify_cli(hall)
    assert checked.exit_code == 0, checked.output
    path = next((hall.settings.data_dir / "attendance-sheets").rglob(f"{digest}.png"))
    path.write_bytes(png + b"edited")
    changed = _verify_cli(hall)
    assert changed.exit_code != 0 and "签到表" in changed.output, changed.output


def test_the_attendance_csv_flags_late_entries_and_is_formula_safe(hall: Hall) -> None:
    ended = hall.session(timedelta(days=-2, hours=-3), hours=2)
    with hall.db.transaction() as s:
        s.get_one(Member, hall.members["王五"]).name = "=HYPERLINK(1)"
    csrf = hall.sign_in("dongcun")
    assert hall.client.post(f"/api/sessions/{ended}/signins", json={
        "method": "admin", "member_id": hall.members["张三"], "status": "present"},
        headers={**JSON, "x-csrf-token": csrf}).status_code == 201
    got = hall.client.get(f"/api/sessions/{ended}/attendance?format=csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    text_ = got.content.decode("utf-8-sig")
    zhang = next(line for line in text_.splitlines() if "张三" in line)
    assert "补登" in zhang.split(",")
    assert "'=HYPERLINK(1)" in text_
    assert hall.client.get(f"/api/sessions/{ended}/attendance?format=xml").status_code == 400


def test_phone_digit_lookups_are_throttled_and_the_kiosk_is_not(hall: Hall) -> None:
    running = hall.session(timedelta(minutes=-5))
    code = hall.code(running)
    hall.client.cookies.clear()
    answers = [hall.signin(running, code=code, phone_last4=f"{n:04d}").status_code
               for n in range(22)]
    assert answers[:20] == [200] * 20 and answers[20:] == [429, 429]
    assert hall.signin(running, code=code, phone_last4="0001").json()["error"] == \
        "signin_rate_limited"
    with hall.db.session() as s:
        refused = s.scalars(select(AttendanceRow.refusal).where(
            AttendanceRow.kind == "attendance.refused")).all()
    assert refused == ["signin_rate_limited"]  # the first of the window, not the flood
    for n in range(25):  # the hall signing in at its TV
        kiosk = hall.client.post(f"/api/sessions/{running}/signins",
                                 params=hall.as_terminal(), headers=JSON,
                                 json={"code": code, "phone_last4": f"{n:04d}"})
        assert kiosk.status_code == 200, (n, kiosk.text)
