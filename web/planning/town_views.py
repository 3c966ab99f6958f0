"""A town's planning: its activity-day rule, the plans of a year, and must-watch items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from catalog import org, planning
from catalog.errors import BadRequest, NotFound
from catalog.library.models import Item
from catalog.library.themes import LEARNING_THEMES
from catalog.org.models import OrgNode
from catalog.planning.models import Plan
from catalog.schema import utcnow
from web.auth import principal_of
from web.params import MAX_ID, parse_id, parse_int
from web.planning.forms import form_problem, parse_date, parse_minute, zone_of
from web.planning.planning_views import sessions_page
from web.views import json_object, render


def _rule_text(form: Any) -> str:
    """The rule as the API writes it, from the page's controls: a day of the month, a
    last digit, or the n-th weekday; the text itself when no control was chosen."""
    kind = str(form.get("rule_kind", ""))
    if kind == "day":
        return f"day:{parse_int(str(form.get('rule_day', '')), 'rule_day', 1, 31)}"
    if kind == "ending":
        return f"ending:{parse_int(str(form.get('rule_ending', '')), 'rule_ending', 0, 9)}"
    if kind == "weekday":
        nth = parse_int(str(form.get("rule_nth", "")), "rule_nth", 1, 5)
        return f"weekday:{nth}:{parse_int(str(form.get('rule_weekday', '')), 'rule_weekday', 0, 6)}"
    return str(form.get("rule", ""))


async def org_rules(request: Request) -> Response:
    form = await request.form()
    zone = zone_of(request)
    node_id = request.path_params["node_id"]
    try:
        year = parse_int(str(form.get("year", "")), "year", 2000, 2100)
        minutes = parse_int(str(form.get("minutes", "") or "240"), "minutes", 1, 24 * 60)
        start = parse_minute(str(form.get("start", "08:30")), "start")
        with request.app.state.db.transaction() as session:
            town = org.get_node(session, node_id)
            rule = planning.add_rule(session, town, year, _rule_text(form), start, minutes)
            planning.apply_rule(session, rule, zone)
    except BadRequest as error:
        return await run_in_threadpool(sessions_page, request,
                                       form_problem(request, f"rule-{node_id}", error, form))
    return RedirectResponse(f"{request.app.url_path_for('sessions')}?month={year}-01",
                            status_code=303)


MONTHS = {str(n) for n in range(1, 13)}
PERIODS = ["year"] + [f"q{n}" for n in range(1, 5)] + [f"m{n:02d}" for n in range(1, 13)]


def _year(request: Request) -> int:
    return parse_int(request.query_params.get("year", ""), "year", 2000, 2100)


def _save_plans(session: Session, node_id: int, year: int, body: dict[str, Any]) -> None:
    themes = {t.value for t in LEARNING_THEMES}
    if not set(body) <= set(PERIODS) or not all(isinstance(v, dict) for v in body.values()):
        raise BadRequest("bad_json")
    for period, value in body.items():
        raw_focus = value.get("focus") or {}
        focus = {str(k): str(v) for k, v in raw_focus.items()
                 if str(v) in themes and str(k) in MONTHS}
        plan = session.scalars(select(Plan).where(
            Plan.node_id == node_id, Plan.year == year, Plan.period == period)).first()
        if plan is None:
            plan = Plan(node_id=node_id, year=year, period=period)
            session.add(plan)
        plan.focus, plan.notes = focus, str(value.get("notes", ""))[:5000]
        plan.updated_at = utcnow()


def _plans(session: Session, node_id: int, year: int) -> dict[str, dict[str, Any]]:
    return {p.period: {"focus": p.focus, "notes": p.notes} for p in session.scalars(
        select(Plan).where(Plan.node_id == node_id, Plan.year == year))}


async def api_plans(request: Request) -> Response:
    """A node's plans for a year: {"year": {...}, "q1": {...}, "m01": {...}}, each with a
    theme focus per month (the yearly plan) and notes."""
    year = _year(request)
    node_id = request.path_params["node_id"]
    if request.method == "PUT":
        body = await json_object(request)
        with request.app.state.db.transaction() as session:
            _save_plans(session, node_id, year, body)
    with request.app.state.db.session() as session:
        return JSONResponse({"year": year, "plans": _plans(session, node_id, year)})


async def plan_page(request: Request) -> Response:
    """The yearly plan (a theme focus per month), quarterly arrangements and monthly
    assignments of a town or organization, on one page."""
    principal = principal_of(request)
    year = _year(request) if request.query_params.get("year") else datetime.now(
        zone_of(request)).year
    node_id = request.path_params["node_id"]
    if request.method == "POST":
        form = await request.form()
        body: dict[str, Any] = {"year": {"notes": str(form.get("notes_year", "")),
                                         "focus": {str(m): str(form.get(f"focus_{m}", ""))
                                                   for m in range(1, 13)}}}
        for period in PERIODS[1:]:
            body[period] = {"notes": str(form.get(f"notes_{period}", ""))}
        with request.app.state.db.transaction() as session:
            _save_plans(session, node_id, year, body)
        return RedirectResponse(
            f"{request.app.url_path_for('plan_page', node_id=node_id)}?year={year}",
            status_code=303)
    with request.app.state.db.session() as session:
        node = org.get_node(session, node_id)
        plans = _plans(session, node_id, year)
    return render(request, "plan.html", node=node, year=year, plans=plans,
                  themes=LEARNING_THEMES, can_edit=principal.edits(node))


# ---- must-watch


def _chosen_item(session: Session, form: Any) -> int:
    """The item picked from the search (``item_id``), else the one item whose title is
    exactly what was typed (a browser without scripts)."""
    raw = str(form.get("item_id", "")).strip()
    if raw:
        return parse_int(raw, "item_id", 1, MAX_ID)
    query = " ".join(str(form.get("item_query", "")).split())
    if not query:
        raise BadRequest("must_watch_item_needed")
    found = session.scalars(select(Item.id).where(Item.title == query,
                                                  Item.missing_since.is_(None))).all()
    if len(found) != 1:
        raise BadRequest("must_watch_item_unclear", query=query[:40])
    return found[0]


async def must_watch_create(request: Request) -> Response:
    principal = principal_of(request)
    form = await request.form()
    issuer = principal.node
    assert issuer is not None
    today = datetime.now(zone_of(request)).date()
    try:
        with request.app.state.db.transaction() as session:
            item_id = _chosen_item(session, form)
            nodes = []
            for raw in form.getlist("node_ids"):
                node_id = parse_id(raw)
                node = session.get(OrgNode, node_id) if node_id else None
                if node is None or not principal.sees(node):
                    raise NotFound("node_not_found", node_id=str(raw))
                nodes.append(node)
            planning.mark_must_watch(
                session, item_id, session.get_one(OrgNode, issuer.id),
                parse_date(str(form.get("issued_on") or today.isoformat()), "issued_on"),
                parse_date(str(form.get("deadline", "")), "deadline"), nodes,
                str(form.get("note", "")))
    except (BadRequest, NotFound) as error:
        return await run_in_threadpool(sessions_page, request,
                                       form_problem(request, "must-watch", error, form))
    # The search filter "must watch" reads the index: bring this item's document up to date.
    await run_in_threadpool(request.app.state.search.update, request.app.state.db,
                            [item_id])
    back = str(form.get("back", "")) or request.app.url_path_for("sessions")
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//")
                            else "/", status_code=303)


def api_must_watch(request: Request) -> Response:
    principal = principal_of(request)
    zone = zone_of(request)
    today = datetime.now(zone).date()
    node_text = request.query_params.get("node", "")
    with request.app.state.db.session() as session:
        node_id = parse_id(node_text)
        node = session.get(OrgNode, node_id) if node_id else None
        if node is None or not principal.sees(node) or node.kind != org.Kind.ORGANIZATION:
            raise NotFound("node_not_found", node_id=node_text or "—")
        pending = planning.pending_must_watch(session, node, today, zone)
        return JSONResponse({"organization": node.id, "pending": [
            {"item_id": item.id, "title": item.title, "deadline": must.deadline.isoformat(),
             "issued_on": must.issued_on.isoformat(), "note": must.note}
            for must, item in pending]})
