"""Search in a real browser: a remote control's arrows and Enter alone, and a phone."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]


def wait_for_index(live_server: str) -> None:
    deadline = time.monotonic() + 30
    while httpx.get(f"{live_server}/api/search", params={"q": "水稻"}).json()["source"] != "index":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_arrows_and_enter_alone_find_and_open_an_item(browser: Any, live_server: str) -> None:
    wait_for_index(live_server)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page.goto(live_server + "/")
    assert page.get_by_role("heading", name="最近添加").count() == 1
    page.keyboard.press("ArrowDown")  # the site's name
    page.keyboard.press("ArrowDown")  # the search box
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("shuidao")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=shuidao")
    assert page.evaluate("document.activeElement.className") == "result"  # the first hit
    assert "水稻种植技术" in page.evaluate("document.activeElement.innerText")
    page.keyboard.press("Enter")
    page.wait_for_url("**/watch/*")
    assert "水稻种植技术" in page.locator("h1").inner_text()
    page.close()


def test_results_fit_a_phone(browser: Any, live_server: str) -> None:
    wait_for_index(live_server)
    page = browser.new_page(locale="zh-CN", viewport={"width": 360, "height": 740},
                            is_mobile=True, has_touch=True)
    page.goto(live_server + "/search?q=%E7%A8%BB")  # 稻
    assert page.locator("ol.results li").count() >= 1
    assert page.locator("ol.results mark").first.inner_text() == "稻"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.close()
