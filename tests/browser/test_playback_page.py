"""Watching in Chromium leaves its playback on the playback log page, which filters by
keyboard alone and exports CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_watch_page import item_id, wait_playing
from yj_browser import wait_until
from yj_testing import TEST_PASSWORD, ensure_user

from catalog.db import Database

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]


def test_a_playback_in_the_browser_shows_on_the_log_page(browser: Any, live_server: str,
                                                         db: Database, tmp_path: Path) -> None:
    watched = item_id(live_server, "先进适用科技/rice.mp4")
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768},
                            accept_downloads=True)
    ensure_user(db, "inspector-1")  # the playback log is for staff: sign in first
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("inspector-1")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/watch/{watched}")
    title = page.locator("h1").inner_text()
    page.evaluate("document.getElementById('player').muted = true")
    page.evaluate("document.getElementById('player').play()")
    wait_playing(page, 0.5)
    other = item_id(live_server, "农村政策法规/新农合政策问答.mp4")
    page.goto(f"{live_server}/watch/{other}")
    page.evaluate("document.getElementById('player').muted = true")
    page.evaluate("document.getElementById('player').play()")
    wait_playing(page, 0.5)

    page.goto(f"{live_server}/playbacks")
    assert page.locator("h1").inner_text() == "播放记录"
    rows = page.locator("table.playbacks tbody tr")
    wait_until(page, "document.querySelectorAll('table.playbacks tbody tr').length >= 2",
                           10_000)
    assert any(title in text for text in rows.all_inner_texts())
    assert "播放中" in rows.first.inner_text()  # its idle window has not passed yet
    # Keyboard only: to the item number field, type, Enter.
    page.locator("input[name=item]").focus()
    page.keyboard.type(str(watched))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/playbacks?*item={watched}*")
    assert rows.count() == 1 and title in rows.first.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    saved = tmp_path / "playbacks.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("台账序号,站点") and len(text.splitlines()) == 2
    page.close()
