"""A report (catalog/reports/table.py) as files and charts (issue 18.6).

- CSV and the XLSX's 数据 sheet are for whoever computes further: the header is the
  columns' stable keys, one row per record, numbers as numbers, a rate a share 0..1.
- The XLSX's 报表 sheet and the A4 page (report_print.html, its PDF) are for whoever
  files or signs it: translated headers, rates as percentages, the ledger's latest
  checkpoint code and the 经办人 / 审核人 / 日期 lines. The 报表 sheet has native
  spreadsheet charts over the 数据 sheet's cells, so they follow a corrected number.
- ``chart_data`` is the JSON web/static/report_charts.js draws with ECharts.

``facts`` is what the page of the books gets (web/records/book_views.py): ``ledger`` (the
station's ledger), ``code`` (its latest checkpoint's telephone code), ``signed_at`` and
``verify_url`` (the page that checks a code).
"""

from __future__ import annotations

import io
import mimetypes
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from catalog.library.themes import theme_label
from catalog.messages import MESSAGES, message
from catalog.reports.table import Chart, Column, Report
from catalog.tables import to_csv
from web.i18n import html_lang, install_jinja_i18n, translator
from web.reports.service import cell_text, summary_lines

WEB = Path(__file__).resolve().parents[1]
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
DATA_SHEET, PRINT_SHEET = "数据", "报表"
# A chart covers the first CHART_ROWS rows only: beyond a few hundred categories the bars
# are thinner than a pixel and the labels overlap, Excel and WPS redraw slowly on a
# station PC, and ECharts' SVG grows by thousands of nodes. The table has every row.
CHART_ROWS = 200
CHART_HEIGHT_ROWS = 20  # on the 报表 sheet: a 9 cm chart and a gap, in rows of 0.5 cm
# The 报表 sheet: title, ledger line, verify line, a blank row, then the header row, which
# repeats at the top of every printed page.
HEAD_ROW = 5
NUMERIC_KINDS = ("int", "rate", "minutes")


def label(key: str, lang: str) -> str:
    """A report's label (a catalog message key) in ``lang``; the key itself when no
    catalog has it, so a report whose texts are not written yet still exports. A message
    that needs fields still raises: that is a report's bug, not a missing text."""
    if key not in MESSAGES:
        return key
    return message(key, lang)


