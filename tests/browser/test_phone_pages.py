"""A member on a phone (issue 14.7), at 390×844 in Chromium: touch targets of 44 px, a
header of one row, the catalog as cards, and his own page, from which he opens his
branch's notice. Screenshots go to tmp_path and to /work/shots/phone/ (or
$YUANJIAO_SHOTS) to be looked at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from yj_testing import make_settings, running_server

from catalog import planning
from catalog.db import Database
from catalog.models import Item, Member, Playback
from catalog.org import demo_org

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
ZONE = ZoneInfo("Asia/Shanghai")
SHOTS = Path(os.environ.get("YUANJIAO_SHOTS", "/work/shots/phone"))
NOTICE_TEXT = "请全体党员带好笔记本，准时到村部参加。"

# What a person can press: in the header and the page's content (the notice has neither).
TARGETS = """() => {
  const roots = document.querySelectorAll('header.top, main, body.notice');
  const found = [];
  for (const root of roots) {
    for (const el of root.querySelectorAll('a[href], button, input, select, summary, textarea')) {
      if (el.type === 'hidden' || el.getClientRects().length === 0) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
      const small = el.type === 'checkbox' || el.type === 'radio';
      const box = (small ? (el.closest('label') || el) : el).getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      found.push({what: el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : '') + ' '
                    + (el.textContent || el.value || el.name || '').trim().slice(0, 20),
                  width: box.width, height: box.height});
    }
  }
  return found;
}"""


@dataclass
class Village:
    url: str
    member: int
    item: int
    notice_session: int


@pytest.fixture
def village(tmp_path: Path, db_url: str, demo_library: Path) -> Iterator[Village]:
    from indexer.pipeline import Scanner

    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        rice = session.scalars(select(Item).where(Item.title == "水稻种植技术")).one()
        day = datetime.now(ZONE).date() + timedelta(days=6)
        start = planning.local(day, 8 * 60 + 30, ZONE)
        study = planning.create_session(session, nodes["东村党支部"], start,
                                        start + timedelta(hours=4), "东村党支部主题党日")
        planning.set_playlist(session, study, [rice.id])
        planning.publish_notice(study, NOTICE_TEXT)
        later = planning.local(day + timedelta(days=30), 8 * 60 + 30, ZONE)
        planning.create_session(session, nodes["东村党支部"], later,
                                later + timedelta(hours=4), "下月主题党日")
        far = planning.create_session(session, nodes["河西村党支部"], start,
                                      start + timedelta(hours=4), "河西村主题党日")
        planning.publish_notice(far, "河西村的通知")
        planning.mark_must_watch(session, rice.id, nodes["本市"], day - timedelta(days=6),
                                 day + timedelta(days=14), [nodes["城关镇"]])
        opened = datetime.now(ZONE) - timedelta(days=2)
        session.add(Playback(ledger="TEST", open_seq=1, station="CG-001", client="10.0.0.9",
                             member="user:zhangsan", item_id=rice.id, title=rice.title,
                             method="direct", opened_at=opened,
                             closed_at=opened + timedelta(seconds=6), close_seq=2,
                             seconds=6.0, ended_by="idle"))
        member = session.scalars(select(Member).where(Member.name == "张三")).one().id
        ids = (member, rice.id, study.id)
    with running_server(settings, db) as url:
        yield Village(url, *ids)
    db.close()


def phone(browser: Any) -> Any:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    return context, context.new_page()


def sign_in(page: Any, url: str, touch: bool = True) -> None:
    page.goto(url + "/login")
    page.get_by_label("用户名").fill("zhangsan")
    page.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    button = page.get_by_role("button", name="登录")
    button.tap() if touch else button.click()
    page.wait_for_url(url + "/")


def shoot(page: Any, tmp_path: Path, name: str, full_page: bool = False) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)
    except OSError:  # a read-only checkout: the copy in tmp_path is enough
        pass


def check_touch_targets(page: Any, where: str) -> int:
    targets = page.evaluate(TARGETS)
    small = [t for t in targets if t["height"] < 44]
    assert not small, f"{where}: under 44 px: {small}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where}: {overflow} px of sideways scrolling"
    return len(targets)


def header_height(page: Any) -> float:
    return float(page.evaluate("document.querySelector('header.top')"
                               ".getBoundingClientRect().height"))


def test_a_member_on_a_phone_opens_his_branchs_notice_from_his_page(
        browser: Any, village: Village, tmp_path: Path) -> None:
    context, page = phone(browser)
    sign_in(page, village.url)
    # The links are behind the menu button; the header stays one row.
    assert header_height(page) <= 0.12 * PHONE["height"]
    page.get_by_role("button", name="菜单").tap()
    shoot(page, tmp_path, "menu-open")
    page.get_by_role("link", name="我的学习").tap()
    page.wait_for_url(f"**/members/{village.member}")
    mine = page.locator("main").inner_text()
    assert "东村党支部主题党日" in mine and "下月主题党日" in mine and "通知尚未发布" in mine
    assert "河西村主题党日" not in mine
    assert "《水稻种植技术》" in mine and "我的收看记录" in mine
    shoot(page, tmp_path, "member-page", full_page=True)
    check_touch_targets(page, "member page")

    page.get_by_role("link", name="查看通知").tap()
    page.wait_for_url(f"**/sessions/{village.notice_session}/notice")
    assert "东村党支部主题党日活动通知" in page.locator("h1").inner_text()
    assert NOTICE_TEXT in page.locator("body").inner_text()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    check_touch_targets(page, "notice")
    shoot(page, tmp_path, "notice", full_page=True)
    page.get_by_role("link", name="我的学习").tap()
    page.wait_for_url(f"**/members/{village.member}")
    context.close()


def test_phone_pages_have_44_px_targets_and_a_one_row_header(
        browser: Any, village: Village, tmp_path: Path) -> None:
    context, page = phone(browser)
    page.goto(village.url + "/login")
    check_touch_targets(page, "login")
    shoot(page, tmp_path, "login")
    sign_in(page, village.url)
    pages = {"catalog": "/", "search": "/search?q=水稻", "no-match": "/search?q=党章",
             "watch": f"/watch/{village.item}", "item": f"/items/{village.item}",
             "member": f"/members/{village.member}", "password": "/account/password",
             "not-found": "/watch/987654"}
    measured = 0
    for name, path in pages.items():
        page.goto(village.url + path)
        assert header_height(page) <= 0.12 * PHONE["height"], name
        measured += check_touch_targets(page, name)
        text = page.locator("body").inner_text()
        assert "yuanjiao " not in text.lower() and "987654" not in text, name
        shoot(page, tmp_path, name)
    assert measured > 60
    # The menu, opened, holds every link at 44 px, and Escape closes it.
    page.goto(village.url + "/")
    page.get_by_role("button", name="菜单").tap()
    assert page.locator("#site-nav").is_visible()
    check_touch_targets(page, "menu")
    page.keyboard.press("Escape")
    assert not page.locator("#site-nav").is_visible()
    context.close()


def test_the_catalog_is_cards_on_a_phone_and_a_table_on_a_pc(
        browser: Any, village: Village, tmp_path: Path) -> None:
    context, page = phone(browser)
    sign_in(page, village.url)
    shape = page.evaluate("""() => {
      const table = document.querySelector('table.items');
      const rows = [...table.querySelectorAll('tbody tr')].map(r => r.getBoundingClientRect());
      return {display: getComputedStyle(table).display,
              head: getComputedStyle(table.querySelector('thead')).display,
              row: getComputedStyle(table.querySelector('tbody tr')).display,
              rows: rows.map(r => ({x: r.x, y: r.y, width: r.width, height: r.height}))};
    }""")
    assert shape["display"] == "block" and shape["head"] == "none" and shape["row"] == "flex"
    rows = shape["rows"]
    assert all(r["width"] >= 0.9 * (PHONE["width"] - 30) for r in rows)  # the page's width
    assert all(b["y"] >= a["y"] + a["height"] for a, b in zip(rows, rows[1:], strict=False))
    shoot(page, tmp_path, "catalog-cards", full_page=True)
    context.close()

    desk = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 768})
    sign_in(desk, village.url, touch=False)
    assert desk.evaluate("getComputedStyle(document.querySelector('table.items')).display"
                         ) == "table"
    assert not desk.get_by_role("button", name="菜单").is_visible()
    assert desk.get_by_role("link", name="我的学习").is_visible()
    shoot(desk, tmp_path, "catalog-pc")
    desk.close()
