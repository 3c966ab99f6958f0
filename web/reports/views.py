"""The reports' page and its JSON twin (issue 18.6): one node, one kind, one period;
``?format=`` csv, xlsx or pdf for the exports, json for the twin."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import org
from catalog.library.themes import theme_label
from catalog.messages import message
from catalog.reports.table import Report
from web.i18n import pick_lang
from web.negotiation import wants_json
from web.params import parse_choice
from web.reports.printing import ledger_facts, report_html, report_pdf_bytes
from web.reports.service import KINDS, cell_text, make_report, summary_lines
from web.views import render

FORMATS = ("html", "json", "csv", "xlsx", "pdf")
MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _report(request: Request, kind: str) -> tuple[Any, Report, str]:
    settings = request.app.state.settings
    default = str(datetime.now(ZoneInfo(settings.timezone)).year)
    period = request.query_params.get("period", default)
    with request.app.state.db.session() as session:
        node = org.get_node(session, request.path_params["node_id"])
        found = make_report(session, settings, kind, node, period)
    return node, found, period


def _file(request: Request, found: Report, fmt: str) -> Response:
    from web.reports import exports

    lang = pick_lang(request)
    facts = ledger_facts(request.app.state.db, request.app.state.settings,
                         str(request.base_url))
    if fmt == "csv":
        body = exports.report_csv(found, lang)
    elif fmt == "xlsx":
        body = exports.report_xlsx(found, lang, facts)
    else:
        body = report_pdf_bytes(found, lang, facts)
    # ASCII only: the node's name stays inside the file, not in a header.
    name = f"report-{found.kind}-{found.node['id']}-{found.period}.{fmt}"
    return Response(body, media_type=MEDIA[fmt],
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def reports_page(request: Request) -> Response:
    kind = parse_choice(request.query_params.get("kind", "overview"), "kind", KINDS)
    fmt = parse_choice(request.query_params.get("format", "html"), "format", (*FORMATS,
                                                                                "print"))
    node, found, period = _report(request, kind)
    if fmt == "json" or (fmt == "html" and wants_json(request)):
        return JSONResponse(found.as_json())
    if fmt in MEDIA:
        return _file(request, found, fmt)
    lang = pick_lang(request)
    if fmt == "print":
        facts = ledger_facts(request.app.state.db, request.app.state.settings,
                             str(request.base_url))
        return Response(report_html(found, lang, facts), media_type="text/html")
    import secrets

    from web.access import EDITORS
    from web.auth import principal_of
    from web.reports.exports import chart_data

    return render(request, "reports.html", node=node, report=found, kinds=KINDS,
                  can_submit=principal_of(request).role in EDITORS,
                  summary=summary_lines(found, lang),
                  nonce=secrets.token_hex(8), theme_name=lambda t: theme_label(t, lang),
                  period=period, msg=lambda key, **f: message(key, lang, **f),
                  cell=lambda column, value: cell_text(column, value, lang),
                  charts=[chart_data(found, chart, lang) for chart in found.charts])


def api_report(request: Request) -> Response:
    kind = parse_choice(request.path_params["kind"], "kind", KINDS)
    _, found, _ = _report(request, kind)
    return JSONResponse(found.as_json())
