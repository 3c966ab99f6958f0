"""The reports' pages in Chromium at 1366×768 (issue 18.6, acceptance): the town
organizer opens the overview, trend and rating of his town and sees their charts drawn;
the station administrator fills in and submits the month's report card on its page.
Screenshots go to the test's directory and /work/shots/reports/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from yj_browser import wait_until
from yj_hall import Hall, month_of_records, stock
from yj_testing import running_app

from catalog import org
from catalog.org import demo_org

pytestmark = [pytest.mark.browser]
SHOTS = Path("/work/shots/reports")
VIEWPORT = {"width": 1366, "height": 768}
DRAWN = ("document.querySelectorAll('.report-chart').length > 0 && "
         "Array.from(document.querySelectorAll('.report-chart')).every("
         "c => c.querySelector('svg path, svg rect') !== null)")


def _login(browser: Any, url: str, username: str, target: str) -> Any:
    page = browser.new_context(locale="zh-CN", viewport=VIEWPORT).new_page()
    page.goto(f"{url}/login?next={quote(target)}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{target.split('?')[0]}*")
    return page


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_charts_drawn_and_the_card_submitted(browser: Any, hall: Hall, tmp_path: Path
                                            ) -> None:
    if "postgresql" in hall.settings.db_url:
        pytest.skip("the pages are the same on PostgreSQL (tried over HTTP there)")
    stock(hall)
    _, month = month_of_records(hall)
    with hall.db.session() as session:
        town = org.children(session, org.ensure_city(session))[0]
        home = org.organization_by_name(session, town, "东村党支部")
        assert home is not None
        town_id, home_id = town.id, home.id
    with running_app(hall.client.app) as url:
        page = _login(browser, url, "chengguan",
                      f"/org/{town_id}/reports?kind=overview&period={month[:4]}")
        assert "活动开展情况汇总" in page.inner_text("h1")
        wait_until(page, DRAWN, timeout=10_000)
        assert page.locator(".report-chart").count() == 2
        assert "东村党支部" in page.inner_text("#report")
        _shot(page, tmp_path, "town-overview")
        page.get_by_role("link", name="逐月趋势").click()
        wait_until(page, DRAWN, timeout=10_000)
        assert page.locator("#report tbody tr").count() == 12
        _shot(page, tmp_path, "town-trend")
        page.get_by_role("link", name="站点评定").click()
        wait_until(page, DRAWN, timeout=10_000)
        assert "按时开展活动" in page.inner_text("#report thead")
        _shot(page, tmp_path, "town-rating")

        station = _login(browser, url, "dongcun",
                         f"/org/{home_id}/reports?kind=card&period={month}")
        station.get_by_label("学用典型").fill("张三学了果树嫁接，今年增收两成")
        station.get_by_label("存在问题").fill("投影仪偏暗")
        with station.expect_navigation():
            station.get_by_role("button", name="确认并报送").click()
        assert "已按时报送" in station.inner_text("#card")
        assert "张三学了果树嫁接" in station.inner_text("#card")
        _shot(station, tmp_path, "station-card-submitted")

        page.goto(f"{url}/org/{town_id}/reports?kind=cards&period={month}")
        assert "已按时报送" in page.inner_text("#report")
        _shot(page, tmp_path, "town-cards")
