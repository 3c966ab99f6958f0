"""Attendance's pages: the phone's sign-in page a QR code opens, the station TV's
sign-in and roll-call screen, a member's year ("my record"), and the roster panel of
the session page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from catalog import org
from catalog.errors import NotFound
from catalog.org.models import Member, OrgNode
from catalog.planning.models import StudySession
from web.attendance.api_views import _year, device_of, with_device
from web.attendance.present import member_record, session_attendance
from web.attendance.service import attendance_of
from web.auth import principal_of
from web.i18n import pick_lang
from web.planning.tv_views import server_clock, station_token_of, tv_url
from web.views import render

LEAVE_REASONS = ("leave_reason_work", "leave_reason_ill", "leave_reason_official",
                 "leave_reason_family", "leave_reason_other")


def _session_facts(study: StudySession, home: OrgNode, zone: Any) -> dict[str, Any]:
    start, end = study.starts_at.astimezone(zone), study.ends_at.astimezone(zone)
    return {"id": study.id, "title": study.title, "organization": home.name,
            "date": start.date().isoformat(), "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"), "cancelled": study.cancelled_at is not None}


def signin_page(request: Request) -> Response:
    """What a member's phone opens from the TV's QR code. Nothing of the roster is shown
    before the last four digits of a phone number on it."""
    service = attendance_of(request)
    session_id = request.path_params["session_id"]
    principal = principal_of(request)
    with request.app.state.db.session() as session:
        study = session.get(StudySession, session_id)
        home = session.get(OrgNode, study.org_id) if study else None
        if study is None or home is None:
            raise NotFound("session_not_found", session_id=session_id)
        facts = _session_facts(study, home, service.policy.zone)
        user = principal.user
        own = (session.get(Member, user.member_id)
               if user is not None and user.member_id else None)
    code = request.query_params.get("c", "")[:16]
    device, new = device_of(request)
    response = render(request, "signin.html", study=facts, code=code,
                      own=own if own is not None and own.org_id == study.org_id else None)
    return with_device(response, request, device, new)


def _running_session(session: Any, station: OrgNode, now: datetime, opens: timedelta
                     ) -> StudySession | None:
    """The session at this station whose sign-in is open, else today's next one."""
    day_end = now + timedelta(hours=24)
    found = session.scalars(select(StudySession).where(
        StudySession.station_id == station.id, StudySession.cancelled_at.is_(None),
        StudySession.ends_at >= now, StudySession.starts_at <= day_end)
        .order_by(StudySession.starts_at)).all()
    for study in found:
        if study.starts_at - opens <= now <= study.ends_at:
            return study
    return found[0] if found else None


def station_signin(request: Request) -> Response:
    """The TV's sign-in screen: the rotating QR code beside the organization, the
    session and its time, and the roster the administrator marks with the remote."""
    service = attendance_of(request)
    policy = service.policy
    requested = request.query_params.get("session", "")
    with request.app.state.db.session() as session:
        station = org.get_node(session, request.path_params["node_id"])
        if station.kind != org.Kind.STATION:
            raise NotFound("node_not_found", node_id=station.id)
        now = datetime.now(UTC)
        study = None
        if requested.isascii() and requested.isdigit() and len(requested) < 10:
            study = session.get(StudySession, int(requested))
            if study is not None and study.station_id != station.id:
                study = None
        if study is None:
            study = _running_session(session, station, now,
                                     timedelta(minutes=policy.opens_minutes))
        facts = None
        if study is not None:
            home = session.get_one(OrgNode, study.org_id)
            facts = _session_facts(study, home, policy.zone)
            facts["opens"] = policy.opens_at(study).astimezone(policy.zone).strftime("%H:%M")
    token = station_token_of(request)
    return render(request, "tv_signin.html", station=station, study=facts, token=token,
                  server_clock=server_clock(request), leave_reasons=LEAVE_REASONS,
                  back=tv_url(request, "station_tv", station.id))


def member_record_page(request: Request) -> Response:
    service = attendance_of(request)
    year = _year(request, service.policy)
    with request.app.state.db.session() as session:
        member, home = org.get_member(session, request.path_params["member_id"])
        record = member_record(session, member, year, service.policy, pick_lang(request))
    return render(request, "record.html", member=member, home=home, record=record, year=year)


def session_panel(request: Request, session_id: int) -> dict[str, Any]:
    """The attendance section of the session page (web/planning), which knows nothing of
    attendance: the app hands this function to it (web/app.py); the page includes
    ``template`` with this as ``panel``."""
    service = attendance_of(request)
    with request.app.state.db.session() as session:
        study = session.get_one(StudySession, session_id)
        data = session_attendance(session, study, service.policy, pick_lang(request))
    return {"template": "_attendance_panel.html", "attendance": data,
            "leave_reasons": LEAVE_REASONS}
