"""The reports' charts in Chromium (issue 18.6): web/static/report_charts.js draws each
``.report-chart`` element's chart_data with the vendored ECharts as SVG, under the pages'
own Content-Security-Policy. The page is served by Playwright itself from web/static (no
server, no network); the screenshot goes to /work/shots/reports/."""

from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from yj_browser import wait_until

from catalog.reports.table import Chart, Column, Report
from web.reports import exports
from web.security_headers import POLICY

pytestmark = [pytest.mark.browser]

SHOTS = Path(os.environ.get("YUANJIAO_REPORT_SHOTS", "/work/shots/reports"))
ORIGIN = "http://station.test"
VIOLATIONS = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def make_report() -> Report:
    columns = [Column("name", "test_col_name"), Column("sessions", "test_col_sessions", "int"),
               Column("rate", "test_col_rate", "rate"),
               Column("minutes", "test_col_minutes", "minutes")]
    rows = [{"name": "张秀英", "sessions": 4, "rate": 0.875, "minutes": 120},
            {"name": "王德明", "sessions": 3, "rate": None, "minutes": 90},
            {"name": "李建国", "sessions": 2, "rate": 0.5, "minutes": 60}]
    return Report(kind="members", title="test_report_title",
                  node={"id": 7, "name": "东村党支部", "kind": "organization",
                        "label": "东村党支部"}, period="2027-03", columns=columns, rows=rows,
                  charts=[Chart("bar", "test_chart_rate", "name", ("rate",)),
                          Chart("line", "test_chart_minutes", "name",
                                ("sessions", "minutes"))])


def chart_page(charts: list[dict[str, Any]]) -> str:
    blocks = "\n".join(f'<div class="report-chart" data-chart="'
                       f'{html.escape(json.dumps(chart, ensure_ascii=False))}"></div>'
                       for chart in charts)
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<title>报表图表</title></head><body>"
            # A canary: the policy is in force when this inline script is refused.
            "<script>window.__inline = true</script>"
            f"{blocks}<script src='/static/vendor/echarts/echarts.min.js'></script>"
            "<script src='/static/report_charts.js'></script></body></html>")


def serve(page: Any, body: str) -> None:
    def answer(route: Any) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        headers = {"content-security-policy": POLICY}
        if path == "/report":
            route.fulfill(status=200, body=body, headers=headers,
                          content_type="text/html; charset=utf-8")
            return
        found = (exports.STATIC / path.removeprefix("/static/")).resolve()
        if path.startswith("/static/") and found.is_relative_to(exports.STATIC) \
                and found.is_file():
            route.fulfill(status=200, body=found.read_bytes(), headers=headers,
                          content_type="text/javascript")
            return
        route.fulfill(status=404, body="")

    page.route(f"{ORIGIN}/**", answer)


def test_report_charts_draw_bars_lines_and_a_pie_as_svg(browser: Any, tmp_path: Path) -> None:
    report = make_report()
    charts = [exports.chart_data(report, chart, "zh") for chart in
              [*report.charts, Chart("pie", "test_chart_pie", "name", ("minutes",))]]
    page = browser.new_page(locale="zh-CN", viewport={"width": 900, "height": 1100})
    page.add_init_script(VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    serve(page, chart_page(charts))
    page.goto(f"{ORIGIN}/report")
    wait_until(page, "document.querySelectorAll('.report-chart svg path').length > 20",
               timeout=10_000)
    drawn = page.evaluate("""Array.from(document.querySelectorAll('.report-chart'), el => ({
        svg: el.querySelectorAll('svg').length, paths: el.querySelectorAll('svg path').length,
        text: Array.from(el.querySelectorAll('svg text'), t => t.textContent).join(' '),
        height: el.getBoundingClientRect().height}))""")
    assert [d["svg"] for d in drawn] == [1, 1, 1]
    bar, line, pie = drawn
    assert "test_chart_rate" in bar["text"] and "张秀英" in bar["text"]
    assert "87.5%" in bar["text"] and "100%" in bar["text"]  # shares drawn as percentages
    assert "test_col_sessions" in line["text"] and "test_col_minutes" in line["text"]
    assert "李建国 60" in pie["text"]
    assert all(d["height"] >= 300 for d in drawn)
    page.set_viewport_size({"width": 600, "height": 1100})  # resize: redrawn to fit
    wait_until(page, "document.querySelector('.report-chart svg').getAttribute('width')"
                     " <= 600", timeout=5_000)
    page.set_viewport_size({"width": 900, "height": 1100})
    wait_until(page, "document.querySelector('.report-chart svg').getAttribute('width')"
                     " > 600", timeout=5_000)
    # The policy refused the canary, and nothing ECharts or report_charts.js does.
    assert page.evaluate("window.__inline") is None
    assert page.evaluate("window.__violations") == ["script-src-elem inline"]
    assert [e for e in errors if "Content Security Policy" not in e] == [], errors
    shot = tmp_path / "chart-file.png"
    page.screenshot(path=str(shot), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)
    page.close()
