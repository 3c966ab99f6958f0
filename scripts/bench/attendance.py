#!/usr/bin/env python3
"""Attendance on a large branch: how fast marks are written (each a ledger row with its
projection, checked for nonce and duplicates first) and how long a session's figures, its
five haves and a member's year take to compute.

    .venv/bin/python scripts/bench/attendance.py [--members 100 500 2000]
    .venv/bin/python scripts/bench/attendance.py --smoke     # a second, for the test

SQLite in a temporary directory. Prints figures only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from catalog import attendance, org, planning, records
from catalog.attendance.projection import project
from catalog.db import Database
from catalog.evidence.ledger import Entry, Event, append
from catalog.models import Member, StudySession
from catalog.settings import load_settings

STATUSES = ("present", "present", "present", "late", "leave", "absent")


def run(members: int, folder: Path) -> None:
    settings = load_settings({"data_dir": str(folder / f"d{members}")}, environ={})
    db = Database.open(settings)

    def write(kind: str, data: dict[str, Any]) -> Entry:
        with db.engine.begin() as connection:
            entries = append(connection, "BENCH", [Event(kind, data)])
            project(connection, entries)
        return entries[0]

    policy = attendance.Policy()
    service = attendance.Attendance(db, policy, b"k" * 32, write)
    with db.transaction() as session:
        city = org.ensure_city(session)
        home = org.add_node(session, org.add_node(session, city, "镇"), "支部")
        org.add_node(session, home, "站点", "B-001")
        ids = [org.add_member(session, home, org.MemberFields(
            f"党员{n}", f"139{n:08d}", org.Category.FULL, False)).id for n in range(members)]
        start = datetime.now(UTC) - timedelta(minutes=10)
        study = planning.create_session(session, home, start, start + timedelta(hours=3), "活动")
        study_id = study.id
    began = time.perf_counter()
    for n, member_id in enumerate(ids):
        status = STATUSES[n % len(STATUSES)]
        done = service.attempt(attendance.Attempt(
            study_id, "admin", "user:bench", member_id=member_id, status=status,
            reason="事由" if status == "leave" else "", nonce=f"n{n}"))
        assert done.ok
    took = time.perf_counter() - began
    with db.session() as session:
        study = session.get_one(StudySession, study_id)
        t0 = time.perf_counter()
        figures = attendance.session_figures(study, attendance.session_standings(
            session, study, policy), policy)
        t1 = time.perf_counter()
        records.five_haves(session, study, policy)
        t2 = time.perf_counter()
        member = session.get_one(Member, ids[0])
        attendance.member_year(session, member, start.year, policy)
        t3 = time.perf_counter()
    print(f"{members:>5} members: marks {members / took:7.0f} rows/s; figures "
          f"{(t1 - t0) * 1000:6.0f} ms; five haves {(t2 - t1) * 1000:6.0f} ms; a member's "
          f"year {(t3 - t2) * 1000:5.0f} ms (rate {figures['rate']})")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    if args.smoke:
        args.members = [30]
    with tempfile.TemporaryDirectory() as folder:
        for count in args.members:
            run(count, Path(folder))


if __name__ == "__main__":
    main()
