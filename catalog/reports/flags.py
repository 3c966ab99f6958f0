"""Red flags for inspectors (异常线索, issue 18.5): patterns in the ledger that records
written in a rush, or not at all, leave behind. A flag is a lead to look at, never a
verdict: each names its organization, the session or station, and the evidence.

- ``signin_after_session``: sign-ins or marks entered after the session (late entries);
- ``signin_without_playback``: sign-ins but no playback at the station in the span;
- ``short_playback``: played far less than planned (under SHORT_SHARE of it);
- ``notice_after_start``: the notice published after the session began;
- ``record_late``: minutes or feedback entered more than N days after the end;
- ``late_burst``: many late entries of one organization written within a day (until
  inspections are recorded, any such burst; the inspection issue narrows it to the days
  before one);
- ``device_burst``: one device signing in more members than the limit within 10 minutes;
- ``identical_full``: 100 % attendance at every held session, month after month;
- ``ledger_quiet``: a station with nothing recorded (playback, sign-in) for N days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.attendance.figures import device_bursts
from catalog.attendance.models import AttendanceRow
from catalog.attendance.rows import MARKING
from catalog.evidence.models import Playback
from catalog.records.models import RecordRow
from catalog.reports.facts import Facts, SessionFacts, scoped_sessions
from catalog.reports.table import Column, Report

FLAGS = ("signin_after_session", "signin_without_playback", "short_playback",
         "notice_after_start", "record_late", "late_burst", "device_burst", "identical_full",
         "ledger_quiet")
SHORT_SHARE = 0.5  # played under half the planned minutes
BURST_COUNT = 5  # late entries of one organization ...
BURST_WINDOW = timedelta(hours=24)  # ... written within a day
IDENTICAL_MONTHS = 3  # months in a row at 100 %


@dataclass
class Flag:
    code: str
    org_id: int
    at: datetime | None  # when it happened (the session's start, the burst's first row)
    session_id: int | None = None
    station: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def session_flags(facts: Facts, record_late_days: int) -> list[Flag]:
    """The flags one session's facts show by themselves."""
    found: list[Flag] = []
    late_after = timedelta(days=record_late_days)
    for s in facts.regular():
        if not s.started:
            continue
        if s.late_entries:
            found.append(Flag("signin_after_session", s.org_id, s.starts_at, s.id,
                              detail={"late_entries": s.late_entries}))
        if s.signed_in and not s.playbacks:
            found.append(Flag("signin_without_playback", s.org_id, s.starts_at, s.id,
                              detail={"signed_in": s.signed_in}))
        if s.playbacks and s.planned_seconds and \
                s.seconds_played < SHORT_SHARE * s.planned_seconds:
            found.append(Flag("short_playback", s.org_id, s.starts_at, s.id,
                              detail={"minutes_played": s.minutes_played,
                                      "minutes_planned": s.minutes_planned}))
        if s.notice_published_at is not None and s.notice_published_at > s.starts_at:
            found.append(Flag("notice_after_start", s.org_id, s.starts_at, s.id, detail={
                "hours_after": round((s.notice_published_at - s.starts_at).total_seconds()
                                     / 3600, 1)}))
        for what, at in (("minutes", s.minutes_at), ("feedback", s.feedback_at)):
            if at is not None and at - s.ends_at > late_after:
                found.append(Flag("record_late", s.org_id, s.starts_at, s.id, detail={
                    "record": what, "days_after": (at - s.ends_at).days}))
    found += identical_full(facts)
    return found


def identical_full(facts: Facts, months: int = IDENTICAL_MONTHS) -> list[Flag]:
    zone = facts.period.zone
    by_org: dict[int, dict[tuple[int, int], list[SessionFacts]]] = defaultdict(
        lambda: defaultdict(list))
    for s in facts.regular():
        if s.held and s.expected:
            local = s.starts_at.astimezone(zone)
            by_org[s.org_id][(local.year, local.month)].append(s)
    found = []
    for org_id, by_month in by_org.items():
        run: list[tuple[int, int]] = []
        for key in sorted(by_month):
            full = all(s.rate == 1.0 for s in by_month[key])
            if not full:
                run = []
                continue
            run = [*run, key] if run and _next(run[-1]) == key else [key]
            if len(run) == months:
                sessions = [s for k in run for s in by_month[k]]
                found.append(Flag("identical_full", org_id, sessions[0].starts_at, None,
                                  detail={"months": [f"{y}-{m:02d}" for y, m in run],
                                          "sessions": [s.id for s in sessions]}))
                break  # one flag per organization names the first such run
    return found


def _next(key: tuple[int, int]) -> tuple[int, int]:
    year, month = key
    return (year + 1, 1) if month == 12 else (year, month + 1)


