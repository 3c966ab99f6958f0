"""Planning without friction, in Chromium, as a town organizer does it: auto-compose
fills a preview he discards (his playlist stays) or accepts; a must-watch item is found
by searching; a town rule is set with the controls; a session is cancelled with a reason
and stays, struck through. Screenshots are kept (printed at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from yj_browser import wait_until
from yj_testing import make_settings, running_server

from catalog import planning
from catalog.db import Database
from catalog.evidence.ledger import rows
from catalog.models import Item, MustWatch, StudySession
from catalog.org import demo_org
from indexer.pipeline import Scanner

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def town(tmp_path: Path, db_url: str, demo_library: Path) -> Iterator[tuple[str, Database,
                                                                             dict[str, Any]]]:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False, station="SRV-1")
    db = Database.open(settings)
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        rice = session.scalars(select(Item).where(Item.rel_path.like("%rice%"))).one()
        start = planning.local(datetime.now(ZONE).date() + timedelta(days=5), 8 * 60 + 30,
                               ZONE)
        study = planning.create_session(session, nodes["东村党支部"], start,
                                        start + timedelta(hours=4), "下周主题党日")
        planning.set_playlist(session, study, [rice.id])
        facts = {"session": study.id, "rice": rice.title, "month": start.strftime("%Y-%m")}
    with running_server(settings, db) as url:
        yield url, db, facts
    db.close()


def _sign_in(page: Any, url: str, target: str) -> None:
    page.goto(f"{url}/login?next={target}")
    page.get_by_label("用户名").fill("chengguan")
    page.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{target}")


def test_an_organizer_plans_without_losing_anything(
        browser: Any, town: tuple[str, Database, dict[str, Any]], tmp_path: Path) -> None:
    url, db, facts = town
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    _sign_in(page, url, f"/sessions/{facts['session']}")

    # Auto-compose proposes; discarding keeps the hand-built playlist.
    titles = page.locator("#playlist li.entry .title")
    assert titles.all_inner_texts() == [facts["rice"]]
    page.get_by_role("button", name="自动编排").click()
    page.locator("#compose-preview #compose-items li").first.wait_for()
    proposed = page.locator("#compose-items li .title").all_inner_texts()
    assert proposed and page.locator("#compose-summary").inner_text().startswith(
        f"{len(proposed)} 个课件")
    page.screenshot(path=str(tmp_path / "compose-preview.png"), full_page=True)
    assert titles.all_inner_texts() == [facts["rice"]]  # nothing saved by proposing
    page.get_by_role("button", name="放弃").click()
    assert page.locator("#compose-preview").is_hidden()
    page.reload()
    assert titles.all_inner_texts() == [facts["rice"]]
    # …and accepting puts the proposal in its place.
    page.get_by_role("button", name="自动编排").click()
    page.locator("#compose-items li").first.wait_for()
    proposed = page.locator("#compose-items li .title").all_inner_texts()
    page.get_by_role("button", name="采用").click()
    wait_until(page, f"document.querySelectorAll('#playlist li.entry').length === "
                     f"{len(proposed)}")
    assert titles.all_inner_texts() == proposed

    # A must-watch item, found by searching its pinyin, never by its number.
    page.goto(f"{url}/sessions")
    form = page.locator("form.must-watch-form")
    form.get_by_label("课件（输入名称或拼音搜索）").fill("guangchangwu")
    choice = form.locator("#must-watch-results li", has_text="广场舞")
    choice.first.wait_for()
    dance = choice.first.locator(".title").inner_text()
    choice.first.get_by_role("button", name="选择").click()
    assert form.locator("#must-watch-chosen").inner_text() == f"已选：《{dance}》"
    form.get_by_label("截止日期").fill((date.today() + timedelta(days=30)).isoformat())
    form.get_by_label("下发到").select_option(label="东村党支部")
    form.get_by_role("button", name="下发").click()
    page.wait_for_url("**/sessions")
    with db.session() as session:
        must = session.scalars(select(MustWatch)).one()
        assert session.get_one(Item, must.item_id).title == dance
        assert must.node_ids == [session.scalars(select(StudySession)).first().org_id]

    # The town's rule with the controls: the second Monday of every month of 2028.
    rule = page.locator("form.rule-form").first
    rule.get_by_label("年度").fill("2028")
    rule.locator("input[name=rule_kind][value=weekday]").check()
    rule.get_by_label("第几个").select_option("2")
    rule.get_by_label("星期几").select_option(label="星期一")
    rule.get_by_role("button", name="为各村生成全年活动").click()
    page.wait_for_url("**/sessions?month=2028-01")
    assert page.locator("table.sessions tr", has_text="01-10 08:30").count() >= 1  # a Monday
    page.screenshot(path=str(tmp_path / "rule-sessions.png"), full_page=True)

    # Cancelling keeps the session, struck through, with its reason.
    page.goto(f"{url}/sessions/{facts['session']}")
    page.locator("summary", has_text="取消本次活动").click()
    page.get_by_label("取消原因").fill("村里抢收水稻，改期另定")
    page.locator("#cancel-session").click()
    page.locator(".cancelled-note").wait_for()
    assert "村里抢收水稻，改期另定" in page.locator(".cancelled-note").inner_text()
    assert page.locator("h1 del").count() == 1 and page.locator("#pick-query").count() == 0
    page.goto(f"{url}/sessions?month={facts['month']}")
    cancelled = page.locator(f"tr[data-session='{facts['session']}']")
    assert "cancelled" in (cancelled.get_attribute("class") or "")
    assert cancelled.locator("del").count() == 1 and "已取消" in cancelled.inner_text()
    page.screenshot(path=str(tmp_path / "cancelled.png"), full_page=True)
    context.close()
    with db.session() as session:
        assert session.get_one(StudySession, facts["session"]).cancelled_at is not None
    with db.engine.connect() as connection:
        kinds = [e.kind for e in rows(connection, "SRV-1")]
    assert "session.cancelled" in kinds
    print(f"screenshots: {tmp_path}")
