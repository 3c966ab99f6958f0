"""Study sessions: the list, creating, moving, publishing and cancelling them, the
playlist builder's JSON and auto-compose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from catalog import org, planning
from catalog.errors import BadRequest, NotFound
from catalog.library.models import Item
from catalog.library.themes import LEARNING_THEMES, theme_label
from catalog.org.models import OrgNode
from catalog.planning import compose, rules
from catalog.planning.models import Plan, StudySession
from catalog.schema import utcnow
from web.auth import principal_of
from web.evidence.ledger_rows import record
from web.i18n import pick_lang
from web.params import MAX_ID, json_int, json_number, parse_id
from web.planning.forms import FormProblem, form_problem, form_span, parse_date, zone_of
from web.views import json_object, render

# ---- JSON of a session


def session_json(session: Session, study: StudySession, request: Request) -> dict[str, Any]:
    lang = pick_lang(request)
    zone = zone_of(request)
    settings = request.app.state.settings
    home = org.get_node(session, study.org_id)
    station = session.get(OrgNode, study.station_id) if study.station_id else None
    entries = planning.playlist(session, study)
    facts = planning.facts(session, study, zone, settings.activity_min_minutes)
    theme_minutes: dict[str, float] = {}
    for _, item in entries:
        theme_minutes[item.theme] = theme_minutes.get(item.theme, 0) + (item.duration or 0) / 60
    listed = {item.id for _, item in entries}
    start, end = study.starts_at.astimezone(zone), study.ends_at.astimezone(zone)
    playback = rules.playback_seconds(facts.entries) / 60
    return {
        "id": study.id, "title": study.title, "kind": study.kind,
        "kind_label": planning.kind_label(study.kind, lang), "group": study.group_name,
        "makes_up": list(study.makes_up or []),
        "organization": {"id": home.id, "name": home.name},
        "station": ({"id": station.id, "name": station.name, "code": station.code}
                    if station else None),
        "starts_at": start.isoformat(), "ends_at": end.isoformat(),
        "date": start.date().isoformat(), "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"), "moved": study.moved,
        "span_minutes": round((study.ends_at - study.starts_at).total_seconds() / 60),
        "discussion_minutes": study.discussion_minutes,
        "topics": [{"code": t, "label": planning.topic_label(t, lang)} for t in study.topics],
        "notice": study.notice,
        "notice_published_at": (study.notice_published_at.astimezone(zone).isoformat()
                                if study.notice_published_at else None),
        "items": [{"id": item.id, "title": item.title, "theme": item.theme,
                   "theme_label": theme_label(item.theme, lang), "duration": item.duration,
                   "kind": item.kind, "browser_playable": item.browser_playable,
                   "note": entry.note} for entry, item in entries],
        "playback_minutes": round(playback, 1),
        "total_minutes": round(playback + study.discussion_minutes, 1),
        "min_minutes": settings.activity_min_minutes,
        "theme_minutes": {t.value: round(theme_minutes.get(t.value, 0), 1)
                          for t in LEARNING_THEMES},
        "due": [{"item_id": d.item_id, "title": d.title, "deadline": d.deadline.isoformat(),
                 "scheduled_elsewhere": d.scheduled_elsewhere, "listed": d.item_id in listed}
                for d in facts.due],
        "checks": [f.json(lang) for f in rules.check(facts, utcnow())],
        "notice_state": planning.notice_state(study),
        "entered_afterwards": planning.entered_afterwards(study),
        "cancelled_at": (study.cancelled_at.astimezone(zone).isoformat()
                         if study.cancelled_at else None),
        "cancel_reason": study.cancel_reason,
    }


# ---- pages


@dataclass(frozen=True)
class SessionRow:
    """One line of the session list: what an organizer checks at a glance."""

    study: StudySession
    home: OrgNode
    minutes: float  # playlist and discussion
    target: int
    items: int
    errors: list[str]
    warnings: list[str]
    notice: str  # none | on_time | late
    afterwards: bool


def _rows(session: Session, found: list[tuple[StudySession, OrgNode]], zone: ZoneInfo,
          min_minutes: int, lang: str) -> list[SessionRow]:
    out = []
    now = utcnow()
    for study, home in found:
        facts = planning.facts(session, study, zone, min_minutes)
        checks = rules.check(facts, now) if study.cancelled_at is None else []
        out.append(SessionRow(
            study, home, round(rules.playback_seconds(facts.entries) / 60
                               + study.discussion_minutes),
            min_minutes, len(facts.entries),
            [f.message(lang) for f in checks if f.severity == rules.ERROR],
            [f.message(lang) for f in checks if f.severity != rules.ERROR],
            planning.notice_state(study), planning.entered_afterwards(study)))
    return out


def sessions_page(request: Request, problem: FormProblem | None = None) -> Response:
    principal = principal_of(request)
    scope = principal.node
    assert scope is not None
    zone = zone_of(request)
    raw = request.query_params.get("month", "")
    today = datetime.now(zone).date()
    try:
        first = date.fromisoformat(raw + "-01") if raw else today.replace(day=1)
    except ValueError:
        raise BadRequest("bad_date", name="month", value=raw) from None
    following = (first + timedelta(days=32)).replace(day=1)
    settings = request.app.state.settings
    with request.app.state.db.session() as session:
        found = planning.sessions_under(
            session, scope, datetime.combine(first, time(), zone),
            datetime.combine(following, time(), zone))
        rows = _rows(session, found, zone, settings.activity_min_minutes, pick_lang(request))
        organizations = list(org.subtree(session, scope, org.Kind.ORGANIZATION))
        pending = {o.id: planning.pending_must_watch(session, o, today, zone)
                   for o in organizations}
        towns = [n for n in org.subtree(session, scope, org.Kind.TOWN)]
    # Columns of marks the areas above planning add (the five haves): web/app.py lists them.
    columns = [column(request, [r.study for r in rows]) for column in
               getattr(request.app.state, "session_list_columns", ())]
    with request.app.state.db.session() as session:
        response = render(
            request, "sessions.html", rows=rows, organizations=organizations, columns=columns,
            pending=pending, towns=towns, month=first,
            previous=(first - timedelta(days=1)).strftime("%Y-%m"),
            following=following.strftime("%Y-%m"), zone=zone, can_edit=principal.edits,
            kind_label=planning.kind_label, kinds=list(planning.SessionKind), today=today,
            problem=problem, weekdays=WEEKDAYS)
    if problem is not None:
        response.status_code = 400
    return response


WEEKDAYS = [("星期一", "Monday"), ("星期二", "Tuesday"), ("星期三", "Wednesday"),
            ("星期四", "Thursday"), ("星期五", "Friday"), ("星期六", "Saturday"),
            ("星期日", "Sunday")]


async def session_create(request: Request) -> Response:
    form = await request.form()
    zone = zone_of(request)
    node_id = request.path_params["node_id"]
    try:
        start, end = form_span(form, zone)
        kind = planning.parse_kind(str(form.get("kind", "prescribed")))
        with request.app.state.db.transaction() as session:
            home = org.get_node(session, node_id)
            study = planning.create_session(
                session, home, start, end, str(form.get("title", "")), kind,
                [str(t) for t in form.getlist("topics")], str(form.get("group", "")))
            study_id = study.id
    except BadRequest as error:
        return await run_in_threadpool(sessions_page, request,
                                       form_problem(request, f"create-{node_id}", error, form))
    return RedirectResponse(request.app.url_path_for("session_page", session_id=study_id),
                            status_code=303)


def _iso_moment(body: dict[str, Any], name: str) -> datetime:
    raw = body.get(name)
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadRequest("bad_iso_time", name=name, value=str(raw)[:40])
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest("bad_iso_time", name=name, value=raw) from None
    if moment.tzinfo is None:
        raise BadRequest("bad_iso_time", name=name, value=raw)
    return moment


async def api_org_sessions(request: Request) -> Response:
    """The JSON twin of the session form (issue 16.8): ``{"title", "kind", "starts_at",
    "ends_at" (ISO 8601 with an offset), "station_id", "group", "makes_up"}``, answered
    with the session as GET /api/sessions/{id} gives it."""
    body = await json_object(request)
    return await run_in_threadpool(_create_from_json, request, body)


def _create_from_json(request: Request, body: dict[str, Any]) -> Response:
    start, end = _iso_moment(body, "starts_at"), _iso_moment(body, "ends_at")
    kind = planning.parse_kind(str(body.get("kind", "prescribed")))
    title, group = body.get("title", ""), body.get("group", "") or ""
    if not isinstance(title, str) or not isinstance(group, str):
        raise BadRequest("bad_field", field="title" if not isinstance(title, str) else "group")
    station_id = body.get("station_id")
    makes_up = body.get("makes_up") or []
    if not isinstance(makes_up, list) or len(makes_up) > 100:
        raise BadRequest("bad_field", field="makes_up")
    with request.app.state.db.transaction() as session:
        home = org.get_node(session, request.path_params["node_id"])
        study = planning.create_session(session, home, start, end, title, kind, (), group)
        if station_id is not None:
            station = session.get(OrgNode, json_int(station_id, "station_id", 1, 2**31 - 1))
            if (station is None or station.kind != org.Kind.STATION
                    or station.parent_id != home.id):
                raise BadRequest("bad_station", station_id=station_id)
            study.station_id = station.id
        if makes_up:
            planning.link_makeup(session, study,
                                 [json_int(i, "makes_up", 1, 2**31 - 1) for i in makes_up])
        session.flush()
        data = session_json(session, study, request)
    return JSONResponse(data, status_code=201)


def session_page(request: Request, problem: FormProblem | None = None,
                 unconfirmed: list[str] | None = None) -> Response:
    principal = principal_of(request)
    with request.app.state.db.session() as session:
        study = planning.get_session(session, request.path_params["session_id"])
        home = org.get_node(session, study.org_id)
        data = session_json(session, study, request)
    lang = pick_lang(request)
    # Sections the areas above planning add (attendance): web/app.py lists them.
    panels = [panel(request, study.id) for panel in
              getattr(request.app.state, "session_panels", ())]
    response = render(request, "session.html", study=data, can_edit=principal.edits(home),
                      panels=panels,
                      themes=LEARNING_THEMES, topics=planning.TOPICS,
                      kind_label=planning.kind_label, problem=problem,
                      unconfirmed=unconfirmed or [],
                      theme_labels={t.value: theme_label(t, lang) for t in LEARNING_THEMES})
    if unconfirmed:
        response.status_code = 409  # asked to confirm: nothing was published yet
    elif problem is not None:
        response.status_code = 400
    return response


def _back_to(request: Request, session_id: int) -> Response:
    return RedirectResponse(request.app.url_path_for("session_page", session_id=session_id),
                            status_code=303)


async def session_move(request: Request) -> Response:
    form = await request.form()
    session_id = request.path_params["session_id"]
    try:
        start, end = form_span(form, zone_of(request))
        with request.app.state.db.transaction() as session:
            planning.move_session(planning.get_session(session, session_id), start, end)
    except BadRequest as error:
        return await run_in_threadpool(session_page, request,
                                       form_problem(request, "move", error, form))
    return _back_to(request, session_id)


def _failing_if_published(request: Request, session_id: int, text: str,
                          topics: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The errors the rule checks would show once the notice is out (nothing is saved),
    and the ledger row that publishing writes."""
    zone = zone_of(request)
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        study = planning.get_session(session, session_id)
        planning.publish_notice(study, text)
        if topics:
            study.topics = planning.parse_topics(topics)
        facts = planning.facts(session, study, zone,
                               request.app.state.settings.activity_min_minutes)
        failing = [f for f in rules.check(facts, utcnow()) if f.severity == rules.ERROR]
        row = {"session": str(study.id), "organization": study.org_id,
               "by": principal_of(request).label, "notice": study.notice,
               "topics": list(study.topics),
               "starts_at": study.starts_at.astimezone(zone).isoformat(),
               "late": planning.notice_state(study) == "late",
               "failing_checks": [f.code for f in failing]}
        session.rollback()
    return [f.message(lang) for f in failing], row


