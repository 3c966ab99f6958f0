"""Reports over HTTP and on the CLI (issue 18) on the demo branch with a month of
records: the figures agree with the session page's own (catalog/records/five_haves.py
and the attendance figures, computed per session apart from the query layer)."""

from __future__ import annotations

from typing import Any

import pytest
from yj_hall import Hall, month_of_records, node_ids, stock

from catalog.attendance import Policy, session_figures, session_standings
from catalog.planning.models import StudySession
from catalog.records import five_haves
from web.reports.service import make_report

pytestmark = pytest.mark.usefixtures("hall")


def _org(hall: Hall) -> Any:
    from catalog import org

    with hall.db.session() as session:
        return org.organization_by_name(session, org.ensure_city(session), "东村党支部")


def test_session_rows_agree_with_the_session_page(hall: Hall) -> None:
    running, month = month_of_records(hall)
    policy = Policy.of(hall.settings)
    with hall.db.session() as session:
        home = session.get_one(StudySession, running)
        from catalog import org

        node = org.get_node(session, home.org_id)
        report = make_report(session, hall.settings, "sessions", node, month)
        line = next(r for r in report.rows if r["session_id"] == running)
        figures = session_figures(home, session_standings(session, home, policy), policy)
        haves = {h.code: h.state for h in five_haves(session, home, policy)}
    for key in ("expected", "present", "late", "leave", "rate"):
        assert line[key] == figures[key], key
    assert {h: line[f"have_{h}"] for h in haves} == haves



def test_the_page_its_json_twin_and_the_csv(hall: Hall) -> None:
    running, month = month_of_records(hall)
    nodes = node_ids(hall)
    hall.sign_in("chengguan")
    page = hall.client.get(f"/org/{nodes['城关镇']}/reports?kind=overview&period={month}")
    assert page.status_code == 200
    assert "活动开展情况汇总" in page.text and "东村党支部" in page.text
    assert 'class="report-chart"' in page.text and "echarts.min.js" in page.text
    english = hall.client.get(f"/org/{nodes['城关镇']}/reports?kind=overview&period={month}"
                              "&lang=en")
    assert "Activity overview" in english.text and "Mean attendance" in english.text
    twin = hall.client.get(f"/api/org/{nodes['城关镇']}/reports/overview?period={month}")
    assert twin.status_code == 200
    rows = {r["organization"]: r for r in twin.json()["rows"]}
    assert set(rows) == {"东村党支部", "西村党支部"}
    assert rows["东村党支部"]["held"] == 1 and rows["西村党支部"]["held"] == 0
    csv = hall.client.get(f"/org/{nodes['东村党支部']}/reports?kind=sessions&period={month}"
                          "&format=csv")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert f"\n{running}," in csv.content.decode("utf-8-sig").replace("\r\n", "\n")


def test_each_caller_sees_only_its_part_of_the_tree(hall: Hall) -> None:
    _, month = month_of_records(hall)
    nodes = node_ids(hall)

    def status(user: str, node: str) -> int:
        hall.sign_in(user)
        return hall.client.get(f"/api/org/{nodes[node]}/reports/overview?period={month}",
                               headers={"accept": "application/json"}).status_code

    assert status("dongcun", "东村党支部") == 200
    assert status("dongcun", "西村党支部") == 404  # the neighbour in his town
    assert status("dongcun", "城关镇") == 404
    assert status("chengguan", "城关镇") == 200
    assert status("chengguan", "city") == 404
    assert status("inspector", "city") == 200
    hall.sign_in("inspector")
    assert hall.client.post(f"/api/org/{nodes['city']}/reports/overview").status_code == 405


