"""An organizer plans an activity day in Chromium, and the station's TV plays it.

The organizer signs in, creates a session, builds its playlist by dragging, watches the
must-watch warning go when the item is added, and publishes the notice. The station's TV
mode then plays two items in a row, driven by key presses only. Screenshots of the
builder and the TV mode are kept in the test's directory (printed at the end).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from yj_browser import wait_until
from yj_testing import make_settings, running_server

from catalog import org, planning
from catalog.db import Database
from catalog.evidence.ledger import rows
from catalog.models import Item, OrgNode
from catalog.org import demo_org
from indexer.pipeline import Scanner

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]


def _local_today() -> date:
    """The stations' day (Asia/Shanghai), not the test machine's (UTC): 8 hours apart."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def town(tmp_path: Path, db_url: str, demo_library: Path) -> Iterator[tuple[str, Database,
                                                                             dict[str, Any]]]:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False, station="SRV-1",
                             playback_idle_seconds=0.5)
    db = Database.open(settings)
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        dance = session.scalars(select(Item).where(Item.rel_path.like("%广场舞%"))).one()
        today = _local_today()
        planning.mark_must_watch(session, dance.id, nodes["城关镇"], today - timedelta(days=1),
                                 today + timedelta(days=20), [nodes["东村党支部"]])
        station = session.get_one(OrgNode, nodes["东村站点"].id)
        facts = {"station": station.id, "token": org.token_of(session, station),
                 "code": station.code, "dance": dance.title}
    with running_server(settings, db) as url:
        yield url, db, facts
    db.close()


def test_an_organizer_builds_a_session_and_the_tv_plays_it(
        browser: Any, town: tuple[str, Database, dict[str, Any]], tmp_path: Path) -> None:
    url, db, facts = town
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{url}/login?next=/sessions")
    page.get_by_label("用户名").fill("chengguan")
    page.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/sessions")

    row = page.locator("table.organizations tr", has_text="东村党支部")
    assert facts["dance"] in row.inner_text()  # the organization's pending must-watch item
    row.locator("summary").click()
    row.get_by_label("标题").fill("本月主题党日")
    # Tomorrow: the notice then goes out before the start whatever the hour of the run
    # (the TV mode shows the next session when there is none today).
    row.get_by_label("日期").fill((_local_today() + timedelta(days=1)).isoformat())
    row.get_by_role("button", name="建立").click()
    page.wait_for_url("**/sessions/*")
    assert page.locator("h1").inner_text().startswith("本月主题党日")

    playlist = page.locator("#playlist")
    for query, title in (("水稻", "水稻种植技术"), ("新农合", "新农合政策问答")):
        page.locator("#pick-query").fill(query)
        result = page.locator(f"#pick-results[data-query='{query}'] li", has_text=title)
        result.wait_for()
        before = page.locator("#playlist li.entry").count()
        box = playlist.bounding_box()
        assert box is not None
        # Dropped below the entries: appended (dropped on an entry: inserted before it).
        result.drag_to(playlist, target_position={"x": 20, "y": box["height"] - 4})
        wait_until(page,
            f"document.querySelectorAll('#playlist li.entry').length === {before + 1}")
    entries = page.locator("#playlist li.entry .title").all_inner_texts()
    assert entries == ["水稻种植技术", "新农合政策问答"]
    # Reorder by dragging the second entry onto the first.
    page.locator("#playlist li.entry").nth(1).drag_to(page.locator("#playlist li.entry").nth(0))
    wait_until(page,
        "document.querySelector('#playlist li.entry .title').textContent === '新农合政策问答'")

    must = page.locator("#checks li[data-code=must_watch]")
    assert facts["dance"] in must.inner_text()
    assert page.locator("#checks li[data-code=themes]").count() == 0  # two themes now
    page.locator("#due li", has_text=facts["dance"]).get_by_role("button", name="添加").click()
    must.wait_for(state="detached")
    assert page.locator("#playlist li.entry").count() == 3
    assert page.locator("#checks li[data-code=length]").count() == 1  # demo clips are short
    page.screenshot(path=str(tmp_path / "builder.png"), full_page=True)

    assert page.locator("#checks li[data-code=notice]").count() == 1
    page.get_by_role("button", name="发布通知").click()
    # The length check fails (demo clips are short): asked once, then published over it.
    page.get_by_role("button", name="仍然发布").click()
    page.wait_for_load_state()
    page.locator("#checks li").first.wait_for()
    assert page.locator("#checks li[data-code=notice]").count() == 0
    context.close()

    # The station's TV: opened with its token, then keys only.
    tv = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    screen = tv.new_page()
    screen.goto(f"{url}/station/{facts['station']}?station_token={facts['token']}")
    assert screen.locator("h1").inner_text() == "本月主题党日"
    assert screen.locator(".tv-item").count() == 3
    screen.keyboard.press("Enter")
    wait_until(screen, "window.yuanjiaoTv && window.yuanjiaoTv.index === 0")
    wait_until(screen, "document.getElementById('tv-player').currentTime > 0.5",
                             20_000)
    # The first item ends by itself and the second begins, with no key pressed.
    wait_until(screen, "window.yuanjiaoTv.index === 1", 30_000)
    wait_until(screen, "document.getElementById('tv-player').currentTime > 1",
                             20_000)
    screen.screenshot(path=str(tmp_path / "tv.png"))
    screen.keyboard.press("ArrowDown")  # the remote's ↓ skips to the third (←/→ seek)
    wait_until(screen, "window.yuanjiaoTv.index === 2")
    screen.keyboard.press("ArrowDown")  # past the last: the discussion topics
    screen.locator("#topics").wait_for()
    tv.close()
    print(f"screenshots: {tmp_path / 'builder.png'} {tmp_path / 'tv.png'}")

    with db.engine.connect() as connection:
        opened = [e.data for e in rows(connection, "SRV-1") if e.kind == "playback.open"]
    assert len({d["item_id"] for d in opened}) >= 2
    assert {d["station"] for d in opened} == {facts["code"]}
    # Tomorrow's session, shown ahead on the TV: what is played today is not its evidence.
    assert {d["session"] for d in opened} == {None}