async def session_publish(request: Request) -> Response:
    """Publishing over failing checks asks once; the publication, and the checks it went
    out over, are a ledger row (``notice.published``)."""
    form = await request.form()
    session_id = request.path_params["session_id"]
    text = str(form.get("notice", ""))
    topics = [str(t) for t in form.getlist("topics")]
    try:
        failing, row = await run_in_threadpool(_failing_if_published, request, session_id,
                                               text, topics)
        if failing and form.get("confirm") != "yes":
            return await run_in_threadpool(
                session_page, request, FormProblem("publish", "", "", {
                    "notice": text, "topics[]": "\n".join(topics)}), failing)
        await run_in_threadpool(record, request, "notice.published", row)
        with request.app.state.db.transaction() as session:
            study = planning.get_session(session, session_id)
            planning.publish_notice(study, text)
            if topics:
                study.topics = planning.parse_topics(topics)
    except BadRequest as error:
        return await run_in_threadpool(session_page, request,
                                       form_problem(request, "publish", error, form))
    return _back_to(request, session_id)


async def session_cancel(request: Request) -> Response:
    """Kept, struck through, with its reason; the cancellation is a ledger row."""
    form = await request.form()
    session_id = request.path_params["session_id"]
    reason = str(form.get("reason", ""))
    try:
        with request.app.state.db.session() as session:
            study = planning.get_session(session, session_id)
            planning.cancel_session(study, reason)  # checks; saved below, after the row
            row = {"session": str(study.id), "organization": study.org_id,
                   "by": principal_of(request).label, "reason": study.cancel_reason,
                   "starts_at": study.starts_at.isoformat()}
            session.rollback()
        await run_in_threadpool(record, request, "session.cancelled", row)
        with request.app.state.db.transaction() as session:
            planning.cancel_session(planning.get_session(session, session_id), reason)
    except BadRequest as error:
        return await run_in_threadpool(session_page, request,
                                       form_problem(request, "cancel", error, form))
    return _back_to(request, session_id)


