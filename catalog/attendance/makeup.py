"""Make-ups (补课, issue 16.5), proven by playback: a member on leave or absent has made a
session up when the ledger shows that member was sent at least ``makeup_coverage`` of
each of its items within ``makeup_days`` after it.

Watched seconds are the playback evidence's (catalog/evidence/playbacks.py): the media
seconds sent, never faster than real time. Here they are joined across playbacks: of
each playback, its sent intervals from the start up to its watched seconds (a file
downloaded in a second counts a few seconds, not its length), then the union per item,
so watching one half today and the other tomorrow makes the whole. Two ways count:
playbacks under the member's own account (his phone), and a make-up session (kind
``makeup``) at a station that names the session, which the member attended, with the
items played at that station during it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.attendance.policy import Policy
from catalog.evidence.models import LedgerRow
from catalog.evidence.models import Playback as PlaybackRow
from catalog.evidence.playbacks import Spans
from catalog.library.models import Item
from catalog.org.models import OrgNode, User
from catalog.org.tree import station_label
from catalog.planning.models import PlaylistEntry, StudySession
from catalog.planning.sessions import SessionKind


@dataclass(frozen=True)
class ItemCoverage:
    item_id: int
    title: str
    duration: float
    watched: float

    @property
    def share(self) -> float:
        return self.watched / self.duration if self.duration else 0.0


@dataclass(frozen=True)
class Makeup:
    done: bool
    via: str = ""  # "playback" (own account) or "makeup_session"
    makeup_session: int | None = None
    items: list[ItemCoverage] = field(default_factory=list)
    until: datetime | None = None  # the last day it can still be made up


def session_items(session: Session, study: StudySession) -> list[Item]:
    """What a make-up must cover: the session's timed items (video and audio)."""
    return list(session.scalars(
        select(Item).join(PlaylistEntry, PlaylistEntry.item_id == Item.id)
        .where(PlaylistEntry.session_id == study.id, Item.kind.in_(("video", "audio")),
               Item.duration > 0).order_by(PlaylistEntry.position)))


def member_labels(session: Session, member_id: int) -> list[str]:
    """How the ledger names the member's own playbacks: his accounts."""
    return [f"user:{name}" for name in session.scalars(
        select(User.username).where(User.member_id == member_id))]


def watched_spans(session: Session, playbacks: Iterable[PlaybackRow]) -> dict[int, Spans]:
    """Per item, the union of the watched part of each closed playback."""
    union: dict[int, Spans] = {}
    for playback in playbacks:
        if playback.close_seq is None:
            continue
        payload = session.scalar(select(LedgerRow.payload).where(
            LedgerRow.ledger == playback.ledger, LedgerRow.seq == playback.close_seq))
        if payload is None:
            continue
        close = json.loads(payload)["data"]
        spans = union.setdefault(playback.item_id, Spans())
        budget = float(close.get("seconds") or 0.0)
        for start, end in close.get("intervals") or []:
            if budget <= 0:
                break
            end = min(float(end), float(start) + budget)
            spans.add(float(start), end)
            budget -= end - float(start)
    return union


def _coverage(items: list[Item], union: dict[int, Spans]) -> list[ItemCoverage]:
    return [ItemCoverage(i.id, i.title, float(i.duration or 0),
                         min(union[i.id].total if i.id in union else 0.0,
                             float(i.duration or 0))) for i in items]


def _covered(found: list[ItemCoverage], policy: Policy) -> bool:
    return bool(found) and all(c.share >= policy.makeup_coverage for c in found)


