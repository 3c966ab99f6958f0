"""The organization tree, members and stations: pages and their JSON API. The guard
(web/auth.py) has already checked that the node or member in the path is the caller's."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from catalog import org, planning
from catalog.errors import NotFound
from catalog.org.models import OrgNode
from catalog.org.scope import Principal
from catalog.org.tree import Kind, MemberFields
from catalog.planning import member_activity
from web.auth import principal_of
from web.i18n import pick_lang
from web.library.rescan import rescan_roots, status_json
from web.params import MAX_ID, int_param, parse_choice
from web.views import json_object, render

PER_PAGE = 100


def _scope_root(request: Request) -> OrgNode:
    principal = principal_of(request)
    assert principal.node is not None
    return principal.node


def org_home(request: Request) -> Response:
    return RedirectResponse(request.app.url_path_for("org_node", node_id=_scope_root(request).id),
                            status_code=303)


def _breadcrumb(session: Any, node: OrgNode, principal: Principal) -> list[OrgNode]:
    return [n for n in org.ancestors(session, node) if principal.sees(n)]


def org_node(request: Request) -> Response:
    principal = principal_of(request)
    node_id = request.path_params["node_id"]
    page = int_param(request, "page", 1, 1, 100_000)
    q = request.query_params.get("q", "").strip()[:50]
    zone = ZoneInfo(request.app.state.settings.timezone)
    today = datetime.now(zone).date()
    with request.app.state.db.session() as session:
        node = org.get_node(session, node_id)
        total, members = org.members_under(session, node, q, (page - 1) * PER_PAGE, PER_PAGE)
        pending = (planning.pending_must_watch(session, node, today, zone)
                   if node.kind == Kind.ORGANIZATION else [])
        return render(request, "org_node.html", node=node, principal=principal,
                      pending=pending, year=today.year,
                      crumbs=_breadcrumb(session, node, principal),
                      children=org.children(session, node), members=members,
                      members_total=total, page=page, per_page=PER_PAGE, q=q,
                      child_kind=org.CHILD_KIND.get(Kind(node.kind)),
                      can_edit=principal.edits(node), kind_label=org.kind_label,
                      category_label=org.category_label, categories=list(org.Category))


def _form_fields(form: Any) -> MemberFields:
    return MemberFields(name=org.clean_name(str(form.get("name", ""))),
                        phone=org.clean_phone(str(form.get("phone", ""))),
                        category=org.parse_category(str(form.get("category", "")) or "full"),
                        exempt=org.parse_exempt(str(form.get("exempt", ""))),
                        note=str(form.get("note", ""))[:500])


async def _json_or_form(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        data = await json_object(request)
        return {k: ("" if v is None else v if isinstance(v, bool) else str(v))
                for k, v in data.items()}
    return dict(await request.form())


def _exempt_text(value: Any) -> str:
    return ("是" if value else "否") if isinstance(value, bool) else str(value)


async def org_add_child(request: Request) -> Response:
    form = await _json_or_form(request)
    node_id = request.path_params["node_id"]
    with request.app.state.db.transaction() as session:
        parent = org.get_node(session, node_id)
        child = org.add_node(session, parent, str(form.get("name", "")),
                             str(form.get("code", "")) or None)
        data = org.node_json(child, pick_lang(request), with_token=True)
    if request.url.path.startswith("/api/"):
        return JSONResponse(data, status_code=201)
    return RedirectResponse(request.app.url_path_for("org_node", node_id=node_id),
                            status_code=303)


async def org_rename(request: Request) -> Response:
    form = await request.form()
    node_id = request.path_params["node_id"]
    with request.app.state.db.transaction() as session:
        org.rename(org.get_node(session, node_id), str(form.get("name", "")))
    return RedirectResponse(request.app.url_path_for("org_node", node_id=node_id),
                            status_code=303)


async def org_add_member(request: Request) -> Response:
    form = await _json_or_form(request)
    form["exempt"] = _exempt_text(form.get("exempt", ""))
    node_id = request.path_params["node_id"]
    with request.app.state.db.transaction() as session:
        home = org.get_node(session, node_id)
        member = org.add_member(session, home, _form_fields(form))
        data = org.member_json(member, home, pick_lang(request))
    if request.url.path.startswith("/api/"):
        return JSONResponse(data, status_code=201)
    return RedirectResponse(request.app.url_path_for("org_node", node_id=node_id),
                            status_code=303)


def member_page(request: Request) -> Response:
    """A member's page: his record, and (issue 14.7) his branch's coming sessions with
    their notices, the must-watch items due and what he watched. The same for the staff
    who may see him, so a secretary sees what the member sees."""
    principal = principal_of(request)
    zone = ZoneInfo(request.app.state.settings.timezone)
    with request.app.state.db.session() as session:
        member, home = org.get_member(session, request.path_params["member_id"])
        done = member_activity.activity(session, member, home, datetime.now(zone), zone)
        return render(request, "member.html", member=member, home=home, activity=done,
                      own=principal.user is not None and principal.user.member_id == member.id,
                      can_edit=principal.edits_member(home), zone=zone,
                      kind_label=planning.kind_label,
                      category_label=org.category_label, categories=list(org.Category))


def activity_json(request: Request, done: member_activity.Activity) -> dict[str, Any]:
    """The member page's JSON twin (GET /api/members/{id}): what the page lists."""
    zone = ZoneInfo(request.app.state.settings.timezone)
    path_for = request.app.url_path_for

    def at(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat() if moment else None

    return {
        "sessions": [{"id": c.study.id, "title": c.study.title, "kind": c.study.kind,
                      "starts_at": at(c.study.starts_at), "ends_at": at(c.study.ends_at),
                      "station": c.station.name if c.station else None,
                      "cancelled": c.cancelled, "cancel_reason": c.study.cancel_reason,
                      "notice_published_at": at(c.study.notice_published_at),
                      "notice_url": (path_for("session_notice", session_id=c.study.id)
                                     if c.notice_open else None)} for c in done.coming],
        "must_watch": [{"item_id": d.item.id, "title": d.item.title,
                        "deadline": d.deadline.isoformat(), "duration": d.item.duration,
                        "watched_seconds": round(d.watched_seconds, 1),
                        "watch_url": path_for("watch", item_id=d.item.id)} for d in done.due],
        "watched": [{"item_id": p.item_id, "title": p.title, "opened_at": at(p.opened_at),
                     "closed_at": at(p.closed_at), "seconds": round(p.seconds, 1),
                     "failure": p.failure or None} for p in done.watched],
        "watched_total": done.watched_total,
    }


async def member_update(request: Request) -> Response:
    form = await _json_or_form(request)
    form["exempt"] = _exempt_text(form.get("exempt", ""))
    member_id = request.path_params["member_id"]
    with request.app.state.db.transaction() as session:
        member, home = org.get_member(session, member_id)
        org.update_member(member, _form_fields(form))
        data = org.member_json(member, home, pick_lang(request))
    if request.url.path.startswith("/api/"):
        return JSONResponse(data)
    return RedirectResponse(request.app.url_path_for("member_page", member_id=member_id),
                            status_code=303)


async def api_member(request: Request) -> Response:
    if request.method == "PUT":
        return await member_update(request)
    zone = ZoneInfo(request.app.state.settings.timezone)
    with request.app.state.db.session() as session:
        member, home = org.get_member(session, request.path_params["member_id"])
        done = member_activity.activity(session, member, home, datetime.now(zone), zone)
        return JSONResponse(org.member_json(member, home, pick_lang(request))
                            | activity_json(request, done))


# ---- stations


def public_base(request: Request) -> str:
    configured: str = request.app.state.settings.public_url
    return configured or str(request.base_url).rstrip("/")


def station_page(request: Request) -> Response:
    import segno

    principal = principal_of(request)
    with request.app.state.db.session() as session:
        station = org.get_node(session, request.path_params["node_id"])
        if station.kind != Kind.STATION:
            raise NotFound("node_not_found", node_id=station.id)
        can_edit = principal.edits(station)
        link = qr = ""
        token = org.token_of(session, station) if can_edit else None
        if token:
            path = request.app.url_path_for("station_link", token=token)
            link = public_base(request) + path
            out = io.BytesIO()
            segno.make(link, error="m").save(out, kind="svg", scale=6, border=2,
                                             xmldecl=False, svgns=True)
            qr = out.getvalue().decode()
        # Issued, but not derivable here (before migration 0007, or another server's key).
        hidden = can_edit and not token and station.station_token_digest is not None
        return render(request, "station.html", station=station, can_edit=can_edit,
                      link=link, qr=qr, hidden=hidden, rescan=_rescan_state(request, can_edit),
                      crumbs=_breadcrumb(session, station, principal))


def _rescan_state(request: Request, can_edit: bool) -> dict[str, Any] | None:
    """Its editors rescan the library from the station page (issue 14.6, web/library/rescan.py)."""
    if not can_edit:
        return None
    return status_json(request, rescan_roots(request.app.state.db, request.app.state.settings))


async def station_token(request: Request) -> Response:
    form = await request.form()
    node_id = request.path_params["node_id"]
    with request.app.state.db.transaction() as session:
        station = org.get_node(session, node_id)
        if station.kind != Kind.STATION:
            raise NotFound("node_not_found", node_id=node_id)
        if parse_choice(form.get("action"), "action", ("renew", "revoke")) == "revoke":
            org.revoke_token(station)
        else:
            org.issue_token(session, station)
    return RedirectResponse(request.app.url_path_for("station_page", node_id=node_id),
                            status_code=303)


# ---- JSON API


def api_org(request: Request) -> Response:
    principal = principal_of(request)
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        nodes = org.subtree(session, _scope_root(request))
        return JSONResponse({"root": _scope_root(request).id, "nodes": [
            org.node_json(n, lang, with_token=principal.edits(n)) for n in nodes]})


def api_node(request: Request) -> Response:
    principal = principal_of(request)
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        node = org.get_node(session, request.path_params["node_id"])
        data = org.node_json(node, lang, with_token=principal.edits(node))
        data["children"] = [org.node_json(c, lang) for c in org.children(session, node)]
        return JSONResponse(data)


def api_members(request: Request) -> Response:
    principal = principal_of(request)
    lang = pick_lang(request)
    page = int_param(request, "page", 1, 1, 100_000)
    per_page = int_param(request, "per_page", PER_PAGE, 1, 1000)
    q = request.query_params.get("q", "").strip()[:50]
    with request.app.state.db.session() as session:
        node = _scope_root(request)
        if "node" in request.query_params:
            node_id = int_param(request, "node", 0, 1, MAX_ID)
            found = session.get(OrgNode, node_id)
            if found is None or not principal.sees(found):
                raise NotFound("node_not_found", node_id=node_id)
            node = found
        total, rows = org.members_under(session, node, q, (page - 1) * per_page, per_page)
        return JSONResponse({"total": total, "page": page, "per_page": per_page,
                             "members": [org.member_json(m, o, lang) for m, o in rows]})
