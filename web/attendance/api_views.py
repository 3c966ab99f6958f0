"""Attendance's JSON routes (issue 16.8): the sign-in code, sign-ins and marks,
corrections, a session's attendance, a member's year, an organization's groups."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import attendance, tables
from catalog.attendance.models import AttendanceRow
from catalog.errors import BadRequest, Forbidden, NotFound, TooMany, Unauthorized
from catalog.messages import message
from catalog.org.models import Member, OrgNode
from catalog.org.tree import station_label
from catalog.planning.models import StudySession
from web.attendance.present import member_record, outcome_json, session_attendance
from web.attendance.service import attendance_of, throttle_of
from web.auth import _same_origin, check_csrf, principal_of
from web.i18n import pick_lang
from web.params import json_int, parse_choice, parse_int
from web.views import json_object

DEVICE_COOKIE = "yj_device"
REFUSAL_STATUS = {"signin_other_station": 403, "signin_not_yourself": 403}


def device_of(request: Request) -> tuple[str, bool]:
    """The device cookie's id (made when missing): which device signed in whom."""
    found = request.cookies.get(DEVICE_COOKIE, "")
    if len(found) == 22 and all(c.isalnum() or c in "-_" for c in found):
        return found, False
    return secrets.token_urlsafe(16), True


def with_device(response: Response, request: Request, device: str, new: bool) -> Response:
    if new:
        response.set_cookie(DEVICE_COOKIE, device, max_age=5 * 365 * 24 * 3600, httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")
    return response


def signin_url(request: Request, session_id: int, code: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/signin/{session_id}?c={code}"


def api_signin_code(request: Request) -> Response:
    """The code of the server's current window, its URL and that URL as a QR code (an
    SVG data URI the TV shows as it is: no library on the TV)."""
    import segno

    session_id = request.path_params["session_id"]
    current = attendance_of(request).code(session_id)
    url = signin_url(request, session_id, current.code)
    host = (urlsplit(url).hostname or "").lower()
    # A TV browsing the server on the server itself would hand phones a loopback address.
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    return JSONResponse({"code": current.code, "url": url, "expires_in": current.expires_in,
                         "reachable": not loopback,
                         "window_seconds": attendance.WINDOW_SECONDS,
                         "qr": segno.make(url, error="m").svg_data_uri(scale=8, border=2)})


def _text(body: dict[str, Any], name: str, limit: int = 500) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest("bad_field", field=name)
    return value.strip()[:limit + 1]


def _member_id(body: dict[str, Any]) -> int | None:
    raw = body.get("member_id")
    return None if raw is None else json_int(raw, "member_id", 1, 2**31 - 1)


def parse_at_event(raw: Any) -> datetime | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadRequest("bad_at_event", value=str(raw)[:40])
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest("bad_at_event", value=raw) from None
    if moment.tzinfo is None:
        raise BadRequest("at_event_needs_offset")
    return moment


async def api_signins(request: Request) -> Response:
    """A sign-in by the TV's code (a phone, the kiosk) or a mark by the station's
    administrator. The route takes no CSRF token for the code's sake (a phone that
    scanned the QR holds none): marks, which carry no code, check it here."""
    body = await json_object(request)
    principal = principal_of(request)
    admin = body.get("method") == "admin" or ("code" not in body and "status" in body)
    if admin:
        if principal.signed_in:
            await check_csrf(request, principal)
        elif principal.station is not None:
            if not _same_origin(request):
                raise Forbidden("csrf_failed")
        else:
            raise Unauthorized("login_required")
    return await run_in_threadpool(_signin, request, body, admin)


def _signin(request: Request, body: dict[str, Any], admin: bool) -> Response:
    principal = principal_of(request)
    session_id = request.path_params["session_id"]
    lang = pick_lang(request)
    service = attendance_of(request)
    device, new_device = device_of(request)
    user = principal.user
    with request.app.state.db.session() as session:
        study = session.get(StudySession, session_id)
        home = session.get(OrgNode, study.org_id) if study else None
        if study is None or home is None:
            raise NotFound("session_not_found", session_id=session_id)
        if admin and user is not None and not principal.edits(home):
            if principal.sees(home):
                raise Forbidden("forbidden")
            raise NotFound("session_not_found", session_id=session_id)
        terminal = principal.station
        actor = principal.label or (f"terminal:{station_label(terminal)}" if terminal
                                    else "phone")
    member_id = _member_id(body)
    own = None
    if not admin and user is not None and user.role == "member" and user.member_id:
        own = user.member_id
        member_id = member_id or own
    phone = _text(body, "phone_last4", 4)
    guest = _text(body, "guest_name", 50)
    if not admin and own is None and not guest and not phone:
        raise BadRequest("signin_needs_phone")
    # The station's own kiosk is in the hall, where a whole branch signs in at it: only
    # phones are throttled.
    if phone and own is None and principal.station is None:
        allowed, first = throttle_of(request).allow(
            request.client.host if request.client else "", session_id)
        if not allowed:
            if first:  # the first refusal of a window is evidence; the flood is not
                service.write("attendance.refused", attendance.rows.data(
                    session_id, method="tv_qr", actor=actor, device=device,
                    at_event=datetime.now().astimezone(), refusal="signin_rate_limited"))
            raise TooMany("signin_rate_limited")
    attempt = attendance.Attempt(
        session_id=session_id,
        method="admin" if admin else ("kiosk" if principal.station is not None else "tv_qr"),
        actor=actor, device=device, nonce=_text(body, "nonce", 64),
        code=_text(body, "code", 16), member_id=member_id, phone_last4=phone,
        guest_name=guest,
        status=parse_choice(body.get("status", "present"), "status", attendance.STATUSES)
        if admin else "present",
        reason=_text(body, "reason"), at_event=parse_at_event(body.get("at_event")),
        station_id=principal.station.id if principal.station is not None else None,
        own_member_id=own, sheet_sha256=_sha(body.get("sheet_sha256")))
    outcome = service.attempt(attempt)
    zone = service.policy.zone
    status = 200 if outcome.ok or outcome.choose is not None else REFUSAL_STATUS.get(
        outcome.refusal, 409)
    if outcome.ok and not outcome.replayed:
        status = 201
    response = JSONResponse(outcome_json(outcome, zone, lang), status_code=status)
    return with_device(response, request, device, new_device)


def _sha(raw: Any) -> str:
    if raw in (None, ""):
        return ""
    if (not isinstance(raw, str) or len(raw) != 64
            or any(c not in "0123456789abcdef" for c in raw)):
        raise BadRequest("bad_sha256")
    return raw


async def api_signin_correct(request: Request) -> Response:
    body = await json_object(request)
    return await run_in_threadpool(_correct, request, body)


def _correct(request: Request, body: dict[str, Any]) -> Response:
    principal = principal_of(request)
    seq = request.path_params["row"]
    service = attendance_of(request)
    ledger = request.app.state.settings.station
    with request.app.state.db.session() as session:
        row = session.get(AttendanceRow, (ledger, seq))
        study = session.get(StudySession, row.session_id) if row else None
        home = session.get(OrgNode, study.org_id) if study else None
        if row is None or home is None or not principal.sees(home):
            raise NotFound("signin_not_found", seq=seq)
        if not principal.edits(home):
            raise Forbidden("forbidden")
    outcome = service.correct(
        seq, parse_choice(body.get("status", ""), "status", attendance.STATUSES),
        _text(body, "reason"), principal.label, _text(body, "nonce", 64),
        parse_at_event(body.get("at_event")), ledger=ledger)
    body_out = outcome_json(outcome, service.policy.zone, pick_lang(request))
    return JSONResponse(body_out, status_code=200 if outcome.replayed else 201)


CSV_HEADERS = {
    "zh": ["人员编号", "姓名", "应到", "状态", "方式", "签到时间", "录入时间", "补登", "原因",
           "标记", "记录号"],
    "en": ["member", "name", "expected", "status", "method", "time", "written", "late entry",
           "reason", "flags", "row"],
}


def api_attendance(request: Request) -> Response:
    """The session's attendance; ``?format=csv`` the roster as a spreadsheet, late
    entries in a column of their own."""
    service = attendance_of(request)
    lang = pick_lang(request)
    as_csv = parse_choice(request.query_params.get("format", "json"), "format",
                          ("json", "csv")) == "csv"
    with request.app.state.db.session() as session:
        study = session.get_one(StudySession, request.path_params["session_id"])
        found = session_attendance(session, study, service.policy, lang)
    if not as_csv:
        return JSONResponse(found)
    yes = message("yes_word", lang)
    lines = [[m["member_id"], m["name"], yes if m["expected"] else "", m["status_label"],
              m["method_label"], m["at_event"], m["at"], yes if m["late_entry"] else "",
              m["reason"], " ".join(message(f"attendance_flag_{f}", lang) for f in m["flags"]),
              m["seq"]] for m in found["members"]]
    return Response(tables.to_csv([CSV_HEADERS["en" if lang == "en" else "zh"], *lines]),
                    media_type="text/csv; charset=utf-8",
                    headers={"content-disposition":
                             f'attachment; filename="attendance-{study.id}.csv"'})


def api_member_record(request: Request) -> Response:
    service = attendance_of(request)
    year = _year(request, service.policy)
    with request.app.state.db.session() as session:
        member = session.get_one(Member, request.path_params["member_id"])
        return JSONResponse(member_record(session, member, year, service.policy,
                                          pick_lang(request)))


def _year(request: Request, policy: attendance.Policy) -> int:
    raw = request.query_params.get("year", "")
    if not raw:
        return datetime.now(policy.zone).year
    return parse_int(raw, "year", 2000, 2100)


async def api_groups(request: Request) -> Response:
    body = await json_object(request) if request.method == "PUT" else None
    return await run_in_threadpool(_groups, request, body)


def _groups(request: Request, body: dict[str, Any] | None) -> Response:
    node_id = request.path_params["node_id"]
    db = request.app.state.db
    if body is not None:
        ids = body.get("member_ids")
        if not isinstance(ids, list) or len(ids) > 5000:
            raise BadRequest("bad_field", field="member_ids")
        with db.transaction() as session:
            home = session.get_one(OrgNode, node_id)
            if home.kind != "organization":
                raise BadRequest("session_needs_organization", name=home.name)
            attendance.set_group(session, node_id, _text(body, "name", 100),
                                 [json_int(i, "member_ids", 1, 2**31 - 1) for i in ids])
    with db.session() as session:
        found = attendance.groups(session, node_id)
        return JSONResponse({"groups": [{"id": g.id, "name": g.name, "member_ids": members}
                                        for g, members in found]})


async def api_sheets(request: Request) -> Response:
    """A photo or scan of the paper sign-in sheet (JPEG, PNG or PDF, ≤ 10 MB): kept by its
    SHA-256, which marks from the sheet then name as ``sheet_sha256``."""
    from starlette.datastructures import UploadFile

    from catalog.attendance import sheets

    form = await request.form(max_files=1, max_part_size=sheets.MAX_BYTES + 1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequest("sheet_bad_type")
    try:
        data = await upload.read(sheets.MAX_BYTES + 1)
    finally:
        await upload.close()
    at_event = parse_at_event(form.get("at_event") or None)
    settings = request.app.state.settings

    def keep() -> Response:
        digest, content_type, _ = sheets.keep(settings.data_dir, data)
        seq = attendance_of(request).sheet(request.path_params["session_id"], digest,
                                             content_type, len(data),
                                             principal_of(request).label, at_event)
        return JSONResponse({"sha256": digest, "content_type": content_type,
                             "size": len(data), "seq": seq}, status_code=201)

    return await run_in_threadpool(keep)
