"""The reports as files (issue 18.6, web/reports/exports.py): CSV with its BOM and no
formula, XLSX with its 数据 and 报表 sheets and native charts over 数据's cells, the A4
page as a PDF with its Chinese font embedded, and the charts' JSON for ECharts."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from catalog.reports.table import Chart, Column, Report
from web.reports import exports

FACTS = {"ledger": "东村远教站", "code": "3141 5926", "signed_at": "2027-03-31 18:00",
         "verify_url": "http://127.0.0.1:8000/ledger"}
COLUMNS = [Column("name", "test_col_name"), Column("sessions", "test_col_sessions", "int"),
           Column("rate", "test_col_rate", "rate"),
           Column("minutes", "test_col_minutes", "minutes"),
           Column("makeup", "test_col_makeup", "bool"), Column("last", "test_col_last", "date")]
ROWS = [
    {"name": "张秀英", "sessions": 4, "rate": 0.875, "minutes": 120, "makeup": True,
     "last": "2027-03-10"},
    {"name": "=1+1", "sessions": 3, "rate": None, "minutes": 90.5, "makeup": False,
     "last": None},
    {"name": "李建国", "sessions": 2, "rate": 0.5, "minutes": 60, "makeup": False,
     "last": "2027-03-02"},
]
CHART_NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}


def make_report(rows: list[dict[str, object]] | None = None) -> Report:
    return Report(kind="members", title="test_report_title",
                  node={"id": 7, "name": "东村党支部", "kind": "organization",
                        "label": "城关镇 / 东村党支部"},
                  period="2027-03", columns=COLUMNS, rows=list(ROWS if rows is None else rows),
                  charts=[Chart("bar", "test_chart_rate", "name", ("rate",)),
                          Chart("line", "test_chart_minutes", "name", ("sessions", "minutes"))],
                  notes=["test_note_rate"])


def test_a_label_no_catalog_has_is_its_key() -> None:
    assert exports.label("yes_word", "zh") == "是"
    assert exports.label("test_col_name", "en") == "test_col_name"
    with pytest.raises(KeyError):  # a message that needs its fields is the report's bug
        exports.label("book_ledger_line", "zh")


def test_a_column_with_its_own_texts_is_headed_by_them() -> None:
    rubric = Column("item_3", "rubric_item", "int", texts=("设施齐全", "Equipment complete"))
    report = make_report()
    report.columns = [*COLUMNS, rubric]
    assert exports.column_label(rubric, "en") == "Equipment complete"
    assert ">设施齐全</th>" in exports.print_html(report, "zh", FACTS, "", "")
    sheet = _openpyxl_book(exports.report_xlsx(report, "en", FACTS))["报表"]
    assert sheet.cell(exports.HEAD_ROW, len(COLUMNS) + 1).value == "Equipment complete"


def test_csv_has_a_bom_the_stable_keys_and_no_formula() -> None:
    body = exports.report_csv(make_report(), "zh")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["name", "sessions", "rate", "minutes", "makeup", "last"]
    assert rows[1] == ["张秀英", "4", "0.875", "120", "true", "2027-03-10"]
    assert rows[2] == ["'=1+1", "3", "", "90.5", "false", ""]
    assert len(rows) == 1 + len(ROWS)


def _openpyxl_book(body: bytes):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(body))


def test_xlsx_data_sheet_holds_the_rows_typed() -> None:
    book = _openpyxl_book(exports.report_xlsx(make_report(), "zh", FACTS))
    assert book.sheetnames == ["报表", "数据"]
    data = book["数据"]
    values = [list(row) for row in data.iter_rows(values_only=True)]
    assert values[0] == [c.key for c in COLUMNS]

    def back(value: object) -> object:  # a date cell reads back as a datetime
        return value.date().isoformat() if isinstance(value, datetime) else value

    assert [[back(v) for v in row] for row in values[1:]] == [
        [row[c.key] for c in COLUMNS] for row in ROWS]
    assert data["A3"].value == "=1+1" and data["A3"].data_type == "s"  # text, no formula
    assert data["F2"].is_date and data["C2"].data_type == "n"


def test_xlsx_printed_sheet_is_laid_out_for_a4() -> None:
    book = _openpyxl_book(exports.report_xlsx(make_report(), "zh", FACTS))
    sheet = book["报表"]
    assert sheet["A1"].value == "东村党支部 · test_report_title · 2027-03"
    assert "3141 5926" in sheet["A2"].value and FACTS["verify_url"] in sheet["A3"].value
    head = exports.HEAD_ROW
    assert [c.value for c in sheet[head]] == [c.label for c in COLUMNS]
    first = sheet[head + 1]
    assert [c.value for c in first[:3]] == ["张秀英", 4, 0.875]
    assert first[2].number_format == "0.0%" and first[4].value == "是"
    assert sheet.cell(head + 2, 3).value == "—"  # no rate: said, not left blank to fill in
    assert sheet.cell(head + 2, 1).data_type == "s"
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "test_note_rate" in texts
    assert any(t.startswith("经办人：") and "审核人：" in t and "日期：" in t for t in texts)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${head}:${head}"  # repeated on every printed page
    english = _openpyxl_book(exports.report_xlsx(make_report(), "en", FACTS))["报表"]
    assert any(isinstance(c.value, str) and c.value.startswith("Prepared by:")
               and "Reviewed by:" in c.value and "Date:" in c.value
               for row in english.iter_rows() for c in row)


def _charts_of_printed_sheet(body: bytes) -> list[ElementTree.Element]:
    """The charts drawn on the 报表 sheet, read from the file's parts (load_workbook
    drops charts): workbook -> sheet -> drawing -> charts."""
    def rels(part: str) -> dict[str, str]:
        folder, name = part.rsplit("/", 1)
        tree = ElementTree.fromstring(archive.read(f"{folder}/_rels/{name}.rels"))
        return {r.get("Id", ""): _resolve(folder, r.get("Target", "")) for r in tree}

    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rid = re.search(r'<sheet name="报表"[^>]*r:id="(\w+)"', workbook)
        assert rid is not None
        sheet = rels("xl/workbook.xml")[rid[1]]
        drawing = next(iter(rels(sheet).values()))
        return [ElementTree.fromstring(archive.read(chart))
                for chart in sorted(rels(drawing).values())]


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as a name in the zip: absolute from its root (openpyxl's
    workbook) or relative to the part's folder (its sheets and drawings)."""
    if target.startswith("/"):
        return target[1:]
    return os.path.normpath(f"{folder}/{target}")


