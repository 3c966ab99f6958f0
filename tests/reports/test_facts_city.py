"""The reports' query layer (catalog/reports/facts.py, issue 18.1) on a generated city
(tests/yj_city.py: 3 towns, 12 organizations, ~400 members, a year of sessions and their
evidence) against an independent count from the raw rows (tests/reports_oracle.py), field
by field, for the city, a town and two organizations (one whose station has no code, one
without a station), over a year, a quarter and two months (April starts with sessions
at 07:00 local, the day before in UTC; October has sessions in progress at ``now`` and
ahead of it). Also against the session pages' figures (catalog/attendance/figures.py) and
five haves (catalog/records/five_haves.py) on a sample, and the member years
(catalog/reports/members.py). SQLite and PostgreSQL, the city made once per backend."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reports_oracle import Rows, oracle_members, oracle_sessions
from sqlalchemy import create_engine, text
from yj_city import ZONE, City, generate_city
from yj_testing import make_settings

from catalog import records
from catalog.attendance import Policy, session_figures, session_standings
from catalog.db import Database
from catalog.models import OrgNode, StudySession
from catalog.reports.facts import Facts, SessionFacts, load
from catalog.reports.period import parse_period

PERIODS = ("2027", "2027-Q2", "2027-04", "2027-10")
NODES = ("city", "town", "org-no-code", "org-no-station")
FIELDS = ("org_id", "kind", "ended", "roster", "exempt", "expected", "present", "late",
          "leave", "absent", "others", "rate", "late_entries", "playbacks",
          "planned_seconds", "held")
HAVES = ("notice", "signin", "playback", "minutes", "feedback")


@dataclass
class Town:
    db: Database
    city: City
    rows: Rows  # the oracle's copy of every row, read once


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def town(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Town]:
    folder = tmp_path_factory.mktemp(f"city-{request.param}")
    engine = None
    schema = f"yj_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'catalog.sqlite3'}"
    else:  # a schema of its own, as tests/conftest.py's db_url does
        admin = request.getfixturevalue("pg_admin_url")
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{admin}?options=-csearch_path%3D{schema}"
    db = Database.open(make_settings(folder / "data", url))
    try:
        city = generate_city(db)
        yield Town(db, city, Rows(db))
    finally:
        db.close()
        if engine is not None:
            with engine.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()


def _node_id(city: City, which: str) -> int:
    if which == "city":
        return city.city_id
    if which == "town":  # the town of the organization whose station has no code
        return next(t for t, orgs in city.orgs_of_town.items()
                    if city.no_station_code[0] in orgs)
    if which == "org-no-code":
        return city.no_station_code[0]
    return city.no_station[0]


def _load(town: Town, which: str, period_text: str) -> tuple[Facts, dict[int, Any]]:
    period = parse_period(period_text, ZONE)
    with town.db.session() as session:
        node = session.get_one(OrgNode, _node_id(town.city, which))
        found = load(session, node, period, Policy(), town.city.now)
        path = node.path
    expected = oracle_sessions(town.rows, path, period.start, period.end, town.city.now)
    return found, expected


def _facts_fields(facts: SessionFacts) -> dict[str, Any]:
    return {"org_id": facts.org_id, "kind": facts.kind, "ended": facts.ended,
            "roster": facts.roster, "exempt": facts.exempt, "expected": facts.expected,
            "present": facts.present, "late": facts.late, "leave": facts.leave,
            "absent": facts.absent, "others": facts.others, "rate": facts.rate,
            "late_entries": facts.late_entries, "playbacks": facts.playbacks,
            "planned_seconds": facts.planned_seconds, "held": facts.held,
            "seconds_played": facts.seconds_played, "haves": facts.haves()}


def _differences(sid: int, got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    wrong = [f"session {sid} {name}: facts {got[name]!r}, oracle {want[name]!r}"
             for name in FIELDS if got[name] != want[name]]
    if not math.isclose(got["seconds_played"], want["seconds_played"], abs_tol=0.01):
        wrong.append(f"session {sid} seconds_played: facts {got['seconds_played']}, "
                     f"oracle {want['seconds_played']}")
    wrong += [f"session {sid} haves[{have}]: facts {got['haves'][have]}, "
              f"oracle {want['haves'][have]}"
              for have in HAVES if got["haves"][have] != want["haves"][have]]
    return wrong


@pytest.mark.parametrize("period_text", PERIODS)
@pytest.mark.parametrize("which", NODES)
def test_sessions_match_the_oracle(town: Town, which: str, period_text: str) -> None:
    found, expected = _load(town, which, period_text)
    got = {s.id: s for s in found.sessions}
    assert set(got) == set(expected), (
        f"sessions only in facts: {sorted(set(got) - set(expected))[:10]}; "
        f"only in the oracle: {sorted(set(expected) - set(got))[:10]}")
    assert expected, "the period holds sessions"
    wrong = [line for sid in sorted(got)
             for line in _differences(sid, _facts_fields(got[sid]), expected[sid])]
    assert not wrong, f"{len(wrong)} differences:\n" + "\n".join(wrong[:20])


@pytest.mark.parametrize("which", NODES)
def test_organizations_and_their_rosters(town: Town, which: str) -> None:
    found, _ = _load(town, which, "2027")
    path = found.node.path
    rows = town.rows
    orgs = {n["id"]: n for n in rows.nodes.values()
            if n["kind"] == "organization" and n["path"].startswith(path)}
    assert set(found.orgs) == set(orgs)
    for org_id, org in found.orgs.items():
        members = [m for m in rows.members.values() if m["org_id"] == org_id
                   and m["category"] in ("full", "probationary") and not m["exempt"]]
        stations = [n["code"] or f"station-{n['id']}" for n in rows.nodes.values()
                    if n["kind"] == "station" and n["parent_id"] == org_id]
        assert org.members == len(members), org.name
        assert sorted(org.stations) == sorted(stations), org.name
        assert org.town_id == orgs[org_id]["parent_id"]


def test_the_city_holds_the_cases_it_is_made_for(town: Town) -> None:
    """Otherwise the comparisons above could pass on a city with nothing hard in it."""
    year = parse_period("2027", ZONE)
    found = oracle_sessions(town.rows, f"/{town.city.city_id}/", year.start, year.end,
                            town.city.now)
    states = {(have, s["haves"][have]) for s in found.values() for have in HAVES}
    for have in HAVES:
        assert (have, "done") in states and (have, "missing") in states, have
    for have in ("notice", "signin", "minutes", "feedback"):
        assert (have, "late") in states, have
    ended = [s for s in found.values() if s["ended"]]
    running = [s for s in found.values()
               if not s["ended"] and s["present"] + s["late"] > 0]
    assert running, "a session in progress at now, with sign-ins"
    assert any(s["roster"] == 0 for s in found.values())  # an elective's group is gone
    assert any(s["exempt"] for s in ended) and any(s["others"] for s in ended)
    assert any(s["late_entries"] for s in ended)
    assert any(not s["held"] and s["present"] for s in ended)  # signed in, nothing played
    assert any(not s["held"] and s["playbacks"] for s in ended)  # played, nobody signed
    kinds = {s["kind"] for s in found.values()}
    assert {"prescribed", "elective", "makeup", "july1"} <= kinds
    # The future has no rows.
    future = {s["id"] for s in town.rows.sessions if s["starts_at"] > town.city.now}
    assert future and not any(r["session_id"] in future for r in town.rows.attendance)
    assert not any(r["session_id"] in future for r in town.rows.records)
    assert not any(r["opened_at"] > town.city.now for r in town.rows.playbacks)
    seqs = ([r["seq"] for r in town.rows.attendance] + [r["seq"] for r in town.rows.records]
            + [r["open_seq"] for r in town.rows.playbacks]
            + [r["close_seq"] for r in town.rows.playbacks if r["close_seq"]])
    assert len(seqs) == len(set(seqs))
    corrected = [r for r in town.rows.attendance if r["replaces_seq"] is not None]
    replaced = {r["replaces_seq"] for r in corrected}
    assert any(r["seq"] in replaced for r in corrected)  # a correction corrected


def test_facts_agree_with_the_session_pages(town: Town) -> None:
    """The per-session implementation the pages use (figures, five haves) on a sample."""
    found, _ = _load(town, "city", "2027")
    policy = Policy()
    sample = found.sessions[::5]
    wrong = []
    with town.db.session() as session:
        for facts in sample:
            study = session.get_one(StudySession, facts.id)
            figures = session_figures(study, session_standings(
                session, study, policy, town.city.now), policy)
            mine = {"expected": facts.expected, "present": facts.present,
                    "late": facts.late, "leave": facts.leave, "rate": facts.rate,
                    "others": facts.others, "late_entries": facts.late_entries,
                    "absent": facts.absent,
                    "pending": 0 if facts.ended else facts.unmarked}
            wrong += [f"session {facts.id} {k}: facts {v!r}, figures {figures[k]!r}"
                      for k, v in mine.items() if figures[k] != v]
            # five_haves reads no ``now``; of its states only the sign-in's could depend
            # on one, and it does not (it reads the rows in force).
            haves = {h.code: h.state for h in records.five_haves(session, study, policy)}
            wrong += [f"session {facts.id} {k}: facts {v}, five haves {haves[k]}"
                      for k, v in facts.haves().items() if haves[k] != v]
    assert len(sample) > 30
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("which", ["city", "org-no-code"])
def test_member_years_match_the_oracle(town: Town, which: str) -> None:
    from catalog.reports.members import member_years

    policy = Policy()
    period = parse_period("2027", ZONE)
    with town.db.session() as session:
        node = session.get_one(OrgNode, _node_id(town.city, which))
        found = member_years(session, load(session, node, period, policy, town.city.now),
                             policy)
        path = node.path
    expected = oracle_members(town.rows, path, 2027, town.city.now)
    assert set(found) == set(expected)
    wrong = []
    for member_id, want in expected.items():
        line = found[member_id]
        got = {k: getattr(line, k) for k in want}
        wrong += [f"member {member_id} {k}: member_years {got[k]}, oracle {want[k]}"
                  for k in want if got[k] != want[k]]
    assert not wrong, f"{len(wrong)} differences:\n" + "\n".join(wrong[:20])


def test_invariants_of_every_session_of_the_city(town: Town) -> None:
    found, _ = _load(town, "city", "2027")
    for facts in found.sessions:
        _check_invariants(facts)


def _check_invariants(facts: SessionFacts) -> None:
    assert facts.rate is None or 0 <= facts.rate <= 1
    assert (facts.rate is None) == (facts.expected == 0)
    assert facts.unmarked >= 0 and facts.expected >= 0
    counted = facts.present + facts.late + facts.leave + facts.absent
    if facts.ended:
        assert counted == facts.expected
    else:
        assert counted + facts.unmarked == facts.expected
    assert facts.signed_in == facts.attended + facts.others
    assert facts.held == (facts.signed_in > 0 and facts.playbacks > 0)
    haves = facts.haves()
    assert set(haves) == set(HAVES)
    assert all(state in ("done", "missing", "late") for state in haves.values())
    assert (haves["signin"] == "missing") == (facts.signed_in == 0)
    assert (haves["playback"] == "done") == (facts.playbacks > 0)
    assert facts.complete == all(state == "done" for state in haves.values())


COUNT = st.integers(0, 40)


@given(roster=COUNT, shares=st.lists(COUNT, min_size=5, max_size=5), others=COUNT,
       playbacks=st.integers(0, 5), ended=st.booleans(), late_only=st.booleans(),
       notice=st.sampled_from([None, -3600, 0, 3600]))
def test_session_facts_properties(roster: int, shares: list[int], others: int,
                                  playbacks: int, ended: bool, late_only: bool,
                                  notice: int | None) -> None:
    """Any consistent counts (exempt, present, late, leave and marked absent among the
    roster) give a rate in [0, 1] or None and add up to the expected once ended."""
    from datetime import datetime, timedelta

    starts = datetime(2027, 3, 10, 0, 30, tzinfo=ZONE)
    left = roster
    taken = []
    for share in shares:
        take = min(share, left)
        taken.append(take)
        left -= take
    exempt, present, late, leave, absent = taken
    facts = SessionFacts(id=1, org_id=1, kind="prescribed", group_name="", title="",
                         starts_at=starts, ends_at=starts + timedelta(hours=4),
                         notice_published_at=(None if notice is None
                                              else starts + timedelta(seconds=notice)),
                         target=0.85, ended=ended, started=True, roster=roster, exempt=exempt,
                         present=present, late=late, leave=leave, marked_absent=absent,
                         others=others, playbacks=playbacks,
                         attended_late_only=late_only and present + late + others > 0)
    _check_invariants(facts)
    assert facts.expected == roster - exempt
    assert facts.haves()["notice"] == ("missing" if notice is None else
                                       "late" if notice > 0 else "done")


def test_the_overview_of_the_city_is_the_oracle_summed_by_organization(town: Town) -> None:
    """The per-organization figures (overview, issue 18.1) summed from the oracle's own
    sessions, apart from catalog/reports/builders.py."""
    from statistics import fmean

    from catalog.reports.builders import Context, overview

    now = town.city.now
    period = parse_period("2027", ZONE)
    with town.db.session() as session:
        node = session.get_one(OrgNode, town.city.city_id)
        facts = load(session, node, period, Policy(), now)
        got = {r["org_id"]: r for r in overview(session, facts, Context(Policy(), 180, now)).rows}
    expected = oracle_sessions(town.rows, f"/{town.city.city_id}/", period.start, period.end,
                               now)
    starts = {s["id"]: s["starts_at"] for s in town.rows.sessions}
    by_org: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for sid, s in expected.items():
        by_org.setdefault(s["org_id"], []).append((sid, s))
    assert set(got) >= set(by_org)
    for org_id, found in by_org.items():
        regular = [(sid, s) for sid, s in found if s["kind"] != "makeup"]
        due = [(sid, s) for sid, s in regular if starts[sid] <= now]
        held = [s for _, s in due if s["held"]]
        rated = [s for s in held if s["rate"] is not None]
        meets = [s for s in rated if (s["present"] + s["late"]) / s["expected"]
                 >= (0.75 if s["kind"] == "elective" else 0.85)]
        line = got[org_id]
        assert line["planned"] == len(regular) and line["due"] == len(due)
        assert line["held"] == len(held)
        assert line["mean_rate"] == (round(fmean(s["rate"] for s in rated), 4) if rated
                                     else None)
        assert line["meeting_share"] == (round(len(meets) / len(rated), 4) if rated
                                         else None)
        complete = [s for _, s in due if all(v == "done" for v in s["haves"].values())]
        assert line["complete_share"] == (round(len(complete) / len(due), 4) if due else None)
        assert line["late_entries"] == sum(s["late_entries"] for _, s in found)