def column_label(column: Column, lang: str) -> str:
    """A column's header: its own texts (a rubric's items) or its label's message."""
    if column.texts is not None:
        return column.label_in(lang)
    return label(column.label, lang)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value or " " in value \
                else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _plain(value: Any) -> Any:
    """A value as a machine reads it: numbers as they are, true/false, ISO dates."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


# CSV -------------------------------------------------------------------------------------

def report_csv(report: Report, lang: str) -> bytes:
    """UTF-8 CSV with a BOM, formula-safe (catalog.tables). ``lang`` changes nothing: the
    header is the stable keys and the values are plain, so a script reads every language's
    export alike; it is taken so that every exporter is called the same way."""
    keys = [column.key for column in report.columns]
    return to_csv([keys, *([_plain(row.get(key)) for key in keys] for row in report.rows)])


# XLSX ------------------------------------------------------------------------------------

def report_xlsx(report: Report, lang: str, facts: dict[str, Any]) -> bytes:
    """The 报表 sheet (for printing, with charts) and the 数据 sheet (for computing).
    Write-only sheets stream their rows to temporary files, so a large report does not
    hold a cell object per value."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    _add_printed_styles(workbook)
    printed = workbook.create_sheet(PRINT_SHEET)  # first: what a person opens and prints
    data = workbook.create_sheet(DATA_SHEET)
    _write_data(data, report)
    _write_printed(printed, report, lang, facts)
    # Below the table, its notes and the signature line; none when there is no row, as a
    # chart over no cells is one Excel refuses to open.
    for number, chart in enumerate(report.charts if report.rows else []):
        rows_below = HEAD_ROW + len(report.rows) + len(report.notes) + 5
        printed.add_chart(_native_chart(report, chart, lang, data),
                          f"A{rows_below + number * CHART_HEIGHT_ROWS}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text_cell(sheet: Any, text: str, style: str | None = None) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if style:
        cell.style = style
    return cell


def _write_data(sheet: Any, report: Report) -> None:
    from openpyxl.cell import WriteOnlyCell

    sheet.append([_text_cell(sheet, column.key) for column in report.columns])
    for row in report.rows:
        cells: list[Any] = []
        for column in report.columns:
            value = row.get(column.key)
            when = _as_date(value) if column.kind == "date" else None
            if value is None or isinstance(value, bool | int | float):
                cells.append(value)  # None: an empty cell, as a rate of nobody expected
            elif when is not None:
                cell = WriteOnlyCell(sheet, value=when)
                cell.number_format = "yyyy-mm-dd" if type(when) is date else "yyyy-mm-dd hh:mm"
                cells.append(cell)
            else:
                cells.append(_text_cell(sheet, str(_plain(value))))
        sheet.append(cells)


def _add_printed_styles(workbook: Any) -> None:
    """The 报表 sheet's cell styles, as named styles: a cell then takes its style by name,
    where setting font, border and alignment one by one hashes each of them again, per
    cell (five times slower for a report of 20,000 rows)."""
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side

    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    number = Alignment(horizontal="right")
    for style in (
        NamedStyle("report title", font=Font(bold=True, size=14)),
        NamedStyle("report head", font=Font(bold=True), border=box,
                   alignment=Alignment(horizontal="center", vertical="center",
                                       wrap_text=True)),
        NamedStyle("report text", border=box,
                   alignment=Alignment(vertical="top", wrap_text=True)),
        NamedStyle("report number", border=box, alignment=number),
        NamedStyle("report rate", border=box, alignment=number, number_format="0.0%"),
    ):
        workbook.add_named_style(style)


def _write_printed(sheet: Any, report: Report, lang: str, facts: dict[str, Any]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet

    t = translator(lang)
    # Before the first row: a write-only sheet writes its properties and columns first.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0  # 0: as many as needed
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)  # inches
    sheet.print_title_rows = f"{HEAD_ROW}:{HEAD_ROW}"
    for number, column in enumerate(report.columns, 1):
        width = 18 if column.kind == "text" else 12
        sheet.column_dimensions[get_column_letter(number)].width = width

    sheet.append([_text_cell(sheet, f"{report.node.get('name', '')} · "
                                    f"{label(report.title, lang)} · {report.period}",
                             "report title")])
    sheet.append([_text_cell(sheet, message(
        "book_ledger_line", lang, ledger=facts.get("ledger", ""),
        code=facts.get("code") or "—", at=facts.get("signed_at") or "—"))])
    sheet.append([_text_cell(sheet, t("book_verify_at", url=facts.get("verify_url", "")))])
    sheet.append([])
    sheet.append([_text_cell(sheet, column_label(column, lang), "report head")
                  for column in report.columns])
    for row in report.rows:
        cells = []
        for column in report.columns:
            value = row.get(column.key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                cell = WriteOnlyCell(sheet, value=value)
                cell.style = "report rate" if column.kind == "rate" else "report number"
                cells.append(cell)
            else:
                cells.append(_text_cell(sheet, cell_text(column, value, lang), "report text"))
        sheet.append(cells)
    sheet.append([])
    for note in report.notes:
        sheet.append([_text_cell(sheet, label(note, lang))])
    sheet.append([])
    blank = "__________"
    sheet.append([_text_cell(sheet, f"{t('report_print_prepared')}{blank}    "
                                    f"{t('report_print_reviewed')}{blank}    "
                                    f"{t('report_print_date')}{blank}")])


def _native_chart(report: Report, chart: Chart, lang: str, data: Any) -> Any:
    """An Excel chart over the 数据 sheet's cells: one category per row (the first
    CHART_ROWS), one series per value column; a pie takes the first series only."""
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference, Series
    from openpyxl.chart.data_source import AxDataSource, StrRef

    made = {"bar": BarChart, "line": LineChart, "pie": PieChart}[chart.kind]()
    position = {column.key: number for number, column in enumerate(report.columns, 1)}
    columns = {column.key: column for column in report.columns}
    last = min(len(report.rows), CHART_ROWS) + 1
    keys = chart.series[:1] if chart.kind == "pie" else chart.series
    for key in keys:
        values = Reference(data, min_col=position[key], max_col=position[key],
                           min_row=2, max_row=last)
        made.series.append(Series(values, title=column_label(columns[key], lang)))
    categories = Reference(data, min_col=position[chart.category],
                           max_col=position[chart.category], min_row=2, max_row=last)
    made.set_categories(categories)
    if columns[chart.category].kind not in NUMERIC_KINDS:
        # set_categories writes a numRef, which Excel shows as 1, 2, 3 for names, and for
        # dates makes a time axis that puts two sessions of one day on one point.
        for series in made.series:
            series.cat = AxDataSource(strRef=StrRef(f=str(categories)))
    made.title = label(chart.title, lang)
    made.width, made.height = 24, 9  # centimetres: the width of a landscape A4 page
    if chart.kind != "pie":
        # openpyxl 3.1 leaves <c:delete> out, which recent Excel reads as "axis hidden".
        made.x_axis.delete = made.y_axis.delete = False
        if all(columns[key].kind == "rate" for key in keys):
            made.y_axis.number_format = "0%"
            made.y_axis.scaling.min, made.y_axis.scaling.max = 0, 1
    return made


# The page for ECharts --------------------------------------------------------------------

def _chart_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return int(value)
    return value if isinstance(value, int | float) else None


def chart_data(report: Report, chart: Chart, lang: str) -> dict[str, Any]:
    """What a ``.report-chart`` element's ``data-chart`` says (web/static/report_charts.js):
    kind, title, categories, series (name, data) and whether the values are shares 0..1
    (``percent``, drawn as percentages). The first CHART_ROWS rows, as in the XLSX."""
    rows = report.rows[:CHART_ROWS]
    columns = {column.key: column for column in report.columns}
    keys = chart.series[:1] if chart.kind == "pie" else chart.series
    category = columns[chart.category]
    return {"kind": chart.kind, "title": label(chart.title, lang),
            "categories": [cell_text(category, row.get(chart.category), lang) for row in rows],
            "series": [{"name": column_label(columns[key], lang),
                        "data": [_chart_number(row.get(key)) for row in rows]}
                       for key in keys],
            "percent": bool(keys) and all(columns[key].kind == "rate" for key in keys)}


# The printed page and its PDF ------------------------------------------------------------

def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    install_jinja_i18n(env)
    return env


def print_html(report: Report, lang: str, facts: dict[str, Any], qr: str, verify_url: str,
               *, static: str = "/static") -> str:
    """The A4 page (web/templates/report_print.html), for a browser to print and for
    report_pdf. Rendered without a request, so the CLI can make it; ``static`` is where
    the page finds its style sheets and print.js (the app serves them at /static)."""
    template = _environment().get_template("report_print.html")
    return str(template.render(
        report=report, lang=lang, facts=facts, qr=qr, verify_url=verify_url, static=static,
        t=translator(lang), html_lang=html_lang,
        label=lambda key: label(key, lang),
        heading=lambda column: column_label(column, lang),
        cell=lambda column, row: cell_text(column, row.get(column.key), lang),
        summary=summary_lines(report, lang),
        theme_name=lambda theme: theme_label(theme, lang),
        rule_name=lambda rule: message(f"rule_{rule}", lang)))


def report_pdf(html: str, base_url: str) -> bytes:
    """The page as a PDF (WeasyPrint), its fonts embedded, so the Chinese reads the same
    on any PC and printer. Nothing is fetched over the network: /static/… comes from
    web/static, a data: URI (the QR code) from itself, anything else is left out. The
    server asking itself over HTTP in the middle of a request could wait on its own
    thread pool, and a URL the page should never name would be a way to make it fetch."""
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=base_url, url_fetcher=_static_fetcher()).write_pdf())


def _static_fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = unquote(urlsplit(url).path)
            if path.startswith("/static/"):
                found = (STATIC / path.removeprefix("/static/")).resolve()
                if found.is_relative_to(STATIC) and found.is_file():
                    kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, found.read_bytes(), {"Content-Type": kind})
            raise ValueError(f"a report's PDF fetches nothing but /static and data: ({url})")

    return StaticOnly(allowed_protocols=("data",), allow_redirects=False)