def makeup_of(session: Session, study: StudySession, member_id: int, policy: Policy,
              attended_makeups: Iterable[int] = ()) -> Makeup:
    """Whether ``member_id`` made ``study`` up. ``attended_makeups``: the make-up
    sessions naming ``study`` that the member attended (present or late)."""
    items = session_items(session, study)
    until = policy.makeup_until(study)
    own = member_labels(session, member_id)
    found: list[ItemCoverage] = _coverage(items, {})
    if items and own:
        playbacks = session.scalars(select(PlaybackRow).where(
            PlaybackRow.member.in_(own), PlaybackRow.item_id.in_([i.id for i in items]),
            PlaybackRow.opened_at >= study.ends_at, PlaybackRow.opened_at <= until)).all()
        found = _coverage(items, watched_spans(session, playbacks))
        if _covered(found, policy):
            return Makeup(True, "playback", None, found, until)
    for makeup_id in attended_makeups:
        group = session.get(StudySession, makeup_id)
        if group is None or group.starts_at < study.ends_at or group.starts_at > until:
            continue
        station = session.get(OrgNode, group.station_id) if group.station_id else None
        at_station = [PlaybackRow.session == str(group.id)]
        if station is not None:
            at_station.append(
                (PlaybackRow.station == station_label(station))
                & (PlaybackRow.opened_at >= group.starts_at - timedelta(minutes=30))
                & (PlaybackRow.opened_at <= group.ends_at))
        playbacks = session.scalars(select(PlaybackRow).where(
            PlaybackRow.item_id.in_([i.id for i in items]), or_(*at_station))).all()
        there = _coverage(items, watched_spans(session, playbacks))
        if _covered(there, policy):
            return Makeup(True, "makeup_session", group.id, there, until)
    return Makeup(False, "", None, found, until)


def makeup_sessions_for(session: Session, study: StudySession) -> list[StudySession]:
    """The make-up sessions of the same organization that name ``study``."""
    found = session.scalars(select(StudySession).where(
        StudySession.org_id == study.org_id, StudySession.kind == SessionKind.MAKEUP.value,
        StudySession.cancelled_at.is_(None))).all()
    return [s for s in found if study.id in (s.makes_up or [])]


def owed_makeups(session: Session, member_id: int, policy: Policy, now: datetime
                 ) -> list[tuple[StudySession, Makeup]]:
    """The member's sessions still open for a make-up that the ledger now shows made up
    and that have no ``makeup.done`` row yet: what to record."""
    from catalog.attendance.figures import standing_rows
    from catalog.attendance.groups import roster_of
    from catalog.attendance.models import AttendanceRow
    from catalog.attendance.rows import MAKEUP, OWING
    from catalog.org.models import Member

    member = session.get(Member, member_id)
    if member is None:
        return []
    since = now - timedelta(days=policy.makeup_days)
    candidates = session.scalars(select(StudySession).where(
        StudySession.org_id == member.org_id, StudySession.cancelled_at.is_(None),
        StudySession.ends_at >= since, StudySession.ends_at <= now,
        StudySession.kind != SessionKind.MAKEUP.value)).all()
    found = []
    for study in candidates:
        rows = list(session.scalars(select(AttendanceRow).where(
            AttendanceRow.session_id == study.id, AttendanceRow.member_id == member_id)
            .order_by(AttendanceRow.seq)))
        if any(r.kind == MAKEUP for r in rows):
            continue
        standing = standing_rows(rows).get((member_id, ""))
        if standing is None:
            expected = any(m.id == member_id for m in roster_of(session, study).expected)
            if not expected:
                continue
        elif standing.status not in OWING:
            continue
        attended = []
        for group in makeup_sessions_for(session, study):
            marks = standing_rows(list(session.scalars(select(AttendanceRow).where(
                AttendanceRow.session_id == group.id,
                AttendanceRow.member_id == member_id))))
            mark = marks.get((member_id, ""))
            if mark is not None and mark.status in ("present", "late"):
                attended.append(group.id)
        made = makeup_of(session, study, member_id, policy, attended)
        if made.done:
            found.append((study, made))
    return found


def members_of_playback(session: Session, member_label: str | None,
                        session_label: str | None) -> list[int]:
    """Whose make-ups a closed playback may complete: the member whose account watched,
    or the attendees of the make-up session it was played in."""
    from catalog.attendance.figures import standing_rows
    from catalog.attendance.models import AttendanceRow

    found: list[int] = []
    if member_label and member_label.startswith("user:"):
        found += [m for m in session.scalars(select(User.member_id).where(
            User.username == member_label[5:], User.member_id.is_not(None))) if m]
    if session_label and session_label.isdigit() and len(session_label) < 10:
        group = session.get(StudySession, int(session_label))
        if group is not None and group.kind == SessionKind.MAKEUP.value:
            rows = list(session.scalars(select(AttendanceRow).where(
                AttendanceRow.session_id == group.id)))
            found += [member for (member, _), row in standing_rows(rows).items()
                      if member is not None and row.status in ("present", "late")]
    return sorted(set(found))
