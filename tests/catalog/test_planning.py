"""Activity-day rules make each organization's sessions; moving one keeps the others;
must-watch items are due where and until they apply."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from catalog import planning
from catalog.db import Database
from catalog.errors import BadRequest
from catalog.models import ActivityRule, Item, LibraryRoot, StudySession
from catalog.org import demo_org

ZONE = ZoneInfo("Asia/Shanghai")


def test_rule_dates() -> None:
    assert planning.rule_dates("day:10", 2027) == [date(2027, m, 10) for m in range(1, 13)]
    assert planning.rule_dates("day:31", 2027)[1] == date(2027, 2, 28)
    assert planning.rule_dates("ending:6", 2027)[0] == date(2027, 1, 6)
    assert planning.rule_dates("ending:0", 2027)[0] == date(2027, 1, 10)
    mondays = planning.rule_dates("weekday:2:0", 2027)
    assert all(d.weekday() == 0 and 8 <= d.day <= 14 for d in mondays)
    for bad in ("day:32", "every tenth", "weekday:6:0", ""):
        with pytest.raises(BadRequest):
            planning.rule_dates(bad, 2027)


def test_a_town_rule_makes_twelve_sessions_per_organization(db: Database) -> None:
    with db.transaction() as session:
        nodes = demo_org.build(session)
        rule = planning.add_rule(session, nodes["城关镇"], 2027, "day:10", 8 * 60 + 30, 240)
        assert planning.apply_rule(session, rule, ZONE) == 24
    with db.session() as session:
        made = session.scalars(select(StudySession).order_by(StudySession.id)).all()
    by_org: dict[int, list[StudySession]] = {}
    for study in made:
        by_org.setdefault(study.org_id, []).append(study)
    assert len(by_org) == 2 and all(len(v) == 12 for v in by_org.values())
    for sessions in by_org.values():
        starts = [s.starts_at.astimezone(ZONE) for s in sessions]
        assert [(t.month, t.day, t.hour, t.minute) for t in starts] == [
            (m, 10, 8, 30) for m in range(1, 13)]
        assert all(s.ends_at - s.starts_at == timedelta(hours=4) for s in sessions)
        assert all(s.station_id is not None for s in sessions)

    march = next(s for s in made if s.starts_at.astimezone(ZONE).month == 3)
    with db.transaction() as session:
        study = planning.get_session(session, march.id)
        new_start = study.starts_at + timedelta(days=2)
        planning.move_session(study, new_start, new_start + timedelta(hours=4))
        again = session.get_one(ActivityRule, rule.id)
        assert planning.apply_rule(session, again, ZONE) == 0  # nothing doubled
    with db.session() as session:
        after = {s.id: s.starts_at for s in session.scalars(select(StudySession))}
    assert after[march.id] == new_start
    assert {k: v for k, v in after.items() if k != march.id} == {
        s.id: s.starts_at for s in made if s.id != march.id}


def test_must_watch_is_due_until_scheduled_before_its_deadline(db: Database) -> None:
    with db.transaction() as session:
        nodes = demo_org.build(session)
        root = LibraryRoot(path="/nowhere")
        session.add(root)
        session.flush()
        item = Item(root_id=root.id, rel_path="a.mp4", rel_path_raw=b"a.mp4", title="必看片",
                    title_source="filename", theme="party", rule_theme="party", kind="video",
                    size=1, mtime_ns=1, fingerprint="x", duration=600.0)
        session.add(item)
        session.flush()
        planning.mark_must_watch(session, item.id, nodes["城关镇"], date(2027, 3, 1),
                                 date(2027, 3, 31), [nodes["东村党支部"]])
        with pytest.raises(BadRequest):  # a town cannot send to another town
            planning.mark_must_watch(session, item.id, nodes["城关镇"], date(2027, 3, 1),
                                     date(2027, 3, 31), [nodes["河西村党支部"]])
        east, west = nodes["东村党支部"], nodes["西村党支部"]
        assert [i.title for _, i in planning.pending_must_watch(
            session, east, date(2027, 3, 5), ZONE)] == ["必看片"]
        assert planning.pending_must_watch(session, west, date(2027, 3, 5), ZONE) == []
        assert planning.pending_must_watch(session, east, date(2027, 4, 1), ZONE) == []
        start = planning.local(date(2027, 3, 20), 9 * 60, ZONE)
        study = planning.create_session(session, east, start, start + timedelta(hours=4),
                                        "三月活动")
        planning.set_playlist(session, study, [item.id])
        assert planning.pending_must_watch(session, east, date(2027, 3, 5), ZONE) == []
