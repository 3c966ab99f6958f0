"""An organization's study groups and who a session expects (issue 16.1).

A session expects its organization's full and probationary members; an elective session
with a group only that group's. Members marked exempt on the roster (免于参加组织生活)
are listed apart and left out of the rate. Everyone else who signs in (mobile members,
activists, reserve cadres, farmers, villagers, guests) is listed but not expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.attendance.models import GroupMember, MemberGroup
from catalog.errors import BadRequest
from catalog.org.models import Member
from catalog.org.tree import Category
from catalog.planning.models import StudySession
from catalog.planning.sessions import SessionKind

EXPECTED_CATEGORIES = frozenset({Category.FULL.value, Category.PROBATIONARY.value})
MAX_GROUP_NAME = 100


def groups(session: Session, org_id: int) -> list[tuple[MemberGroup, list[int]]]:
    found = session.scalars(select(MemberGroup).where(MemberGroup.org_id == org_id)
                            .order_by(MemberGroup.name)).all()
    members: dict[int, list[int]] = {g.id: [] for g in found}
    for group_id, member_id in session.execute(
            select(GroupMember.group_id, GroupMember.member_id)
            .where(GroupMember.group_id.in_(members)).order_by(GroupMember.member_id)):
        members[group_id].append(member_id)
    return [(g, members[g.id]) for g in found]


def set_group(session: Session, org_id: int, name: str, member_ids: Sequence[int]
              ) -> MemberGroup:
    """Make or replace the group ``name`` of the organization with these members, who
    must be on its roster. An empty list keeps the group, empty."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_GROUP_NAME:
        raise BadRequest("bad_name", field="name", value=name[:40], limit=MAX_GROUP_NAME)
    wanted = set(member_ids)
    on_roster = set(session.scalars(select(Member.id).where(Member.org_id == org_id,
                                                            Member.id.in_(wanted))))
    if wanted - on_roster:
        raise BadRequest("group_member_unknown",
                         member_id=", ".join(str(m) for m in sorted(wanted - on_roster)))
    group = session.scalars(select(MemberGroup).where(MemberGroup.org_id == org_id,
                                                      MemberGroup.name == name)).first()
    if group is None:
        group = MemberGroup(org_id=org_id, name=name)
        session.add(group)
        session.flush()
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    session.add_all(GroupMember(group_id=group.id, member_id=m) for m in sorted(wanted))
    session.flush()
    return group


@dataclass(frozen=True)
class Roster:
    """A session's people: who it expects, who is exempt, and everyone on the roster."""

    expected: list[Member]
    exempt: list[Member]
    everyone: dict[int, Member]


def roster_of(session: Session, study: StudySession) -> Roster:
    members = session.scalars(select(Member).where(Member.org_id == study.org_id)
                              .order_by(Member.name, Member.id)).all()
    eligible = [m for m in members if m.category in EXPECTED_CATEGORIES]
    if study.kind == SessionKind.ELECTIVE.value and study.group_name:
        in_group = set(session.scalars(
            select(GroupMember.member_id).join(MemberGroup)
            .where(MemberGroup.org_id == study.org_id,
                   MemberGroup.name == study.group_name)))
        eligible = [m for m in eligible if m.id in in_group]
    return Roster([m for m in eligible if not m.exempt], [m for m in eligible if m.exempt],
                  {m.id: m for m in members})
