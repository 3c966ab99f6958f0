"""The catalog page in a real browser: themes, language, keyboard, phone size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from media.demo import MANIFEST

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]

THEME_HEADINGS = ["政治理论", "党建知识", "农村政策法规", "先进适用科技", "健康娱乐文化"]


def test_catalog_groups_every_demo_item_under_its_theme(browser: Any, live_server: str,
                                                        demo_library: Path,
                                                        tmp_path: Path) -> None:
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "课件目录"
    headings = page.locator("section.group h2 .theme").all_inner_texts()
    assert headings == THEME_HEADINGS
    manifest = json.loads((demo_library / MANIFEST).read_text("utf-8"))
    for theme in {entry["theme"] for entry in manifest}:
        shown = page.locator(f"section[data-theme={theme}] tbody tr").count()
        assert shown == sum(1 for e in manifest if e["theme"] == theme)
    page.screenshot(path=str(tmp_path / "catalog.png"), full_page=True)
    page.close()


def test_keyboard_alone_filters_by_theme_and_opens_an_item(browser: Any,
                                                           live_server: str) -> None:
    # Station PCs are driven by remote controls that send Tab/arrows and Enter.
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server + "/")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "先进适用科技":
            break
    else:
        pytest.fail("the technology theme link cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**theme=technology")
    assert page.locator("section.group").count() == 1
    page.locator("section[data-theme=technology] tbody a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/watch/*")
    assert "先进适用科技" in page.locator("dl.facts").inner_text()
    page.close()


def test_english_is_one_click_away_and_remembered(browser: Any, live_server: str) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server + "/")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Catalog"
    page.goto(live_server + "/login")
    assert page.locator("h1").inner_text() == "Sign in"
    page.close()


def test_phone_screen_has_no_sideways_scrolling(browser: Any, live_server: str,
                                                tmp_path: Path) -> None:
    page = browser.new_page(locale="zh-CN", viewport={"width": 360, "height": 740},
                            device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(live_server + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
    page.close()
