"""`yuanjiao report KIND --node PATH --period P`: a report on the terminal (a table) or
as JSON, CSV, XLSX or PDF (issue 18.7)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from catalog.errors import BadRequest, YuanjiaoError
from catalog.messages import message
from catalog.reports.table import Report
from catalog.terminal import printable
from web.cli_accounts import find_node
from web.cli_base import Context, pass_context
from web.reports.service import KINDS, cell_text, make_report, summary_lines

FORMATS = ("table", "json", "csv", "xlsx", "pdf")


@click.command("report", help="报表：参学、活动开展、五个有、排名等，按组织、乡镇或全市和时段。\n\n"
                              "A report for a node and period (2027, 2027-Q1, 2027-03, "
                              "2027-03-01..2027-04-15).")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--node", "node_spec", default="",
              help="层级：编号或“乡镇/组织”路径，默认为全市 / node id or path, default the city")
@click.option("--period", required=True, help="时段 / period: 2027 | 2027-Q1 | 2027-03")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              help="输出格式 / output format")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件（xlsx、pdf 必须）/ write to this file (needed for xlsx, pdf)")
@pass_context
def report_command(ctx: Context, kind: str, node_spec: str, period: str, fmt: str,
                   out: Path | None) -> None:
    if fmt in ("xlsx", "pdf") and out is None:
        ctx.fail(BadRequest("report_needs_out", format=fmt))
    db = ctx.open_db()
    try:
        with db.session() as session:
            node = find_node(session, node_spec)
            found = make_report(session, ctx.settings, kind, node, period)
        facts = _facts(ctx, db) if fmt in ("xlsx", "pdf") else {}
    except YuanjiaoError as error:
        ctx.fail(error)
    finally:
        db.close()
    data = _render(found, fmt, ctx, facts)
    if out is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        elif data is not None:
            click.echo(data)
        return
    out.write_bytes(data if isinstance(data, bytes) else (data or "").encode())
    ctx.say("report_written", path=str(out), rows=len(found.rows))


def _facts(ctx: Context, db: object) -> dict[str, str]:
    from web.reports.printing import ledger_facts

    return ledger_facts(db, ctx.settings, "")


def _render(found: Report, fmt: str, ctx: Context, facts: dict[str, str]
            ) -> bytes | str | None:
    from web.reports import exports

    if fmt == "json":
        return json.dumps(found.as_json(), ensure_ascii=False, indent=1)
    if fmt == "csv":
        return exports.report_csv(found, ctx.lang)
    if fmt == "xlsx":
        return exports.report_xlsx(found, ctx.lang, facts)
    if fmt == "pdf":
        from web.reports.printing import report_pdf_bytes

        return report_pdf_bytes(found, ctx.lang, facts)
    _table(found, ctx.lang)
    return None


def _table(found: Report, lang: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    console.print(Text(printable(f"{found.node.get('label', '')} · "
                                 f"{message(found.title, lang)} · {found.period}")))
    labels = [c.label_in(lang) for c in found.columns]
    cells = [[printable(cell_text(c, row.get(c.key), lang)) for c in found.columns]
             for row in found.rows]
    widths = [max([console.measure(Text(label)).maximum,
                   *(console.measure(Text(line[i])).maximum for line in cells)])
              for i, label in enumerate(labels)]
    if sum(widths) + 2 * len(widths) > console.width:
        # Too wide for this terminal: one block per record, a line per column.
        for line in cells:
            for label, value in zip(labels, line, strict=True):
                console.print(Text(f"  {label}: {value}"))
            console.print()
    else:
        table = Table(box=None, pad_edge=False)
        for column, label in zip(found.columns, labels, strict=True):
            table.add_column(label, justify="left" if column.kind in ("text", "date")
                             else "right")
        for line in cells:
            table.add_row(*[Text(value) for value in line])
        console.print(table)
    if found.summary:
        console.print(Text(printable(" · ".join(f"{name} {value}" for name, value
                                                in summary_lines(found, lang)))))