def _refs(chart: ElementTree.Element, tag: str) -> list[str]:
    return [f.text or "" for f in chart.findall(f".//c:ser/c:{tag}//c:f", CHART_NS)]


def test_xlsx_charts_are_native_and_read_the_data_sheet() -> None:
    report = make_report()
    bar, line = _charts_of_printed_sheet(exports.report_xlsx(report, "zh", FACTS))
    assert len(report.charts) == 2
    assert bar.find(".//c:barChart", CHART_NS) is not None
    assert _refs(bar, "val") == ["'数据'!$C$2:$C$4"]  # rate
    assert _refs(bar, "cat") == ["'数据'!$A$2:$A$4"]  # names
    assert bar.find(".//c:cat/c:strRef", CHART_NS) is not None  # names, not 1, 2, 3
    assert bar.find(".//c:valAx/c:numFmt", CHART_NS).get("formatCode") == "0%"  # type: ignore[union-attr]
    assert line.find(".//c:lineChart", CHART_NS) is not None
    assert _refs(line, "val") == ["'数据'!$B$2:$B$4", "'数据'!$D$2:$D$4"]
    assert [v.text for v in line.findall(".//c:ser/c:tx/c:v", CHART_NS)] == [
        "test_col_sessions", "test_col_minutes"]


def test_a_chart_covers_the_first_rows_of_a_large_report() -> None:
    many = [{"name": f"党员{n}", "sessions": 4, "rate": n / 300, "minutes": n,
             "makeup": False, "last": None} for n in range(exports.CHART_ROWS + 50)]
    report = make_report(many)
    bar, _ = _charts_of_printed_sheet(exports.report_xlsx(report, "zh", FACTS))
    assert _refs(bar, "val") == [f"'数据'!$C$2:$C${exports.CHART_ROWS + 1}"]
    shown = exports.chart_data(report, report.charts[0], "zh")
    assert len(shown["categories"]) == len(shown["series"][0]["data"]) == exports.CHART_ROWS
    data = _openpyxl_book(exports.report_xlsx(report, "zh", FACTS))["数据"]
    assert data.max_row == len(many) + 1  # the table has every row


