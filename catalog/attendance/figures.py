"""The figures of point 16.6, computed from the attendance rows (the ledger's
projection), for pages, the API, the CLI and later the reports.

Per session: ``expected`` (the members it expects, less those marked exempt for it),
``exempt``, ``present``, ``late``, ``leave``, ``absent`` (not marked when it ended, or
marked so), ``pending`` (not marked yet while it runs), ``rate`` = (present + late) ÷
expected, ``target``, ``late_entries``. Per member and year: sessions attended, leave,
make-ups done and owed, prescribed or must-watch sessions missed without a make-up, and
whether the eight a year can still be reached.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.attendance.groups import EXPECTED_CATEGORIES, roster_of
from catalog.attendance.makeup import Makeup, makeup_of, makeup_sessions_for
from catalog.attendance.models import AttendanceRow
from catalog.attendance.policy import DEVICE_WINDOW, Policy
from catalog.attendance.rows import ATTENDED, MAKEUP, MARKING, OWING, REFUSED
from catalog.org.models import Member
from catalog.planning.models import MustWatch, PlaylistEntry, StudySession
from catalog.planning.sessions import SessionKind

YEAR_TARGET = 8
COUNTED = ("present", "late", "leave", "absent")


@dataclass
class Standing:
    """One person's line in a session: the row in force and every row before it."""

    member: Member | None
    guest: str
    expected: bool
    status: str  # present, late, leave, absent, exempt, or pending (not marked yet)
    row: AttendanceRow | None
    history: list[AttendanceRow]
    flags: list[str]
    exempt_on_roster: bool = False  # one the session would expect, exempt on the roster


def rows_of(session: Session, session_ids: list[int]) -> list[AttendanceRow]:
    if not session_ids:
        return []
    return list(session.scalars(select(AttendanceRow).where(
        AttendanceRow.session_id.in_(session_ids)).order_by(AttendanceRow.seq)))


def standing_rows(rows: list[AttendanceRow]) -> dict[tuple[int | None, str], AttendanceRow]:
    """Per (member, guest name): the marking row in force (not replaced by a correction)."""
    replaced = {r.replaces_seq for r in rows if r.replaces_seq is not None}
    standing: dict[tuple[int | None, str], AttendanceRow] = {}
    for row in rows:
        if row.kind in MARKING and row.seq not in replaced:
            standing[(row.member_id, "" if row.member_id else row.guest_name)] = row
    return standing


def device_bursts(rows: list[AttendanceRow], limit: int) -> set[int]:
    """Seqs of sign-ins from a device that signed in more than ``limit`` members within
    ten minutes (flagged, never blocked)."""
    by_device: dict[str, list[AttendanceRow]] = defaultdict(list)
    for row in rows:
        if row.kind in MARKING and row.device and row.method != "admin":
            by_device[row.device].append(row)
    flagged: set[int] = set()
    for found in by_device.values():
        for row in found:
            near = [r for r in found if abs(r.at - row.at) <= DEVICE_WINDOW]
            if len({(r.member_id, r.guest_name) for r in near}) > limit:
                flagged.update(r.seq for r in near)
    return flagged


def session_standings(session: Session, study: StudySession, policy: Policy,
                      now: datetime | None = None) -> list[Standing]:
    now = now or datetime.now(UTC)
    roster = roster_of(session, study)
    rows = rows_of(session, [study.id])
    standing = standing_rows(rows)
    bursts = device_bursts(rows, policy.device_limit)
    history: dict[tuple[int | None, str], list[AttendanceRow]] = defaultdict(list)
    for row in rows:
        if row.kind in MARKING or row.kind == MAKEUP:
            history[(row.member_id, "" if row.member_id else row.guest_name)].append(row)
    ended = now >= study.ends_at
    lines: list[Standing] = []
    expected_ids = {m.id for m in roster.expected}
    listed: set[tuple[int | None, str]] = set()

    def line(member: Member | None, guest: str, expected: bool, default: str,
             exempt: bool = False) -> None:
        key = (member.id if member else None, guest)
        listed.add(key)
        row = standing.get(key)
        status = row.status if row is not None else default
        flags = []
        if row is not None and row.late_entry:
            flags.append("late_entry")
        if any(r.seq in bursts for r in history[key]):
            flags.append("device_burst")
        if any(r.kind == MAKEUP for r in history[key]):
            flags.append("made_up")
        lines.append(Standing(member, guest, expected, status, row, history[key], flags,
                              exempt))

    for member in roster.expected:
        line(member, "", True, "absent" if ended else "pending")
    for member in roster.exempt:
        line(member, "", False, "exempt", exempt=True)
    for (member_id, guest), _row in sorted(standing.items(), key=lambda kv: kv[1].seq):
        if (member_id, guest) in listed:
            continue
        person = roster.everyone.get(member_id) if member_id else None
        if member_id is not None and person is None:
            person = session.get(Member, member_id)
        line(person, guest, member_id in expected_ids, "")
    return lines


