"""The watch page plays direct and HLS items in Debian's Chromium and seeks HLS."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from yj_browser import wait_until

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]


def item_id(live_server: str, path: str) -> int:
    items = httpx.get(f"{live_server}/api/items", params={"per_page": 200}).json()["items"]
    return next(i["id"] for i in items if i["path"] == path)


def wait_playing(page: Any, past: float) -> None:
    wait_until(page, f"document.getElementById('player').currentTime > {past}",
                           30_000)


def test_direct_item_plays(browser: Any, live_server: str) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/watch/{item_id(live_server, '农村政策法规/新农合政策问答.mp4')}")
    assert page.locator("#player").get_attribute("data-direct")
    page.evaluate("document.getElementById('player').muted = true")
    page.evaluate("document.getElementById('player').play()")
    wait_playing(page, 0.5)
    assert page.locator("#player-error").is_hidden()
    page.close()


def test_hls_item_plays_and_seeks_to_its_middle(browser: Any, live_server: str) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/watch/{item_id(live_server, '先进适用科技/大棚蔬菜栽培.mpg')}")
    assert page.locator("#player").get_attribute("data-direct") == ""
    page.evaluate("document.getElementById('player').muted = true")
    page.evaluate("document.getElementById('player').play()")
    wait_playing(page, 0.5)
    page.evaluate("document.getElementById('player').currentTime = 2.5")
    wait_until(page, "document.getElementById('player').currentTime >= 2.6",
                           30_000)
    assert page.locator("#player-error").is_hidden()
    page.close()


def test_pdf_opens_in_the_page(browser: Any, live_server: str) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/watch/{item_id(live_server, '党建知识/党课讲稿.pdf')}")
    assert page.locator("iframe.document").count() == 1
    assert page.get_by_role("link", name="下载").count() == 1
    page.close()
