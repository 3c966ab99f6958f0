"""What the reports should say, computed from the raw rows and nothing else: every table
read whole with a plain ``select``, the rules applied in Python loops one session and one
person at a time. Written apart from catalog/reports and catalog/attendance/figures (it
imports neither, nor their constants: the rules below are restated from the issue and
docs/ledger.md), so that tests/reports/test_facts_city.py compares two ways of reaching
the same figures rather than one way twice.

The rules (issue 16.1, 16.6, 17.5, 18.1):
- a session counts when it is not cancelled and starts in the period (local days);
- it expects the full and probationary members of its organization not exempt on the
  roster; an elective naming a group, only that group's (none if the group is gone);
- the mark in force per person (a member, or a guest by name): of the sign-in, mark and
  correction rows, the latest by seq that no row names as the one it replaces;
- expected members marked exempt leave the denominator; unmarked at the end = absent;
- others: people in force present or late whom the session does not expect;
- late entries: sign-in, mark, correction and make-up rows flagged so;
- playback: at its station from 30 minutes before the start to the end, both ends
  included, or tagged with the session (its TV mode), each playback once;
- minutes and feedback: the latest row not superseded; late when it is a late entry;
- the five haves: notice done when published at or before the start, late after, missing
  never; sign-in missing when nobody signed in, late when every sign-in in force is a
  late entry; playback done or missing; minutes and feedback as above;
- a member's year: the regular (not make-up) sessions expecting him, not marked exempt,
  ended or marked; leave and absent owe a make-up unless a ``makeup.done`` row names
  him and the session; one owed on a required session (prescribed, or with a must-watch
  item in its playlist) is a required session missed; counted = attended + made up.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from catalog.attendance.models import AttendanceRow, GroupMember, MemberGroup
from catalog.db import Database
from catalog.evidence.models import Playback
from catalog.library.models import Item
from catalog.org.models import Member, OrgNode
from catalog.planning.models import MustWatch, PlaylistEntry, StudySession
from catalog.records.models import RecordRow

MARKING = {"attendance.signin", "attendance.mark", "attendance.correct"}
MAKEUP = "makeup.done"
EXPECTED = {"full", "probationary"}
EARLY = timedelta(minutes=30)
MAKEUP_DAYS = 60  # Policy.makeup_days's default
ZONE = ZoneInfo("Asia/Shanghai")


class Rows:
    """Every row of the tables the reports read, as plain dicts."""

    def __init__(self, db: Database) -> None:
        with db.engine.connect() as connection:
            def read(model: Any) -> list[dict[str, Any]]:
                return [dict(r) for r in connection.execute(
                    select(model.__table__)).mappings()]

            self.nodes = {n["id"]: n for n in read(OrgNode)}
            self.members = {m["id"]: m for m in read(Member)}
            self.groups = read(MemberGroup)
            self.group_members = read(GroupMember)
            self.sessions = read(StudySession)
            self.playlist = read(PlaylistEntry)
            self.items = {i["id"]: i for i in read(Item)}
            self.must_watch = read(MustWatch)
            self.attendance = read(AttendanceRow)
            self.playbacks = read(Playback)
            self.records = read(RecordRow)


def _in_force(rows: list[dict[str, Any]]) -> dict[tuple[Any, str], dict[str, Any]]:
    """Per (member id or None, guest name or ""): the marking row in force."""
    replaced = set()
    for row in rows:
        if row["replaces_seq"] is not None:
            replaced.add((row["ledger"], row["replaces_seq"]))
    found: dict[tuple[Any, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["seq"]):
        if row["kind"] not in MARKING or (row["ledger"], row["seq"]) in replaced:
            continue
        key = (row["member_id"], "" if row["member_id"] is not None else row["guest_name"])
        found[key] = row
    return found


def _expected(data: Rows, study: dict[str, Any]) -> set[int]:
    found = set()
    for member in data.members.values():
        if (member["org_id"] == study["org_id"] and member["category"] in EXPECTED
                and not member["exempt"]):
            found.add(member["id"])
    if study["kind"] == "elective" and study["group_name"]:
        groups = [g["id"] for g in data.groups
                  if g["org_id"] == study["org_id"] and g["name"] == study["group_name"]]
        in_group = {gm["member_id"] for gm in data.group_members if gm["group_id"] in groups}
        found &= in_group
    return found


def _label(data: Rows, station_id: int | None) -> str | None:
    if station_id is None or station_id not in data.nodes:
        return None
    station = data.nodes[station_id]
    return station["code"] or f"station-{station['id']}"


def _record_state(rows: list[dict[str, Any]]) -> str:
    superseded = {r["supersedes_seq"] for r in rows if r["supersedes_seq"] is not None}
    standing = [r for r in sorted(rows, key=lambda r: r["seq"]) if r["seq"] not in superseded]
    if not standing:
        return "missing"
    return "late" if standing[-1]["late_entry"] else "done"


def _scoped(data: Rows, prefix: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    found = []
    for study in data.sessions:
        org = data.nodes.get(study["org_id"])
        if org is None or not org["path"].startswith(prefix):
            continue
        if study["cancelled_at"] is not None:
            continue
        if start <= study["starts_at"] < end:
            found.append(study)
    return found


def oracle_sessions(db: Database | Rows, node_path_prefix: str, start: datetime,
                    end: datetime, now: datetime) -> dict[int, dict[str, Any]]:
    data = db if isinstance(db, Rows) else Rows(db)
    attendance: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in data.attendance:
        attendance[row["session_id"]].append(row)
    records: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in data.records:
        records[(row["session_id"], row["kind"])].append(row)
    by_station: dict[str, list[dict[str, Any]]] = defaultdict(list)
    tagged: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for playback in data.playbacks:
        by_station[playback["station"]].append(playback)
        if playback["session"] is not None:
            tagged[playback["session"]].append(playback)
    out: dict[int, dict[str, Any]] = {}
    for study in _scoped(data, node_path_prefix, start, end):
        sid = study["id"]
        ended = now >= study["ends_at"]
        expected = _expected(data, study)
        counts = dict.fromkeys(("exempt", "present", "late", "leave", "absent"), 0)
        others = 0
        signins = []
        for (member_id, _guest), row in _in_force(attendance[sid]).items():
            status = row["status"]
            if member_id is not None and member_id in expected:
                if status in counts:
                    counts[status] += 1
                if status in ("present", "late"):
                    signins.append(row)
            elif status in ("present", "late"):
                others += 1
                signins.append(row)
        roster = len(expected)
        wanted = roster - counts["exempt"]
        attended = counts["present"] + counts["late"]
        unmarked = wanted - attended - counts["leave"] - counts["absent"]
        absent = counts["absent"] + (unmarked if ended else 0)
        late_entries = 0
        for row in attendance[sid]:
            if (row["kind"] in MARKING or row["kind"] == MAKEUP) and row["late_entry"]:
                late_entries += 1
        played = {}
        label = _label(data, study["station_id"])
        if label is not None:
            for p in by_station[label]:
                if study["starts_at"] - EARLY <= p["opened_at"] <= study["ends_at"]:
                    played[(p["ledger"], p["open_seq"])] = p
        for p in tagged[str(sid)]:
            played[(p["ledger"], p["open_seq"])] = p
        planned = 0.0
        for entry in data.playlist:
            if entry["session_id"] == sid:
                planned += data.items[entry["item_id"]]["duration"] or 0.0
        notice = study["notice_published_at"]
        haves = {
            "notice": ("missing" if notice is None else
                       "done" if notice <= study["starts_at"] else "late"),
            "signin": ("missing" if not signins else
                       "late" if all(r["late_entry"] for r in signins) else "done"),
            "playback": "done" if played else "missing",
            "minutes": _record_state(records[(sid, "minutes.entered")]),
            "feedback": _record_state(records[(sid, "feedback.sent")]),
        }
        out[sid] = {
            "org_id": study["org_id"], "kind": study["kind"], "ended": ended,
            "roster": roster, "exempt": counts["exempt"], "expected": wanted,
            "present": counts["present"], "late": counts["late"], "leave": counts["leave"],
            "absent": absent, "others": others,
            "rate": round(attended / wanted, 4) if wanted else None,
            "late_entries": late_entries, "playbacks": len(played),
            "seconds_played": sum(p["seconds"] for p in played.values()),
            "planned_seconds": planned, "held": bool(signins) and bool(played),
            "haves": haves}
    return out


def oracle_members(db: Database | Rows, node_path_prefix: str, year: int,
                   now: datetime) -> dict[int, dict[str, Any]]:
    data = db if isinstance(db, Rows) else Rows(db)
    start = datetime(year, 1, 1, tzinfo=ZONE)
    end = datetime(year + 1, 1, 1, tzinfo=ZONE)
    studies = [s for s in _scoped(data, node_path_prefix, start, end) if s["kind"] != "makeup"]
    attendance: dict[int, list[dict[str, Any]]] = defaultdict(list)
    made_up = set()
    for row in data.attendance:
        attendance[row["session_id"]].append(row)
        if row["kind"] == MAKEUP and row["member_id"] is not None:
            made_up.add((row["session_id"], row["member_id"]))
    must_watch = {m["item_id"] for m in data.must_watch}
    required = {s["id"] for s in studies if s["kind"] == "prescribed"}
    for entry in data.playlist:
        if entry["item_id"] in must_watch:
            required.add(entry["session_id"])
    out: dict[int, dict[str, Any]] = {}
    for member in data.members.values():
        org = data.nodes[member["org_id"]]
        if (not org["path"].startswith(node_path_prefix) or member["category"] not in EXPECTED
                or member["exempt"]):
            continue
        out[member["id"]] = dict.fromkeys(
            ("sessions", "attended", "leave", "absent", "makeups_done", "makeups_owed",
             "makeups_still_possible", "required_missed", "remaining"), 0)
    for study in studies:
        marks = _in_force(attendance[study["id"]])
        for member_id in _expected(data, study):
            line = out.get(member_id)
            if line is None:
                continue
            row = marks.get((member_id, ""))
            status = row["status"] if row is not None else None
            if status == "exempt":
                continue
            if status is None and now < study["ends_at"]:
                line["remaining"] += 1
                continue
            line["sessions"] += 1
            status = status or "absent"
            if status in ("present", "late"):
                line["attended"] += 1
                continue
            line[status] += 1
            if (study["id"], member_id) in made_up:
                line["makeups_done"] += 1
                continue
            line["makeups_owed"] += 1
            if now <= study["ends_at"] + timedelta(days=MAKEUP_DAYS):
                line["makeups_still_possible"] += 1
            if study["id"] in required:
                line["required_missed"] += 1
    for line in out.values():
        line["counted"] = line["attended"] + line["makeups_done"]
    return out
