"""A town organizer in Chromium: signs in, sees only the town, imports a roster, signs
out; the old cookie then opens nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from yj_testing import make_settings, running_server

from catalog.db import Database
from catalog.org import demo_org

pytestmark = pytest.mark.browser


@pytest.fixture
def town_server(tmp_path: Path, db_url: str) -> Iterator[str]:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
    with running_server(settings, db) as url:
        yield url
    db.close()


def roster_file(path: Path) -> Path:
    book = Workbook()
    book.active.append(["姓名", "手机号", "类别", "免于参加组织生活", "备注"])
    for n in range(20):
        book.active.append([f"新党员{n:02d}", f"1370000{n:04d}",
                            "正式党员" if n != 7 else "不知道", "", ""])
    book.save(path)
    return path


def test_a_town_organizer_signs_in_imports_and_signs_out(
        browser: Any, town_server: str, tmp_path: Path) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{town_server}/org")
    page.wait_for_url("**/login?next=/org")
    page.get_by_label("用户名").fill("chengguan")
    page.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/org/*")
    assert page.locator("h1").inner_text().startswith("城关镇")
    children = page.locator("ul.children li").all_inner_texts()
    assert sorted(c.split()[0] for c in children) == ["东村党支部", "西村党支部"]
    assert "河西" not in page.content()
    assert "城关镇组织员" in page.locator("header").inner_text()
    # Another town's page is not there for this account.
    assert page.goto(f"{town_server}/org/7").status == 404
    page.go_back()

    page.get_by_role("link", name="东村党支部").click()
    page.get_by_role("link", name="导入花名册").click()
    page.locator("input[type=file]").set_input_files(str(roster_file(tmp_path / "名单.xlsx")))
    page.get_by_role("button", name="上传并预览").click()
    summary = page.locator("#import-summary")
    assert "新增 19 人" in summary.inner_text() and "有错 1 行" in summary.inner_text()
    assert "人员类别“不知道”无法识别" in page.locator("tr.error").inner_text()
    page.get_by_role("button", name="确认导入").click()
    assert "已导入：新增 19 人" in page.locator("#import-summary").inner_text()
    page.screenshot(path=str(tmp_path / "import.png"), full_page=True)
    page.get_by_role("link", name="返回 东村党支部").click()
    assert "新党员00" in page.content()

    old = {c["name"]: c["value"] for c in context.cookies()}["yj_session"]
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")
    assert httpx.get(f"{town_server}/api/me", cookies={"yj_session": old}).status_code == 401
    context.add_cookies([{"name": "yj_session", "value": old, "url": town_server}])
    page.goto(f"{town_server}/org")
    page.wait_for_url("**/login?next=/org")
    context.close()