def test_chart_data_is_what_report_charts_js_reads() -> None:
    report = make_report()
    assert exports.chart_data(report, report.charts[0], "zh") == {
        "kind": "bar", "title": "test_chart_rate", "categories": ["张秀英", "=1+1", "李建国"],
        "series": [{"name": "test_col_rate", "data": [0.875, None, 0.5]}], "percent": True}
    assert exports.chart_data(report, report.charts[1], "en") == {
        "kind": "line", "title": "test_chart_minutes",
        "categories": ["张秀英", "=1+1", "李建国"],
        "series": [{"name": "test_col_sessions", "data": [4, 3, 2]},
                   {"name": "test_col_minutes", "data": [120, 90.5, 60]}],
        "percent": False}
    pie = exports.chart_data(report, Chart("pie", "t", "last", ("minutes", "sessions")), "zh")
    assert pie["categories"] == ["2027-03-10", "—", "2027-03-02"]
    assert [s["name"] for s in pie["series"]] == ["test_col_minutes"]  # a pie: one series


def test_a_report_with_no_rows_exports_its_header_and_no_chart() -> None:
    empty = make_report([])
    assert exports.report_csv(empty, "zh").decode("utf-8-sig").splitlines() == [
        "name,sessions,rate,minutes,makeup,last"]
    body = exports.report_xlsx(empty, "zh", FACTS)
    assert _openpyxl_book(body)["数据"].max_row == 1
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert not [n for n in archive.namelist() if n.startswith("xl/charts/")]
    assert exports.chart_data(empty, empty.charts[0], "zh")["categories"] == []
    assert "本时段没有记录。" in exports.print_html(empty, "zh", FACTS, "", "")


def test_print_html_translates_escapes_and_says_who_signs() -> None:
    report = make_report([{**ROWS[0], "name": "<b>王</b>"}])
    html = exports.print_html(report, "zh", FACTS, "data:image/svg+xml,x", FACTS["verify_url"])
    assert "&lt;b&gt;王&lt;/b&gt;" in html and "<b>王" not in html
    assert "87.5%" in html and "经办人：" in html and "3141 5926" in html
    assert 'href="/static/report_print.css"' in html
    english = exports.print_html(report, "en", FACTS, "", "", static="/s")
    assert "Prepared by:" in english and 'src="/s/print.js"' in english


def test_the_pdf_fetches_only_static_files_and_data() -> None:
    fetcher = exports._static_fetcher()
    css = fetcher.fetch("http://station.invalid/static/report_print.css")
    assert b".report-sign" in css.read()
    css.close()
    for url in ("http://example.invalid/x.png", "file:///etc/passwd",
                "http://station.invalid/static/../reports/exports.py"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"needs {tool}: apt-get install poppler-utils (./scripts/test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_the_pdf_says_the_chinese_in_an_embedded_font(tmp_path: Path) -> None:
    pdftotext, pdffonts = _poppler("pdftotext"), _poppler("pdffonts")
    import segno

    qr = segno.make(FACTS["verify_url"], error="m").svg_data_uri(scale=3, border=1)
    html = exports.print_html(make_report(), "zh", FACTS, qr, FACTS["verify_url"])
    body = exports.report_pdf(html, "http://127.0.0.1:8000/")
    assert body.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(body)
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for said in ("东村党支部", "张秀英", "87.5%", "经办人：", "审核人：", "日期：",
                 "3141 5926", "本表由远教服务器按台账记录生成"):
        assert said in text, said
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts, "no font in the PDF"
    # name, type…, encoding, emb, sub, uni, object, generation: every font embedded
    assert all(line.split()[-5] == "yes" for line in fonts), fonts
