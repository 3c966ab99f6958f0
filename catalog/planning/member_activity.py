"""What a member's own page shows (issue 14.7): the coming sessions of his organization
with their notices, the must-watch items due for it, and what he watched.

"What he watched" is read from the playbacks table, the ledger's projection: the rows
whose ``member`` is one of the accounts of his member record (``user:NAME``, as
catalog.org.scope.Principal.label writes it), with their watched seconds (docs/ledger.md,
Watched seconds). A playback at the station's TV is the station's, not his.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog import planning
from catalog.evidence.models import Playback
from catalog.library.models import Item
from catalog.org.models import Member, OrgNode, User
from catalog.planning.models import StudySession

COMING_SESSIONS = 10
WATCHED_ROWS = 50


@dataclass(frozen=True)
class Coming:
    study: StudySession
    station: OrgNode | None

    @property
    def cancelled(self) -> bool:
        return self.study.cancelled_at is not None

    @property
    def notice_open(self) -> bool:
        """The member may open the notice: published, of a session still taking place."""
        return self.study.notice_published_at is not None and not self.cancelled


@dataclass(frozen=True)
class Due:
    item: Item
    deadline: date
    watched_seconds: float  # by him, over all his playbacks of the item


@dataclass(frozen=True)
class Activity:
    coming: list[Coming]
    due: list[Due]
    watched: list[Playback]  # newest first, at most WATCHED_ROWS
    watched_total: int  # how many playbacks he has in all


def ledger_names(session: Session, member: Member) -> list[str]:
    """How the ledger names the member's accounts."""
    names = session.scalars(select(User.username).where(User.member_id == member.id))
    return [f"user:{name}" for name in names]


def coming_sessions(session: Session, home: OrgNode, now: datetime,
                    limit: int = COMING_SESSIONS) -> list[Coming]:
    """The organization's sessions that have not ended, soonest first."""
    rows = session.scalars(select(StudySession)
                           .where(StudySession.org_id == home.id, StudySession.ends_at >= now)
                           .order_by(StudySession.starts_at, StudySession.id).limit(limit))
    return [Coming(study, session.get(OrgNode, study.station_id) if study.station_id
                   else None) for study in rows]


def seconds_by_item(session: Session, names: Sequence[str],
                    item_ids: Sequence[int]) -> dict[int, float]:
    if not names or not item_ids:
        return {}
    rows = session.execute(select(Playback.item_id, func.sum(Playback.seconds))
                           .where(Playback.member.in_(names), Playback.item_id.in_(item_ids))
                           .group_by(Playback.item_id))
    return {item_id: float(seconds or 0) for item_id, seconds in rows}


def activity(session: Session, member: Member, home: OrgNode, now: datetime,
             zone: ZoneInfo) -> Activity:
    names = ledger_names(session, member)
    due = planning.due_for(session, home, now.astimezone(zone).date(), zone)
    seconds = seconds_by_item(session, names, [item.id for _, item, _ in due])
    watched: list[Playback] = []
    total = 0
    if names:
        mine = Playback.member.in_(names)
        watched = list(session.scalars(select(Playback).where(mine)
                                       .order_by(Playback.opened_at.desc(),
                                                 Playback.open_seq.desc())
                                       .limit(WATCHED_ROWS)))
        total = session.scalar(select(func.count()).select_from(Playback).where(mine)) or 0
    return Activity(coming=coming_sessions(session, home, now),
                    due=[Due(item, must.deadline, seconds.get(item.id, 0.0))
                         for must, item, _ in due],
                    watched=watched, watched_total=total)
