"""The five haves of a session (五个有, issue 17.5), computed from the ledger's
projections, never typed in: 事前有通告 the notice published before the start, 党员有签到
sign-ins, 播放有登记 playback recorded at the session's station within its span, 讨论有记录
minutes, 信息有反馈 feedback. Each is ``done``, ``missing`` or ``late``, with its time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.attendance import Policy, session_figures, session_standings
from catalog.evidence.models import Playback
from catalog.library.models import Item
from catalog.org.models import OrgNode
from catalog.org.tree import station_label
from catalog.planning.models import PlaylistEntry, StudySession
from catalog.records.entries import current
from catalog.records.rows import FEEDBACK, MINUTES

HAVES = ("notice", "signin", "playback", "minutes", "feedback")
# Playback this long before the start still belongs to the session (the TV warming up).
EARLY = timedelta(minutes=30)


@dataclass(frozen=True)
class Have:
    code: str
    state: str  # done, missing, late
    at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def session_playbacks(session: Session, study: StudySession) -> list[Playback]:
    """Playbacks at the session's station within its span, or in its TV mode."""
    at_session = [Playback.session == str(study.id)]
    station = session.get(OrgNode, study.station_id) if study.station_id else None
    if station is not None:
        at_session.append((Playback.station == station_label(station))
                          & (Playback.opened_at >= study.starts_at - EARLY)
                          & (Playback.opened_at <= study.ends_at))
    return list(session.scalars(select(Playback).where(or_(*at_session))
                                .order_by(Playback.opened_at)))


def five_haves(session: Session, study: StudySession, policy: Policy) -> list[Have]:
    return [_notice(study), _signin(session, study, policy), _playback(session, study),
            _record(session, study, MINUTES, "minutes"),
            _record(session, study, FEEDBACK, "feedback")]


def _notice(study: StudySession) -> Have:
    published = study.notice_published_at
    if published is None:
        return Have("notice", "missing")
    ahead = (study.starts_at - published).total_seconds() / 3600
    return Have("notice", "done" if published <= study.starts_at else "late", published,
                {"hours_before": round(ahead, 1)})


def _signin(session: Session, study: StudySession, policy: Policy) -> Have:
    lines = session_standings(session, study, policy)
    figures = session_figures(study, lines, policy)
    rows = [line.row for line in lines if line.row is not None
            and line.status in ("present", "late")]
    detail = {"count": len(rows), "expected": figures["expected"], "rate": figures["rate"],
              "target": figures["target"], "meets_target": figures["meets_target"],
              "late_entries": figures["late_entries"]}
    if not rows:
        return Have("signin", "missing", None, detail)
    first = min(r.at for r in rows)
    state = "late" if all(r.late_entry for r in rows) else "done"
    return Have("signin", state, first, detail)


def _playback(session: Session, study: StudySession) -> Have:
    planned = list(session.execute(
        select(Item.id, Item.title, Item.duration).join(
            PlaylistEntry, PlaylistEntry.item_id == Item.id)
        .where(PlaylistEntry.session_id == study.id).order_by(PlaylistEntry.position)))
    played = session_playbacks(session, study)
    played_ids = {p.item_id for p in played}
    detail = {"playbacks": len(played),
              "minutes_played": round(sum(p.seconds for p in played) / 60, 1),
              "minutes_planned": round(sum(d or 0 for _, _, d in planned) / 60, 1),
              "not_played": [{"item_id": i, "title": t} for i, t, _ in planned
                             if i not in played_ids]}
    if not played:
        return Have("playback", "missing", None, detail)
    return Have("playback", "done", played[0].opened_at, detail)


def _record(session: Session, study: StudySession, kind: str, code: str) -> Have:
    row = current(session, study.id, kind)
    if row is None:
        return Have(code, "missing")
    return Have(code, "late" if row.late_entry else "done", row.at,
                {"seq": row.seq, "at_event": row.at_event.isoformat(),
                 "late_entry": row.late_entry})
