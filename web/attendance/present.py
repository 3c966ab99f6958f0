"""Attendance as the API, the pages and the CLI show it: one shape for all three."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from catalog import attendance
from catalog.attendance.figures import Standing
from catalog.attendance.models import AttendanceRow
from catalog.attendance.policy import Policy
from catalog.messages import message
from catalog.org.models import Member, OrgNode
from catalog.planning.models import StudySession


def _iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def status_label(status: str, lang: str) -> str:
    return message(f"attendance_status_{status}", lang) if status else ""


def method_label(method: str, lang: str) -> str:
    return message(f"attendance_method_{method}", lang) if method else ""


def row_json(row: AttendanceRow, replaced_by: dict[int, int], zone: ZoneInfo, lang: str
             ) -> dict[str, Any]:
    return {"seq": row.seq, "kind": row.kind, "status": row.status,
            "status_label": status_label(row.status, lang), "method": row.method,
            "actor": row.actor, "device": row.device, "at": _iso(row.at, zone),
            "at_event": _iso(row.at_event, zone), "reason": row.reason,
            "late_entry": row.late_entry, "replaces": row.replaces_seq,
            "replaced_by": replaced_by.get(row.seq), "sheet_sha256": row.sheet_sha256 or None}


def standing_json(line: Standing, zone: ZoneInfo, lang: str) -> dict[str, Any]:
    replaced_by = {r.replaces_seq: r.seq for r in line.history if r.replaces_seq}
    row = line.row
    member = line.member
    return {"member_id": member.id if member else None,
            "name": member.name if member else line.guest,
            "guest": member is None, "category": member.category if member else "",
            "expected": line.expected, "status": line.status,
            "status_label": status_label(line.status, lang),
            "method": row.method if row else None,
            "method_label": method_label(row.method, lang) if row else "",
            "seq": row.seq if row else None,
            "at": _iso(row.at, zone) if row else None,
            "at_event": _iso(row.at_event, zone) if row else None,
            "reason": row.reason if row else "",
            "late_entry": bool(row and row.late_entry), "flags": line.flags,
            "history": [row_json(r, replaced_by, zone, lang) for r in line.history]}


def session_attendance(session: Session, study: StudySession, policy: Policy, lang: str
                       ) -> dict[str, Any]:
    zone = policy.zone
    lines = attendance.session_standings(session, study, policy)
    home = session.get_one(OrgNode, study.org_id)
    station = session.get(OrgNode, study.station_id) if study.station_id else None
    return {"session": {"id": study.id, "title": study.title, "kind": study.kind,
                        "group": study.group_name,
                        "organization": {"id": home.id, "name": home.name},
                        "station": ({"id": station.id, "name": station.name}
                                    if station else None),
                        "starts_at": _iso(study.starts_at, zone),
                        "ends_at": _iso(study.ends_at, zone),
                        "signin_opens_at": _iso(policy.opens_at(study), zone),
                        "late_entry_after": _iso(policy.late_after(study), zone),
                        "cancelled": study.cancelled_at is not None},
            "figures": attendance.session_figures(study, lines, policy),
            "members": [standing_json(line, zone, lang) for line in lines]}


def member_record(session: Session, member: Member, year: int, policy: Policy, lang: str
                  ) -> dict[str, Any]:
    zone = policy.zone
    found = attendance.member_year(session, member, year, policy)
    lines = found.pop("lines")
    found["sessions_list"] = [{
        "session_id": line.study.id, "title": line.study.title, "kind": line.study.kind,
        "date": line.study.starts_at.astimezone(zone).date().isoformat(),
        "status": line.status, "status_label": status_label(line.status, lang),
        "required": line.required, "late_entry": bool(line.row and line.row.late_entry),
        "method": line.row.method if line.row else None,
        "at": _iso(line.row.at, zone) if line.row else None,
        "makeup": None if line.makeup is None else {
            "done": line.makeup.done, "via": line.makeup.via,
            "makeup_session": line.makeup.makeup_session,
            "until": _iso(line.makeup.until, zone),
            "items": [{"item_id": c.item_id, "title": c.title, "duration": c.duration,
                       "watched": round(c.watched, 1), "share": round(c.share, 3)}
                      for c in line.makeup.items]}}
        for line in lines]
    return found


def outcome_json(outcome: attendance.Outcome, zone: ZoneInfo, lang: str) -> dict[str, Any]:
    fields = dict(outcome.fields)
    if outcome.ok:
        text = message("signin_marked" if outcome.marked else "signin_done", lang,
                       name=outcome.name,
                       status=status_label(outcome.status, lang),
                       time=outcome.at.astimezone(zone).strftime("%H:%M") if outcome.at else "")
    elif outcome.refusal:
        text = message(outcome.refusal, lang, **{k: v for k, v in fields.items() if k != "seq"})
    else:
        text = message("signin_choose_name", lang)
    body: dict[str, Any] = {
        "ok": outcome.ok, "seq": outcome.seq, "status": outcome.status or None,
        "status_label": status_label(outcome.status, lang), "member_id": outcome.member_id,
        "name": outcome.name, "at": _iso(outcome.at, zone), "late_entry": outcome.late_entry,
        "replayed": outcome.replayed, "refusal": outcome.refusal or None, "message": text}
    if outcome.refusal:
        body["error"] = outcome.refusal
    if outcome.choose is not None:
        body["choose"] = [{"member_id": m, "name": n} for m, n in outcome.choose]
    return body