def session_figures(study: StudySession, lines: list[Standing], policy: Policy
                    ) -> dict[str, Any]:
    counts = dict.fromkeys((*COUNTED, "pending"), 0)
    exempt = 0
    for line in lines:
        if line.exempt_on_roster or (line.expected and line.status == "exempt"):
            exempt += 1
        elif line.expected:
            counts[line.status] += 1
    expected = sum(counts.values())
    attended = counts["present"] + counts["late"]
    late_entries = sum(1 for line in lines for r in line.history if r.late_entry)
    return {"expected": expected, "exempt": exempt, **counts,
            "rate": round(attended / expected, 4) if expected else None,
            "target": policy.target(study),
            "meets_target": (attended / expected >= policy.target(study)) if expected else None,
            "late_entries": late_entries,
            "others": sum(1 for line in lines if not line.expected and line.status in ATTENDED)}


# ---- a member's year


@dataclass(frozen=True)
class SessionLine:
    study: StudySession
    status: str
    row: AttendanceRow | None
    required: bool  # prescribed, or holding a must-watch item
    makeup: Makeup | None


def _must_watch_sessions(session: Session, sessions: list[StudySession]) -> set[int]:
    items = set(session.scalars(select(MustWatch.item_id)))
    if not items or not sessions:
        return set()
    return set(session.scalars(select(PlaylistEntry.session_id).where(
        PlaylistEntry.session_id.in_([s.id for s in sessions]),
        PlaylistEntry.item_id.in_(items))))


def member_year(session: Session, member: Member, year: int, policy: Policy,
                now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    zone = policy.zone
    first = datetime(year, 1, 1, tzinfo=zone)
    last = datetime(year + 1, 1, 1, tzinfo=zone)
    sessions = list(session.scalars(select(StudySession).where(
        StudySession.org_id == member.org_id, StudySession.cancelled_at.is_(None),
        StudySession.starts_at >= first, StudySession.starts_at < last)
        .order_by(StudySession.starts_at)))
    regular = [s for s in sessions if s.kind != SessionKind.MAKEUP.value]
    makeups = [s for s in sessions if s.kind == SessionKind.MAKEUP.value]
    rows = rows_of(session, [s.id for s in sessions])
    by_session: dict[int, list[AttendanceRow]] = defaultdict(list)
    for row in rows:
        if row.member_id == member.id:
            by_session[row.session_id].append(row)
    must_watch = _must_watch_sessions(session, regular)
    attended_makeups = {s.id for s in makeups
                        if _status(by_session[s.id]) in ATTENDED}
    lines: list[SessionLine] = []
    for study in regular:
        expected = _expects(session, study, member)
        standing = standing_rows(by_session[study.id]).get((member.id, ""))
        if not expected and standing is None:
            continue
        status = standing.status if standing else ("exempt" if not expected else
                                         "absent" if now >= study.ends_at else "pending")
        made = None
        if status in OWING:
            linked = [s.id for s in makeup_sessions_for(session, study)
                      if s.id in attended_makeups]
            made = makeup_of(session, study, member.id, policy, linked)
        required = study.kind == SessionKind.PRESCRIBED.value or study.id in must_watch
        lines.append(SessionLine(study, status, standing, required, made))
    attended = sum(1 for line in lines if line.status in ATTENDED)
    made_up = [line for line in lines if line.makeup is not None and line.makeup.done]
    owed = [line for line in lines if line.status in OWING
            and not (line.makeup and line.makeup.done)]
    still_open = [line for line in owed if line.makeup and line.makeup.until
                  and now <= line.makeup.until]
    missed = [line for line in owed if line.required]
    remaining = sum(1 for line in lines if line.status == "pending")
    counted = attended + len(made_up)
    return {"member_id": member.id, "name": member.name, "year": year,
            "expected_member": member.category in EXPECTED_CATEGORIES and not member.exempt,
            "sessions": len(lines), "attended": attended,
            "leave": sum(1 for line in lines if line.status == "leave"),
            "absent": sum(1 for line in lines if line.status == "absent"),
            "makeups_done": len(made_up), "makeups_owed": len(owed),
            "makeups_still_possible": len(still_open),
            "required_missed": len(missed), "counted": counted, "target": YEAR_TARGET,
            "remaining": remaining,
            "can_reach_target": counted + remaining + len(still_open) >= YEAR_TARGET,
            "lines": lines}


def _status(rows: list[AttendanceRow]) -> str:
    standing = [r for r in standing_rows(rows).values() if r.member_id is not None]
    return standing[-1].status if standing else ""


def _expects(session: Session, study: StudySession, member: Member) -> bool:
    roster = roster_of(session, study)
    return any(m.id == member.id for m in roster.expected)


def local_date(moment: datetime, policy: Policy) -> date:
    return moment.astimezone(policy.zone).date()


__all__ = ["REFUSED", "Standing", "member_year", "session_figures", "session_standings"]
