"""Sign-in at the station in Chromium (issue 16, acceptance): the TV shows the rotating
QR code; a phone opens its URL and signs in by the last four digits and a name; the
TV's roll call shows the member within 5 s; a code copied two minutes earlier is refused
with its reason; the administrator marks two members with the remote's keys alone.
Screenshots go to the test's directory and to /work/shots/signin/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from yj_browser import wait_until
from yj_testing import make_settings, running_server

from catalog import attendance, org, planning
from catalog.attendance.models import AttendanceRow
from catalog.db import Database
from catalog.keyfile import load_key
from catalog.models import Member, OrgNode
from catalog.org import demo_org

pytestmark = [pytest.mark.browser]

SHOTS = Path(os.environ.get("YUANJIAO_SIGNIN_SHOTS", "/work/shots/signin"))
TV = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass
class Station:
    url: str
    db: Database
    key: bytes
    station: int
    token: str
    session_id: int
    members: dict[str, int]
    shots: Path

    def shot(self, page: Any, name: str) -> None:
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path))
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)

    def status(self, name: str) -> tuple[str, str, str] | None:
        with self.db.session() as session:
            study = session.get_one(planning.StudySession, self.session_id)
            lines = attendance.session_standings(session, study, attendance.Policy())
        for line in lines:
            if line.member is not None and line.member.name == name and line.row is not None:
                return line.status, line.row.method, line.row.reason
        return None


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path}/catalog.sqlite3",
                             guest_viewing=False, station="SRV-SIGNIN")
    db = Database.open(settings)
    with db.transaction() as session:
        nodes = demo_org.build(session)
        place = session.get_one(OrgNode, nodes["东村站点"].id)
        start = datetime.now(UTC) - timedelta(minutes=5)
        study = planning.create_session(session, nodes["东村党支部"], start,
                                        start + timedelta(hours=4), "十二月主题党日")
        members = {m.name: m.id for m in session.scalars(select(Member))}
        facts = (place.id, org.token_of(session, place) or "", study.id)
    shots = tmp_path / "shots"
    shots.mkdir()
    with running_server(settings, db) as url:
        yield Station(url, db, load_key(settings.data_dir), *facts, members, shots)
    db.close()


def test_tv_qr_phone_signin_roll_call_and_keys(browser: Any, station: Station) -> None:
    tv = browser.new_context(locale="zh-CN", viewport=TV).new_page()
    tv.goto(f"{station.url}/station/{station.station}/signin?station_token={station.token}")
    wait_until(tv, "(document.getElementById('qr').src || '').startsWith('data:image/svg')")
    wait_until(tv, "document.querySelectorAll('.roll-item').length === 3")
    assert "东村党支部" in tv.inner_text(".signin-qr")
    assert "十二月主题党日" in tv.inner_text(".signin-qr")
    code_url = tv.evaluate("document.getElementById('qr').dataset.url")
    assert code_url.startswith(f"{station.url}/signin/{station.session_id}?c=")
    station.shot(tv, "tv-signin-qr")

    # A member's phone opens the QR's URL, types the last four digits, chooses his name.
    phone_context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True,
                                        has_touch=True)
    phone = phone_context.new_page()
    phone.goto(code_url)
    assert phone.locator("#signin-names").is_hidden()  # no roster before the digits
    phone.get_by_label("名册中手机号的后四位").fill("0001")
    phone.get_by_role("button", name="下一步").click()
    phone.get_by_role("button", name="张三").click()
    phone.wait_for_selector("#signin-result.ok")
    assert "张三" in phone.inner_text("#signin-result")
    station.shot(phone, "phone-signed-in")

    # The TV's roll call shows him within 5 s.
    wait_until(tv, "document.querySelector('.roll-item[data-status=\"present\"]') !== null",
               timeout=5_000)
    assert station.status("张三") == ("present", "tv_qr", "")
    station.shot(tv, "tv-roll-after-phone")

    # A code copied two minutes earlier (four windows back) is refused, saying why.
    window = attendance.window_of(datetime.now(UTC).timestamp()) - 4
    old = attendance.code_for(station.key, station.session_id, window)
    phone.goto(f"{station.url}/signin/{station.session_id}?c={old}")
    phone.get_by_label("名册中手机号的后四位").fill("0002")
    phone.get_by_role("button", name="下一步").click()
    phone.wait_for_selector("#signin-result.refused")
    refusal = phone.inner_text("#signin-result")
    assert "已过期" in refusal and "秒前的码" in refusal
    station.shot(phone, "phone-old-code-refused")

    # The administrator marks two members with the remote: ↓ to 李四, 2 (late); ↓ to 王五,
    # 3 (leave), then OK on the first reason.
    tv.bring_to_front()
    tv.locator(".roll-item").first.focus()
    tv.keyboard.press("ArrowDown")
    assert tv.evaluate("document.activeElement.dataset.name") == "李四"
    tv.keyboard.press("2")
    tv.wait_for_selector(".toast.ok")
    tv.keyboard.press("ArrowDown")
    assert tv.evaluate("document.activeElement.dataset.name") == "王五"
    tv.keyboard.press("3")
    tv.wait_for_selector("#leave-menu[open]")
    station.shot(tv, "tv-leave-reason")
    tv.keyboard.press("Enter")
    wait_until(tv, "document.querySelector('.roll-item[data-name=\"王五\"]')"
                   ".dataset.status === 'leave'", timeout=5_000)
    assert station.status("李四") == ("late", "admin", "")
    assert station.status("王五") == ("leave", "admin", "外出务工")
    station.shot(tv, "tv-roll-marked-by-keys")
    with station.db.session() as session:
        kinds = session.scalars(select(AttendanceRow.kind).order_by(AttendanceRow.seq)).all()
    assert kinds == ["attendance.signin", "attendance.refused", "attendance.mark",
                     "attendance.mark"]

    # The session page shows the roster with status, method, time and flags; a correction
    # from it is a new row, the old one kept in the line's history.
    staff = browser.new_context(locale="zh-CN", viewport=TV).new_page()
    staff.goto(f"{station.url}/login?next=/sessions/{station.session_id}")
    staff.get_by_label("用户名").fill("dongcun")
    staff.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    staff.get_by_role("button", name="登录").click()
    staff.wait_for_url(f"**/sessions/{station.session_id}")
    wang = station.members["王五"]
    row = staff.locator(f'#attendance tr[data-member="{wang}"]')
    assert "请假" in row.inner_text() and "管理员标记" in row.inner_text()
    row.locator("select").select_option("absent")
    row.locator("input[name=reason]").fill("当天未到，核对签到表后更正")
    with staff.expect_navigation():  # the form posts and is redirected to the page
        row.get_by_role("button", name="更正").click()
    wait_until(staff, f"document.querySelector('#attendance tr[data-member=\"{wang}\"] .chip')"
                      ".textContent === '缺席'", timeout=10_000)
    history = staff.locator(f'#attendance tr[data-member="{wang}"] details')
    history.locator("summary").click()
    assert "更正第" in history.inner_text()
    staff.locator("#attendance").scroll_into_view_if_needed()
    station.shot(staff, "session-page-attendance")
    assert station.status("王五") == ("absent", "admin", "当天未到，核对签到表后更正")

    # The member's own record on his phone.
    mine = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True).new_page()
    mine.goto(f"{station.url}/login?next=/members/{station.members['张三']}/record")
    mine.get_by_label("用户名").fill("zhangsan")
    mine.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    mine.get_by_role("button", name="登录").click()
    mine.wait_for_url(f"**/members/{station.members['张三']}/record")
    assert "十二月主题党日" in mine.inner_text("main") and "出席" in mine.inner_text("main")
    station.shot(mine, "phone-my-record")