def late_bursts(rows: Iterable[tuple[int, datetime]], count: int = BURST_COUNT,
                window: timedelta = BURST_WINDOW) -> list[Flag]:
    """``rows``: (organization, when written) of late entries."""
    by_org: dict[int, list[datetime]] = defaultdict(list)
    for org_id, at in rows:
        by_org[org_id].append(at)
    found = []
    for org_id, times in by_org.items():
        times.sort()
        start = 0
        for end in range(len(times)):
            while times[end] - times[start] > window:
                start += 1
            if end - start + 1 >= count:
                found.append(Flag("late_burst", org_id, times[start], detail={
                    "late_entries": end - start + 1,
                    "from": times[start].isoformat(), "to": times[end].isoformat()}))
                break  # one flag per organization names the first burst
    return found


def _late_rows(session: Session, facts: Facts) -> list[tuple[int, datetime]]:
    from catalog.planning.models import StudySession

    scope = scoped_sessions(facts.node, facts.period).subquery()
    found: list[tuple[int, datetime]] = []
    for table in (AttendanceRow, RecordRow):
        found += [(org_id, at) for org_id, at in session.execute(
            select(StudySession.org_id, table.at)
            .join(StudySession, StudySession.id == table.session_id)
            .where(table.session_id.in_(select(scope.c.id)), table.late_entry.is_(True)))]
    return found


def _device_flags(session: Session, facts: Facts, limit: int) -> list[Flag]:
    """Candidates by a grouped count, then the ten-minute window on their rows."""
    scope = scoped_sessions(facts.node, facts.period).subquery()
    candidates = session.execute(
        select(AttendanceRow.session_id, AttendanceRow.device)
        .where(AttendanceRow.session_id.in_(select(scope.c.id)),
               AttendanceRow.kind.in_(MARKING), AttendanceRow.device != "",
               AttendanceRow.method != "admin")
        .group_by(AttendanceRow.session_id, AttendanceRow.device)
        .having(func.count() > limit)).all()
    by_id = {s.id: s for s in facts.sessions}
    found = []
    for session_id, device in candidates:
        rows = list(session.scalars(select(AttendanceRow).where(
            AttendanceRow.session_id == session_id, AttendanceRow.device == device)
            .order_by(AttendanceRow.seq)))
        flagged = device_bursts(rows, limit)
        if flagged:
            study = by_id[session_id]
            found.append(Flag("device_burst", study.org_id, study.starts_at, session_id,
                              detail={"device": device[:12], "members": len(
                                  {(r.member_id, r.guest_name) for r in rows
                                   if r.seq in flagged})}))
    return found


def _quiet_stations(session: Session, facts: Facts, days: int) -> list[Flag]:
    labels = {label: org.id for org in facts.orgs.values() for label in org.stations}
    if not labels:
        return []
    last: dict[str, datetime] = dict(session.execute(
        select(Playback.station, func.max(Playback.opened_at))
        .where(Playback.station.in_(list(labels))).group_by(Playback.station)).all())
    # A sign-in or mark at one of the organization's sessions is the station's too.
    from catalog.planning.models import StudySession

    marked: dict[int, datetime] = dict(session.execute(
        select(StudySession.org_id, func.max(AttendanceRow.at))
        .join(StudySession, StudySession.id == AttendanceRow.session_id)
        .where(StudySession.org_id.in_(list(facts.orgs))).group_by(StudySession.org_id)
    ).all())
    quiet_after = facts.now - timedelta(days=days)
    found = []
    for label, org_id in labels.items():
        seen = [t for t in (last.get(label), marked.get(org_id)) if t is not None]
        latest = max(seen) if seen else None
        if latest is None or latest < quiet_after:
            found.append(Flag("ledger_quiet", org_id, latest, station=label, detail={
                "days": None if latest is None else (facts.now - latest).days}))
    return found


COLUMNS = [Column("flag", "col_flag"), Column("town", "col_town"),
           Column("organization", "col_organization"),
           Column("session_id", "col_session_id", "int"), Column("station", "col_station"),
           Column("date", "col_date", "date"), Column("detail", "col_detail")]


def all_flags(session: Session, facts: Facts, ctx: Any) -> list[Flag]:
    return [*session_flags(facts, ctx.flag_record_late_days),
            *late_bursts(_late_rows(session, facts)),
            *_device_flags(session, facts, ctx.policy.device_limit),
            *_quiet_stations(session, facts, ctx.flag_quiet_days)]


def flags_report(session: Session, facts: Facts, ctx: Any) -> Report:
    zone = facts.period.zone
    found = all_flags(session, facts, ctx)
    found.sort(key=lambda f: (FLAGS.index(f.code), f.at or facts.now, f.org_id))
    rows = []
    for flag in found:
        org = facts.orgs[flag.org_id]
        rows.append({"flag": flag.code, "org_id": org.id, "town": org.town_name,
                     "organization": org.name, "session_id": flag.session_id,
                     "station": flag.station,
                     "date": flag.at.astimezone(zone).date().isoformat() if flag.at else None,
                     "detail": {"flag": flag.code, **flag.detail}})
    counts = {code: sum(1 for f in found if f.code == code) for code in FLAGS}
    return Report("flags", "report_flags", {}, facts.period.text, COLUMNS, rows, [], counts,
                  ["note_flags"])