def test_bad_kind_and_period_are_clear_errors(hall: Hall) -> None:
    nodes = node_ids(hall)
    hall.sign_in("admin")
    bad = hall.client.get(f"/api/org/{nodes['city']}/reports/overview?period=2027-13",
                          headers={"accept": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"] == "bad_report_period"
    bad = hall.client.get(f"/api/org/{nodes['city']}/reports/nope?period=2027",
                          headers={"accept": "application/json"})
    assert bad.status_code == 400


def test_the_cli_prints_a_table_and_writes_json(hall: Hall, tmp_path: Any) -> None:
    import json

    from click.testing import CliRunner
    from yj_hall import LEDGER

    from web.cli import cli

    _, month = month_of_records(hall)
    env = {"YUANJIAO_DATA_DIR": str(hall.settings.data_dir),
           "YUANJIAO_DB_URL": hall.settings.db_url, "YUANJIAO_STATION": LEDGER}
    shown = CliRunner().invoke(cli, ["report", "overview", "--node", "城关镇", "--period",
                                     month], env=env)
    assert shown.exit_code == 0, shown.output
    assert "东村党支部" in shown.output and "平均参学率" in shown.output
    out = tmp_path / "r.json"
    written = CliRunner().invoke(cli, ["report", "sessions", "--node", "城关镇/东村党支部",
                                       "--period", month, "--format", "json", "--out",
                                       str(out)], env=env)
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text())["node"]["label"] == "城关镇/东村党支部"
    bad = CliRunner().invoke(cli, ["report", "overview", "--period", "2027-Q5"], env=env)
    assert bad.exit_code != 0 and "2027-Q5" in bad.output


@pytest.mark.parametrize("kind", ["overview", "sessions", "members", "trend", "ranking",
                                  "rating", "assessment", "must-watch", "themes", "cards"])
def test_every_kind_has_its_page_and_json_twin(hall: Hall, kind: str) -> None:
    stock(hall)
    _, month = month_of_records(hall)
    nodes = node_ids(hall)
    if kind == "must-watch":
        from datetime import date

        from catalog import org, planning

        with hall.db.transaction() as session:
            city = org.ensure_city(session)
            planning.mark_must_watch(session, 2, city, date(int(month[:4]), 1, 1),
                                     date(int(month[:4]), 12, 31), [city])
    hall.sign_in("admin")
    year = month[:4]
    page = hall.client.get(f"/org/{nodes['city']}/reports?kind={kind}&period={year}")
    assert page.status_code == 200, page.text[:500]
    twin = hall.client.get(f"/org/{nodes['city']}/reports?kind={kind}&period={year}",
                           headers={"accept": "application/json"})
    assert twin.status_code == 200 and twin.json()["kind"] == kind
    assert twin.json()["rows"], kind
    keys = {c["key"] for c in twin.json()["columns"]}
    assert all(keys <= set(row) for row in twin.json()["rows"])


def test_the_cli_writes_xlsx_and_a_pdf_that_reads_in_chinese(hall: Hall, tmp_path: Any
                                                            ) -> None:
    import subprocess
    import zipfile

    from click.testing import CliRunner
    from openpyxl import load_workbook
    from yj_hall import LEDGER

    from web.cli import cli

    stock(hall)
    _, month = month_of_records(hall)
    env = {"YUANJIAO_DATA_DIR": str(hall.settings.data_dir),
           "YUANJIAO_DB_URL": hall.settings.db_url, "YUANJIAO_STATION": LEDGER}
    sheet, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    for out, fmt in ((sheet, "xlsx"), (pdf, "pdf")):
        done = CliRunner().invoke(cli, ["report", "assessment" if fmt == "pdf" else "overview",
                                        "--node", "城关镇", "--period", month[:4],
                                        "--format", fmt, "--out", str(out)], env=env)
        assert done.exit_code == 0, done.output
    book = load_workbook(sheet)
    assert set(book.sheetnames) >= {"数据", "报表"}
    data = list(book["数据"].iter_rows(values_only=True))
    assert data[0][:2] == ("town", "organization") and len(data) == 3
    assert any(n.startswith("xl/charts/chart") for n in zipfile.ZipFile(sheet).namelist())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "年度考核" in text and "东村党支部" in text and "经办人" in text
    assert "不得推荐为先进" in text
    missing = CliRunner().invoke(cli, ["report", "overview", "--period", "2027",
                                       "--format", "pdf"], env=env)
    assert missing.exit_code != 0 and "--out" in missing.output
