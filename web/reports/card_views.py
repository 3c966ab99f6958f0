"""Submitting a month's report card (issue 18.2): the station's form on the card page
and its JSON twin. The figures are computed again when the card is submitted and kept in
its ledger row as they stood then."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from catalog.attendance.policy import Policy
from catalog.evidence.ledger import Entry
from catalog.org.models import OrgNode
from catalog.reports.builders import Context
from catalog.reports.cards import TEXT_FIELDS, ReportCards, card_figures
from catalog.reports.facts import load
from catalog.reports.period import Period
from web.auth import principal_of
from web.evidence.ledger_rows import record_in
from web.views import json_object

_made = threading.Lock()


def cards_of(request: Request) -> ReportCards:
    state = request.app.state
    found = getattr(state, "report_cards", None)
    if found is None:
        with _made:
            found = getattr(state, "report_cards", None)
            if found is None:
                def write(kind: str, data: dict[str, Any]) -> Any:
                    return record_in(state, kind, data)

                settings = state.settings
                found = ReportCards(state.db, ZoneInfo(settings.timezone),
                                    settings.report_card_due_days, write)
                state.report_cards = found
    return found


def _submit(request: Request, text: dict[str, Any], nonce: str) -> tuple[Any, bool, str]:
    settings = request.app.state.settings
    now = datetime.now(UTC)
    ctx = Context(Policy.of(settings), settings.activity_min_minutes, now,
                  card_due_days=settings.report_card_due_days)

    def figures_of(session: Session, home: OrgNode, period: Period) -> dict[str, Any]:
        return card_figures(session, load(session, home, period, ctx.policy, now), ctx)

    row, written = cards_of(request).submit(
        request.path_params["node_id"], request.path_params["month"], text,
        principal_of(request).label, nonce, figures_of, now)
    return row, written, str(request.path_params["month"])


async def card_submit_form(request: Request) -> Response:
    form = await request.form()
    text = {name: str(form.get(name, "")) for name in TEXT_FIELDS}
    _, _, month = await run_in_threadpool(_submit, request, text,
                                          str(form.get("nonce") or "")[:65])
    page = request.app.url_path_for("reports_page", node_id=request.path_params["node_id"])
    return RedirectResponse(f"{page}?kind=card&period={quote(month)}#card", status_code=303)


async def api_card_submit(request: Request) -> Response:
    body = await json_object(request)
    text = {name: body.get(name, "") for name in TEXT_FIELDS}
    row, written, month = await run_in_threadpool(_submit, request, text,
                                                  str(body.get("nonce") or "")[:65])
    late = bool(row.data["late"]) if isinstance(row, Entry) else row.late
    return JSONResponse({"seq": row.seq, "month": month, "late": late, "written": written},
                        status_code=201 if written else 200)
