"""Per member and year (issue 18.1): sessions attended against the eight a year, required
(prescribed or must-watch) sessions missed without a make-up, make-ups owed and done, and
whether eight can still be reached, for every member under a node, in a few queries.

The same rules as catalog/attendance/figures.py member_year, which reads one member; a
make-up is done when its ``makeup.done`` row is in the ledger (the make-up watcher writes
it the moment the playback that completes it closes)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.attendance.groups import EXPECTED_CATEGORIES
from catalog.attendance.models import GroupMember, MemberGroup
from catalog.attendance.policy import Policy
from catalog.org.models import Member, OrgNode
from catalog.planning.models import MustWatch, PlaylistEntry, StudySession
from catalog.planning.sessions import SessionKind
from catalog.reports.facts import Facts, scoped_sessions, standing_query

YEAR_TARGET = 8


@dataclass
class MemberYear:
    id: int
    org_id: int
    name: str
    sessions: int = 0  # expected at, held or not, up to now
    attended: int = 0
    leave: int = 0
    absent: int = 0
    makeups_done: int = 0
    makeups_owed: int = 0
    makeups_still_possible: int = 0
    required_missed: int = 0
    remaining: int = 0  # sessions still ahead this year

    @property
    def counted(self) -> int:
        return self.attended + self.makeups_done

    @property
    def meets_target(self) -> bool:
        return self.counted >= YEAR_TARGET

    @property
    def can_reach_target(self) -> bool:
        return self.counted + self.remaining + self.makeups_still_possible >= YEAR_TARGET


def member_years(session: Session, facts: Facts, policy: Policy) -> dict[int, MemberYear]:
    """Every expected member under the node, over the facts' sessions (give it a year)."""
    node = facts.node
    members = {i: MemberYear(i, org_id, name) for i, org_id, name in session.execute(
        select(Member.id, Member.org_id, Member.name).join(OrgNode, OrgNode.id == Member.org_id)
        .where(OrgNode.path.startswith(node.path), Member.category.in_(EXPECTED_CATEGORIES),
               Member.exempt.is_(False)).order_by(Member.org_id, Member.name, Member.id))}
    groups: dict[tuple[int, str], set[int]] = defaultdict(set)
    for org_id, name, member_id in session.execute(
            select(MemberGroup.org_id, MemberGroup.name, GroupMember.member_id)
            .join(GroupMember, GroupMember.group_id == MemberGroup.id)
            .join(OrgNode, OrgNode.id == MemberGroup.org_id)
            .where(OrgNode.path.startswith(node.path))):
        groups[(org_id, name)].add(member_id)
    regular = facts.regular()
    scope = scoped_sessions(node, facts.period).where(
        StudySession.kind != SessionKind.MAKEUP.value)
    required = _required(session, scope)
    ranked = standing_query(scope.subquery())
    status: dict[tuple[int, int], str] = {
        (sid, mid): st for sid, mid, st in session.execute(
            select(ranked.c.session_id, ranked.c.member_id, ranked.c.status)
            .where(ranked.c.rn == 1, ranked.c.member_id.is_not(None)))}
    by_org: dict[int, list[int]] = defaultdict(list)
    for member in members.values():
        by_org[member.org_id].append(member.id)
    until = timedelta(days=policy.makeup_days)
    for study in regular:
        if study.kind == SessionKind.ELECTIVE.value and study.group_name:
            expected = [m for m in by_org[study.org_id]
                        if m in groups[(study.org_id, study.group_name)]]
        else:
            expected = by_org[study.org_id]
        for member_id in expected:
            line = members[member_id]
            mark = status.get((study.id, member_id))
            if mark == "exempt":
                continue
            if mark is None and not study.ended:
                line.remaining += 1
                continue
            line.sessions += 1
            mark = mark or "absent"
            if mark in ("present", "late"):
                line.attended += 1
                continue
            if mark == "leave":
                line.leave += 1
            else:
                line.absent += 1
            if (study.id, member_id) in facts.makeups:
                line.makeups_done += 1
                continue
            line.makeups_owed += 1
            if facts.now <= study.ends_at + until:
                line.makeups_still_possible += 1
            if study.id in required:
                line.required_missed += 1
    return members


def _required(session: Session, scope: Any) -> set[int]:
    """Prescribed sessions, and those whose playlist holds a must-watch item."""
    found = set(session.scalars(scope.where(
        StudySession.kind == SessionKind.PRESCRIBED.value)))
    found |= set(session.scalars(select(PlaylistEntry.session_id).where(
        PlaylistEntry.session_id.in_(scope),
        PlaylistEntry.item_id.in_(select(MustWatch.item_id)))))
    return found
