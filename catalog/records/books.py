"""The station's record books (四簿一册, issue 17.6), generated from what the server
recorded when it happened: 收看记录 (viewing), 签到簿 (sign-ins), 讨论记录 (minutes),
信息反馈 (feedback), 节目下载/入库记录 (what scans added), 设备运行记录 (when the server
ran, from its playbacks and signed checkpoints) and 花名册 (the roster). One organization,
one period; each book is columns and rows, for the printed page and the XLSX alike."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.attendance import Policy, session_standings
from catalog.evidence.models import LedgerCheckpoint, LedgerRow, Playback
from catalog.library.models import Item, ScanRun
from catalog.library.themes import theme_label
from catalog.messages import message
from catalog.org.models import Member, OrgNode
from catalog.org.tree import Kind, category_label, children, station_label
from catalog.planning.models import StudySession
from catalog.planning.sessions import topic_label
from catalog.records.counting import Play, counted_seconds
from catalog.records.entries import current
from catalog.records.models import RecordRow
from catalog.records.rows import FEEDBACK, MINUTES, REPLY

BOOKS = ("viewing", "signin", "minutes", "feedback", "intake", "operation", "roster")


@dataclass(frozen=True)
class Book:
    code: str
    columns: list[tuple[str, str]]  # (key, header in the page's language)
    rows: list[dict[str, Any]]


def _columns(lang: str, *keys: str) -> list[tuple[str, str]]:
    return [(key, message(f"book_col_{key}", lang)) for key in keys]


def _sessions(session: Session, home: OrgNode, start: datetime, end: datetime
              ) -> list[StudySession]:
    return list(session.scalars(select(StudySession).where(
        StudySession.org_id == home.id, StudySession.starts_at >= start,
        StudySession.starts_at < end).order_by(StudySession.starts_at)))


def _stations(session: Session, home: OrgNode) -> list[str]:
    return [station_label(n) for n in children(session, home) if n.kind == Kind.STATION]


def _close_data(session: Session, playback: Playback) -> dict[str, Any]:
    if playback.close_seq is None:
        return {}
    payload = session.scalar(select(LedgerRow.payload).where(
        LedgerRow.ledger == playback.ledger, LedgerRow.seq == playback.close_seq))
    return dict(json.loads(payload)["data"]) if payload else {}


def viewing(session: Session, home: OrgNode, start: datetime, end: datetime, zone: ZoneInfo,
            lang: str, min_seconds: float = 120.0, cap_minutes: float = 60.0) -> Book:
    """Every playback at the organization's stations; open viewing counted by the rules
    (catalog/records/counting.py), shown once per item and day."""
    stations = _stations(session, home)
    titles = {s.id: s.title for s in _sessions(session, home, start, end)}
    found = list(session.scalars(select(Playback).where(
        Playback.station.in_(stations), Playback.opened_at >= start, Playback.opened_at < end)
        .order_by(Playback.opened_at))) if stations else []
    themes = dict(session.execute(select(Item.id, Item.theme).where(
        Item.id.in_({p.item_id for p in found}))).all()) if found else {}
    plays = []
    for p in found:
        if p.session is None:
            close = _close_data(session, p)
            intervals = [(float(a), float(b)) for a, b in close.get("intervals") or []]
            plays.append(Play(p.opened_at.astimezone(zone).date(), p.item_id, p.seconds,
                              intervals))
    counted = counted_seconds(plays, min_seconds, cap_minutes)
    shown: set[tuple[Any, int]] = set()
    rows = []
    for p in found:
        local = p.opened_at.astimezone(zone)
        session_id = int(p.session) if p.session and p.session.isdigit() else None
        if session_id is not None:
            counts = round(p.seconds / 60, 1)
        else:
            key = (local.date(), p.item_id)
            counts = round(counted.get(key, 0) / 60, 1) if key not in shown else 0.0
            shown.add(key)
        rows.append({"date": local.date().isoformat(), "time": local.strftime("%H:%M"),
                     "item": p.title, "theme": theme_label(themes.get(p.item_id, ""), lang)
                     if themes.get(p.item_id) else "", "minutes": round(p.seconds / 60, 1),
                     "counted": counts,
                     "session": titles.get(session_id or 0) or message("book_open_viewing",
                                                                        lang),
                     "who": p.member or p.station, "row": p.open_seq})
    return Book("viewing", _columns(lang, "date", "time", "item", "theme", "minutes", "counted",
                                    "session", "who", "row"), rows)


def signin(session: Session, home: OrgNode, start: datetime, end: datetime, zone: ZoneInfo,
           lang: str, policy: Policy) -> Book:
    rows = []
    for study in _sessions(session, home, start, end):
        for line in session_standings(session, study, policy):
            row = line.row
            rows.append({
                "date": study.starts_at.astimezone(zone).date().isoformat(),
                "session": study.title,
                "name": line.member.name if line.member else line.guest,
                "status": message(f"attendance_status_{line.status}", lang),
                "method": message(f"attendance_method_{row.method}", lang) if row else "",
                "time": row.at_event.astimezone(zone).strftime("%H:%M") if row else "",
                "written": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if row else "",
                "late_entry": message("yes_word", lang) if row and row.late_entry else "",
                "flags": " ".join(message(f"attendance_flag_{f}", lang) for f in line.flags),
                "row": row.seq if row else ""})
    return Book("signin", _columns(lang, "date", "session", "name", "status", "method", "time",
                                   "written", "late_entry", "flags", "row"), rows)


def _record_rows(session: Session, home: OrgNode, start: datetime, end: datetime, kind: str
                 ) -> list[tuple[StudySession, RecordRow, int]]:
    out = []
    for study in _sessions(session, home, start, end):
        row = current(session, study.id, kind)
        if row is not None:
            versions = len(session.scalars(select(RecordRow.seq).where(
                RecordRow.session_id == study.id, RecordRow.kind == kind)).all())
            out.append((study, row, versions))
    return out


def minutes(session: Session, home: OrgNode, start: datetime, end: datetime, zone: ZoneInfo,
            lang: str) -> Book:
    names = dict(session.execute(select(Member.id, Member.name).where(
        Member.org_id == home.id)).all())
    rows = []
    for study, row, versions in _record_rows(session, home, start, end, MINUTES):
        body = row.body
        rows.append({"date": study.starts_at.astimezone(zone).date().isoformat(),
                     "session": study.title,
                     "topics": "、".join(topic_label(t, lang) for t in body.get("topics", [])),
                     "speakers": "、".join(names.get(m, str(m)) for m in body.get("speakers", [])),
                     "summary": body.get("summary", ""), "decisions": body.get("decisions", ""),
                     "written": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                     "late_entry": message("yes_word", lang) if row.late_entry else "",
                     "versions": versions, "row": row.seq})
    return Book("minutes", _columns(lang, "date", "session", "topics", "speakers", "summary",
                                    "decisions", "written", "late_entry", "versions", "row"),
                rows)


def feedback(session: Session, home: OrgNode, start: datetime, end: datetime, zone: ZoneInfo,
             lang: str) -> Book:
    rows = []
    for study, row, _ in _record_rows(session, home, start, end, FEEDBACK):
        replies = session.scalars(select(RecordRow).where(
            RecordRow.kind == REPLY, RecordRow.replies_to == row.seq)
            .order_by(RecordRow.seq)).all()
        body = row.body
        rows.append({"date": study.starts_at.astimezone(zone).date().isoformat(),
                     "session": study.title, "how_it_went": body.get("how_it_went", ""),
                     "opinions": body.get("opinions", ""), "requests": body.get("requests", ""),
                     "problems": body.get("problems", ""),
                     "replies": "；".join(f"{r.actor}：{r.body.get('text', '')}"
                                         for r in replies),
                     "written": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                     "late_entry": message("yes_word", lang) if row.late_entry else "",
                     "row": row.seq})
    return Book("feedback", _columns(lang, "date", "session", "how_it_went", "opinions",
                                     "requests", "problems", "replies", "written",
                                     "late_entry", "row"), rows)


def intake(session: Session, start: datetime, end: datetime, zone: ZoneInfo, lang: str
           ) -> Book:
    found = session.scalars(select(ScanRun).where(
        ScanRun.started_at >= start, ScanRun.started_at < end).order_by(ScanRun.started_at))
    rows = [{"started": r.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
             "finished": r.finished_at.astimezone(zone).strftime("%H:%M")
             if r.finished_at else "", "status": r.status, "added": r.added,
             "updated": r.updated, "removed": r.removed, "errors": r.errors}
            for r in found]
    return Book("intake", _columns(lang, "started", "finished", "status", "added", "updated",
                                   "removed", "errors"), rows)


def operation(session: Session, home: OrgNode, ledger: str, start: datetime, end: datetime,
              zone: ZoneInfo, lang: str) -> Book:
    """Per day: the first and last playback at the stations, how many and how long, and
    the checkpoints the server signed (a stop is a ``shutdown`` one; ``recovered`` one
    after a crash), from which its running is read."""
    stations = _stations(session, home)
    days: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "first": "", "last": "", "playbacks": 0, "minutes": 0.0, "checkpoints": []})
    for p in (session.scalars(select(Playback).where(
            Playback.station.in_(stations), Playback.opened_at >= start,
            Playback.opened_at < end).order_by(Playback.opened_at)) if stations else []):
        local = p.opened_at.astimezone(zone)
        day = days[local.date().isoformat()]
        day["first"] = day["first"] or local.strftime("%H:%M")
        day["last"] = local.strftime("%H:%M")
        day["playbacks"] += 1
        day["minutes"] += p.seconds / 60
    for at, reason in session.execute(select(LedgerCheckpoint.at, LedgerCheckpoint.reason)
                                      .where(LedgerCheckpoint.ledger == ledger)):
        moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=ZoneInfo("UTC"))
        if start <= moment < end and reason in ("shutdown", "recovered"):
            local = moment.astimezone(zone)
            days[local.date().isoformat()]["checkpoints"].append(
                f"{local:%H:%M} {message(f'book_checkpoint_{reason}', lang)}")
    rows = [{"date": day, "first": v["first"], "last": v["last"], "playbacks": v["playbacks"],
             "minutes": round(v["minutes"], 1), "events": "；".join(v["checkpoints"])}
            for day, v in sorted(days.items())]
    return Book("operation", _columns(lang, "date", "first", "last", "playbacks", "minutes",
                                      "events"), rows)


def roster(session: Session, home: OrgNode, lang: str) -> Book:
    found = session.scalars(select(Member).where(Member.org_id == home.id)
                            .order_by(Member.name, Member.id))
    rows = [{"name": m.name, "category": category_label(m.category, lang), "phone": m.phone,
             "exempt": message("yes_word", lang) if m.exempt else "", "note": m.note}
            for m in found]
    return Book("roster", _columns(lang, "name", "category", "phone", "exempt", "note"), rows)


def book(session: Session, code: str, home: OrgNode, start: datetime, end: datetime,
         zone: ZoneInfo, lang: str, policy: Policy, ledger: str,
         counting: tuple[float, float] = (120.0, 60.0)) -> Book:
    """``counting``: (viewing_min_seconds, viewing_cap_minutes) for open viewing."""
    if code == "viewing":
        return viewing(session, home, start, end, zone, lang, *counting)
    if code == "signin":
        return signin(session, home, start, end, zone, lang, policy)
    if code == "minutes":
        return minutes(session, home, start, end, zone, lang)
    if code == "feedback":
        return feedback(session, home, start, end, zone, lang)
    if code == "intake":
        return intake(session, start, end, zone, lang)
    if code == "operation":
        return operation(session, home, ledger, start, end, zone, lang)
    return roster(session, home, lang)