def session_notice(request: Request) -> Response:
    with request.app.state.db.session() as session:
        study = planning.get_session(session, request.path_params["session_id"])
        data = session_json(session, study, request)
    return render(request, "notice.html", study=data)


# ---- JSON API


async def api_session(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    if request.method == "PUT":
        body = await json_object(request)
        with request.app.state.db.transaction() as session:
            study = planning.get_session(session, session_id)
            if "items" in body:
                items = body["items"]
                if not isinstance(items, list):
                    raise BadRequest("bad_json")
                items = [json_int(i, "items", 1, MAX_ID) for i in items]
                notes = body.get("notes")
                planning.set_playlist(session, study, items,
                                      notes if isinstance(notes, list) else None)
            if "discussion_minutes" in body:
                study.discussion_minutes = json_int(body["discussion_minutes"],
                                                    "discussion_minutes", 0, 480)
            if "topics" in body and isinstance(body["topics"], list):
                study.topics = planning.parse_topics([str(t) for t in body["topics"]])
            session.flush()
            return JSONResponse(session_json(session, study, request))
    with request.app.state.db.session() as session:
        study = planning.get_session(session, session_id)
        return JSONResponse(session_json(session, study, request))


def _candidates(session: Session, exclude: set[int]) -> list[compose.Candidate]:
    items = session.scalars(select(Item).where(Item.missing_since.is_(None),
                                               Item.kind.in_(("video", "audio")),
                                               Item.duration.is_not(None))).all()
    return [compose.Candidate(i.id, i.theme, i.duration or 0.0, i.id in exclude)
            for i in items]


def _plan_weights(session: Session, study: StudySession, zone: ZoneInfo) -> dict[str, float]:
    """Equal weights, and double for the month's focus in the yearly plan of the session's
    organization, else of its town."""
    weights = {t.value: 1.0 for t in LEARNING_THEMES}
    day = study.starts_at.astimezone(zone)
    home = org.get_node(session, study.org_id)
    for node_id in (home.id, home.parent_id):
        plan = session.scalars(select(Plan).where(Plan.node_id == node_id,
                                                  Plan.year == day.year,
                                                  Plan.period == "year")).first()
        focus = plan.focus.get(str(day.month)) if plan else None
        if focus in weights:
            weights[focus] = 2.0
            break
    return weights


async def api_session_compose(request: Request) -> Response:
    """A proposal (not saved): the builder shows it and the organizer keeps or edits it."""
    body = await json_object(request) if await request.body() else {}
    settings = request.app.state.settings
    raw_weights = body.get("weights")
    if raw_weights is not None and not isinstance(raw_weights, dict):
        raise BadRequest("bad_json")
    months = json_int(body.get("months", settings.compose_recent_months), "months", 0, 36)
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        study = planning.get_session(session, request.path_params["session_id"])
        facts = planning.facts(session, study, zone_of(request), settings.activity_min_minutes)
        weights = ({str(k): json_number(v, f"weights.{k}", 0, 1000)
                    for k, v in raw_weights.items() if k in {t.value for t in LEARNING_THEMES}}
                   if raw_weights else _plan_weights(session, study, zone_of(request)))
        target = max(settings.activity_min_minutes,
                     (study.ends_at - study.starts_at).total_seconds() / 60)
        target_seconds = (target - study.discussion_minutes) * 60
        due = [d.item_id for d in facts.due if not d.scheduled_elsewhere]
        recent = planning.recently_shown(session, study.station_id, study.starts_at, months)
        proposal = compose.compose(_candidates(session, recent),
                                   compose.Request(target_seconds, weights, due))
        titles = {row.id: row.title for row in session.execute(select(Item.id, Item.title)
                  .where(Item.id.in_([c.item_id for c in proposal.choices])))}
    from catalog.messages import message

    return JSONResponse({
        "target_minutes": round(target_seconds / 60, 1),
        "minutes": round(proposal.seconds / 60, 1), "weights": weights,
        "items": [{"id": c.item_id, "title": titles.get(c.item_id, ""), "theme": c.theme,
                   "theme_label": theme_label(c.theme, lang), "duration": c.seconds,
                   "reason": message(c.reason, lang, **c.fields)} for c in proposal.choices]})


def api_sessions(request: Request) -> Response:
    principal = principal_of(request)
    scope = principal.node
    assert scope is not None
    zone = zone_of(request)
    start = request.query_params.get("from")
    end = request.query_params.get("to")
    with request.app.state.db.session() as session:
        if "node" in request.query_params:
            node_id = parse_id(request.query_params["node"])
            node = session.get(OrgNode, node_id) if node_id else None
            if node is None or not principal.sees(node):
                raise NotFound("node_not_found", node_id=request.query_params["node"])
            scope = node
        found = planning.sessions_under(
            session, scope,
            datetime.combine(parse_date(start, "from"), time(), zone) if start else None,
            datetime.combine(parse_date(end, "to") + timedelta(days=1), time(), zone)
            if end else None)
        return JSONResponse({"sessions": [
            {"id": s.id, "title": s.title, "organization": o.name, "organization_id": o.id,
             "kind": s.kind, "starts_at": s.starts_at.astimezone(zone).isoformat(),
             "ends_at": s.ends_at.astimezone(zone).isoformat(), "moved": s.moved,
             "notice_published": s.notice_published_at is not None,
             "notice_state": planning.notice_state(s),
             "entered_afterwards": planning.entered_afterwards(s),
             "cancelled": s.cancelled_at is not None, "cancel_reason": s.cancel_reason}
            for s, o in found]})
