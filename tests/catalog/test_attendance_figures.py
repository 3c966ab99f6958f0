"""The figures of a session (issue 16.6) against an independent count, on generated
rosters and marks (hypothesis): every mark goes through the real sign-in code into a
real ledger and its projection; the count below reads only what was generated."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import attendance, org, planning
from catalog.attendance.projection import project
from catalog.db import Database
from catalog.evidence.ledger import Entry, Event, append
from catalog.models import StudySession

CATEGORIES = [c.value for c in org.Category]
MARKS = st.one_of(st.none(), st.sampled_from(attendance.STATUSES))
PERSON = st.tuples(st.sampled_from(CATEGORIES), st.booleans(), MARKS, MARKS, st.booleans())
_names = itertools.count()


def _writer(db: Database) -> Any:
    def write(kind: str, data: dict[str, Any]) -> Entry:
        with db.engine.begin() as connection:
            entries = append(connection, "PROP", [Event(kind, data)])
            project(connection, entries)
        return entries[0]

    return write


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(PERSON, min_size=1, max_size=10), ended=st.booleans(),
       elective=st.booleans())
def test_session_figures_match_an_independent_count(db: Database, people: list[Any],
                                                    ended: bool, elective: bool) -> None:
    policy = attendance.Policy()
    service = attendance.Attendance(db, policy, b"k" * 32, _writer(db))
    n = next(_names)
    with db.transaction() as session:
        city = org.ensure_city(session)
        town = org.add_node(session, city, f"镇{n}")
        home = org.add_node(session, town, f"支部{n}")
        ids = []
        for i, (category, exempt, _, _, _) in enumerate(people):
            member = org.add_member(session, home, org.MemberFields(
                f"人{i}", f"1390000{i:04d}", org.Category(category), exempt))
            ids.append(member.id)
        group = [ids[i] for i, person in enumerate(people) if person[4]]
        if elective:
            attendance.set_group(session, home.id, "小组", group)
        start = datetime.now(UTC) - (timedelta(hours=3) if ended else timedelta(minutes=10))
        study = planning.create_session(
            session, home, start, start + timedelta(hours=2), "活动",
            planning.SessionKind.ELECTIVE if elective else planning.SessionKind.PRESCRIBED,
            group_name="小组" if elective else "")
        study_id = study.id
    for member_id, (_, _, mark, correction, _) in zip(ids, people, strict=True):
        if mark is None:
            continue
        done = service.attempt(attendance.Attempt(
            study_id, "admin", "user:test", member_id=member_id, status=mark,
            reason="事由" if mark == "leave" else ""))
        assert done.ok, done.refusal
        if correction is not None:
            assert service.correct(done.seq or 0, correction, "更正", "user:test").ok

    # The independent count, from what was generated alone.
    want = dict.fromkeys(("present", "late", "leave", "absent", "pending"), 0)
    exempt = 0
    for member_id, (category, on_roster_exempt, mark, correction, _) in zip(
            ids, people, strict=True):
        eligible = category in ("full", "probationary") and (
            not elective or member_id in group)
        if not eligible:
            continue
        # A correction exists only of a mark (none was made for an unmarked member).
        final = (correction if mark is not None else None) or mark or (
            "absent" if ended else "pending")
        if on_roster_exempt or final == "exempt":
            exempt += 1
        else:
            want[final] += 1
    expected = sum(want.values())
    with db.session() as session:
        study = session.get_one(StudySession, study_id)
        got = attendance.session_figures(study, attendance.session_standings(
            session, study, policy), policy)
    assert {k: got[k] for k in want} == want
    assert got["expected"] == expected and got["exempt"] == exempt
    rate = (want["present"] + want["late"]) / expected if expected else None
    assert got["rate"] == (round(rate, 4) if rate is not None else None)
    assert got["target"] == (0.75 if elective else 0.85)
