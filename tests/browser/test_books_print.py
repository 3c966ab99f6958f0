"""The record books printed by headless Chromium (issue 17.6): A4, no column cut; the PDFs
are kept in the test's data directory and /work/shots/books/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from yj_hall import Hall, month_of_records

from catalog.org import demo_org

pytestmark = [pytest.mark.browser]
SHOTS = Path("/work/shots/books")


def test_the_books_print_on_a4_without_cutting_columns(hall: Hall, browser: Any) -> None:
    from yj_testing import running_app

    _, month = month_of_records(hall)
    node = hall.nodes["东村党支部"]
    with running_app(hall.client.app) as url:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/login?next=/org/{node}/books")
        page.get_by_label("用户名").fill("dongcun")
        page.get_by_label("密码").fill(demo_org.DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"**/org/{node}/books")
        for code in ("viewing", "signin", "minutes", "feedback"):
            page.goto(f"{url}/org/{node}/books?book={code}&period={month}")
            page.emulate_media(media="print")
            fits = page.evaluate("document.querySelector('.book-table').scrollWidth <= "
                                 "document.querySelector('.book-table').parentElement"
                                 ".clientWidth + 1")
            assert fits, code
            pdf = page.pdf(prefer_css_page_size=True)
            assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1
            kept = hall.settings.data_dir / f"book-{code}.pdf"
            kept.write_bytes(pdf)
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(kept, SHOTS / kept.name)
            page.screenshot(path=str(SHOTS / f"book-{code}.png"), full_page=True)
            page.emulate_media(media="screen")
