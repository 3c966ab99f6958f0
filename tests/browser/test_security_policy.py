"""The pages work under their own Content-Security-Policy: hls.js plays (blob: media and
workers), the scripts load, and Chromium reports no violation on any page a guest sees."""

from __future__ import annotations

from typing import Any

import pytest
from test_watch_page import item_id
from yj_browser import wait_until

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]

VIOLATIONS = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_pages_play_and_break_no_rule_of_their_policy(browser: Any, live_server: str) -> None:
    page = browser.new_page(locale="zh-CN")
    page.add_init_script(VIOLATIONS)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    hls = item_id(live_server, "先进适用科技/大棚蔬菜栽培.mpg")
    response = page.goto(f"{live_server}/watch/{hls}")
    assert response is not None and "script-src 'self'" in response.headers[
        "content-security-policy"]
    page.evaluate("document.getElementById('player').muted = true")
    page.evaluate("document.getElementById('player').play()")
    wait_until(page, "document.getElementById('player').currentTime > 0.5")  # blob: media
    seen = page.evaluate("window.__violations")
    for path in ("/", "/search?q=水稻", f"/watch/{item_id(live_server, '党建知识/党课讲稿.pdf')}",
                 "/playbacks", "/login"):
        page.goto(f"{live_server}{path}")
        page.keyboard.press("ArrowDown")  # keys.js runs
        seen += page.evaluate("window.__violations")
    assert seen == [] and refused == [], (seen, refused)
    page.close()
