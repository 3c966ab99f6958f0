"""Make-ups proven by playback (issue 16.5), on real ledger rows: a member on leave
makes a session up by being sent ≥ 90 % of each of its items after it, under his own
account or at a group make-up session; half of one item, a playback before the session
or a file fetched at once (more media than real time allows) make up nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalog import attendance, planning, verification
from catalog.attendance import Policy
from catalog.db import Database
from catalog.evidence.ledger import format_at
from catalog.evidence.service import Evidence
from catalog.keyfile import load_key
from catalog.library.models import Item
from catalog.models import Member, OrgNode, StudySession
from catalog.org import demo_org
from catalog.settings import Settings

pytestmark = pytest.mark.ffmpeg


@dataclass
class Branch:
    db: Database
    evidence: Evidence
    service: attendance.Attendance
    policy: Policy
    items: list[Item]
    nodes: dict[str, int]
    member: int  # 张三
    session_id: int  # ended yesterday, 张三 on leave

    def write(self, kind: str, data: dict[str, Any]) -> Any:
        return self.evidence.writer.submit(kind, data).result(timeout=30)

    def watch(self, item: Item, share: float, opened_at: datetime, *,
              member: str | None = "user:zhangsan", session: str | None = None,
              seconds: float | None = None, station: str = "CG-001") -> None:
        """A playback as the server records one: its open row, then its close row with the
        media intervals sent and the watched seconds."""
        duration = float(item.duration or 0)
        sent = duration * share
        opened = self.write("playback.open", {
            "station": station, "client": "10.0.0.5", "user_agent": "test", "member": member,
            "session": session, "item_id": item.id, "title": item.title, "method": "direct",
            "opened_at": format_at(opened_at)})
        self.write("playback.close", {
            "open_seq": opened.seq, "item_id": item.id, "client": "10.0.0.5",
            "closed_at": format_at(opened_at + timedelta(seconds=sent)), "ended_by": "idle",
            "bytes_sent": 1000, "seconds": sent if seconds is None else seconds,
            "sent_seconds": sent, "wall_seconds": sent, "intervals": [[0.0, sent]],
            "played": None, "failure": None})

    def makeup(self) -> attendance.Makeup:
        with self.db.session() as session:
            study = session.get_one(StudySession, self.session_id)
            return attendance.makeup_of(session, study, self.member, self.policy)


@pytest.fixture
def branch(demo_db: Database, settings: Settings) -> Iterator[Branch]:
    evidence = Evidence(demo_db, settings, projectors=verification.projectors())
    policy = Policy.of(settings)
    with demo_db.transaction() as session:
        nodes = {name: node.id for name, node in demo_org.build(session).items()}
        items = list(session.scalars(select(Item).where(Item.kind == "video",
                                                        Item.duration > 0)
                                     .order_by(Item.id).limit(2)))
        home = session.get_one(OrgNode, nodes["东村党支部"])
        start = datetime.now(UTC) - timedelta(days=1, hours=4)
        study = planning.create_session(session, home, start, start + timedelta(hours=3),
                                        "上月主题党日")
        planning.set_playlist(session, study, [i.id for i in items])
        member = session.scalars(select(Member.id).where(Member.name == "张三")).one()
        session_id = study.id
    branch = Branch(demo_db, evidence, None, policy, items, nodes,  # type: ignore[arg-type]
                    member, session_id)
    branch.service = attendance.Attendance(demo_db, policy, load_key(settings.data_dir),
                                           branch.write)
    marked = branch.service.attempt(attendance.Attempt(
        session_id, "admin", "user:dongcun", member_id=member, status="leave",
        reason="外出务工"))
    assert marked.ok
    yield branch
    evidence.close()


def test_watching_95_percent_of_each_item_after_the_session_makes_it_up(branch: Branch
                                                                          ) -> None:
    after = datetime.now(UTC) - timedelta(hours=2)
    for item in branch.items:
        branch.watch(item, 0.95, after)
    found = branch.makeup()
    assert found.done and found.via == "playback"
    assert [round(c.share, 2) for c in found.items] == [0.95, 0.95]
    with branch.db.session() as session:
        member = session.get_one(Member, branch.member)
        year = attendance.member_year(session, member, after.astimezone(branch.policy.zone)
                                      .year, branch.policy)
    assert year["makeups_done"] == 1 and year["makeups_owed"] == 0


def test_two_halves_on_two_days_make_the_whole(branch: Branch) -> None:
    first, second = branch.items
    day = datetime.now(UTC) - timedelta(hours=20)
    branch.watch(first, 1.0, day)
    duration = float(second.duration or 0)
    opened = branch.write("playback.open", {
        "station": "CG-001", "client": "c", "user_agent": "t", "member": "user:zhangsan",
        "session": None, "item_id": second.id, "title": "", "method": "hls",
        "opened_at": format_at(day)})
    branch.write("playback.close", {
        "open_seq": opened.seq, "item_id": second.id, "client": "c",
        "closed_at": format_at(day), "ended_by": "idle", "bytes_sent": 1,
        "seconds": duration / 2, "intervals": [[duration / 2, duration]]})
    assert not branch.makeup().done
    branch.watch(second, 0.5, day + timedelta(hours=10))
    assert branch.makeup().done


def test_half_of_one_item_is_no_makeup(branch: Branch) -> None:
    after = datetime.now(UTC) - timedelta(hours=2)
    branch.watch(branch.items[0], 1.0, after)
    branch.watch(branch.items[1], 0.5, after)
    found = branch.makeup()
    assert not found.done and [round(c.share, 2) for c in found.items] == [1.0, 0.5]


def test_watching_before_the_session_does_not_count(branch: Branch) -> None:
    with branch.db.session() as session:
        study = session.get_one(StudySession, branch.session_id)
        before = study.starts_at - timedelta(days=2)
    for item in branch.items:
        branch.watch(item, 1.0, before)
    assert not branch.makeup().done


def test_a_file_fetched_at_once_counts_only_its_watched_seconds(branch: Branch) -> None:
    after = datetime.now(UTC) - timedelta(hours=2)
    for item in branch.items:  # the whole file sent, but in a second: 1 s watched
        branch.watch(item, 1.0, after, seconds=1.0)
    found = branch.makeup()
    assert not found.done and all(c.watched == 1.0 for c in found.items)


def test_another_members_playback_makes_nothing_up(branch: Branch) -> None:
    after = datetime.now(UTC) - timedelta(hours=2)
    for item in branch.items:
        branch.watch(item, 1.0, after, member="user:dongcun")
    assert not branch.makeup().done


def test_a_group_makeup_session_attended_with_its_items_played_makes_it_up(branch: Branch
                                                                           ) -> None:
    with branch.db.transaction() as session:
        home = session.get_one(OrgNode, branch.nodes["东村党支部"])
        start = datetime.now(UTC) - timedelta(minutes=20)
        group = planning.create_session(session, home, start, start + timedelta(hours=2),
                                        "春节流动党员集中补课", planning.SessionKind.MAKEUP)
        planning.link_makeup(session, group, [branch.session_id])
        group_id = group.id
    # Signed in at the make-up session, but nothing played yet: not made up.
    signed = branch.service.attempt(attendance.Attempt(
        group_id, "admin", "user:dongcun", member_id=branch.member, status="present"))
    assert signed.ok
    with branch.db.session() as session:
        member = session.get_one(Member, branch.member)
        year = start.astimezone(branch.policy.zone).year
        assert attendance.member_year(session, member, year, branch.policy)[
            "makeups_done"] == 0
    for item in branch.items:  # the station's TV plays them during the make-up session
        branch.watch(item, 1.0, start + timedelta(minutes=5), member=None,
                     session=str(group_id))
    with branch.db.session() as session:
        member = session.get_one(Member, branch.member)
        found = attendance.member_year(session, member, year, branch.policy)
    assert found["makeups_done"] == 1
    line = next(x for x in found["lines"] if x.study.id == branch.session_id)
    assert line.makeup is not None and line.makeup.via == "makeup_session"
    # The session's own attendance rate is unchanged by the make-up.
    with branch.db.session() as session:
        study = session.get_one(StudySession, branch.session_id)
        lines = attendance.session_standings(session, study, branch.policy)
        figures = attendance.session_figures(study, lines, branch.policy)
    assert figures["leave"] == 1 and figures["present"] == 0




def test_the_makeup_is_written_once_as_a_ledger_row_when_the_playback_closes(branch: Branch
                                                                             ) -> None:
    from web.attendance.makeup_watch import MakeupWatch

    watch = MakeupWatch(branch.service)
    try:
        after = datetime.now(UTC) - timedelta(hours=2)
        branch.watch(branch.items[0], 1.0, after)
        assert watch.check("user:zhangsan", None) == 0  # one item of two: not yet
        branch.watch(branch.items[1], 0.92, after)
        assert watch.check("user:zhangsan", None) == 1
        assert watch.check("user:zhangsan", None) == 0  # recorded once
        assert watch.check("user:dongcun", None) == 0
    finally:
        watch.close()
    with branch.db.session() as session:
        rows = session.scalars(select(attendance.models.AttendanceRow).where(
            attendance.models.AttendanceRow.kind == "makeup.done")).all()
        study = session.get_one(StudySession, branch.session_id)
        lines = attendance.session_standings(session, study, branch.policy)
    assert [(r.session_id, r.member_id, r.method) for r in rows] == [
        (branch.session_id, branch.member, "playback")]
    mine = next(line for line in lines if line.member and line.member.id == branch.member)
    assert mine.status == "leave" and "made_up" in mine.flags
