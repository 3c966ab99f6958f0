"""Each red flag (issue 18.5) fires on the pattern it names and stays quiet without it:
the per-session and run flags on hand-built facts; the device burst and the silent
station over the real app (tests/web/test_report_flags.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from catalog.org.models import OrgNode
from catalog.reports.facts import Facts, OrgFacts, SessionFacts
from catalog.reports.flags import late_bursts, session_flags
from catalog.reports.period import parse_period

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 12, 31, 12, tzinfo=UTC)


def _session(month: int, **changes: object) -> SessionFacts:
    start = datetime(2027, month, 10, 8, 30, tzinfo=ZONE)
    end = start + timedelta(hours=4)
    found = SessionFacts(month, 1, "prescribed", "", f"{month}月", start, end,
                         start - timedelta(days=3), 0.85, True, True, roster=10, present=9,
                         playbacks=3, seconds_played=7200, planned_seconds=7200,
                         minutes_state="done", feedback_state="done",
                         minutes_at=end + timedelta(hours=1),
                         feedback_at=end + timedelta(hours=2))
    for name, value in changes.items():
        setattr(found, name, value)
    return found


def _codes(sessions: list[SessionFacts]) -> list[str]:
    org = OrgFacts(1, "东村党支部", 2, "城关镇", ["CG-001"], "/1/2/3/", 10, True)
    node = OrgNode(id=3, kind="organization", name="东村党支部", path="/1/2/3/")
    facts = Facts(parse_period("2027", ZONE), node, {1: org}, sessions, NOW)
    return [f.code for f in session_flags(facts, record_late_days=7)]


def test_a_clean_year_raises_no_flag() -> None:
    assert _codes([_session(m) for m in range(1, 13)]) == []


START = datetime(2027, 3, 10, 8, 30, tzinfo=ZONE)
CASES: dict[str, tuple[Callable[[], SessionFacts], Callable[[], SessionFacts]]] = {
    "signin_after_session": (lambda: _session(3, late_entries=2),
                             lambda: _session(3, late_entries=0)),
    "signin_without_playback": (lambda: _session(3, playbacks=0, seconds_played=0.0),
                                # no sign-in and no playback: not held, but no such lead
                                lambda: _session(3, playbacks=0, seconds_played=0.0,
                                                 present=0)),
    "short_playback": (lambda: _session(3, seconds_played=3000.0),
                       lambda: _session(3, seconds_played=3700.0)),
    "notice_after_start": (lambda: _session(3, notice_published_at=START + timedelta(hours=1)),
                           lambda: _session(3, notice_published_at=START)),
    "record_late": (lambda: _session(3, feedback_at=START + timedelta(days=8)),
                    lambda: _session(3, feedback_at=START + timedelta(days=7))),
}


@pytest.mark.parametrize("code", list(CASES))
def test_a_session_flag_fires_and_stays_quiet(code: str) -> None:
    fires, quiet = CASES[code]
    assert _codes([fires()]) == [code]
    assert _codes([quiet()]) == []


def test_three_full_months_in_a_row_fire_and_two_or_a_gap_do_not() -> None:
    full = {"present": 10}
    assert _codes([_session(m, **full) for m in (3, 4, 5)]) == ["identical_full"]
    assert _codes([_session(m, **full) for m in (3, 4)]) == []
    assert _codes([_session(m, **full) for m in (3, 4, 6)]) == []  # May broke the run
    assert _codes([_session(3, **full), _session(4, present=9), _session(5, **full)]) == []


def test_five_late_entries_within_a_day_are_a_burst_and_spread_ones_are_not() -> None:
    at = datetime(2027, 6, 1, 20, tzinfo=UTC)
    burst = [(1, at + timedelta(hours=h)) for h in (0, 1, 5, 12, 23)]
    found = late_bursts(burst)
    assert [(f.code, f.org_id, f.detail["late_entries"]) for f in found] == [
        ("late_burst", 1, 5)]
    spread = [(1, at + timedelta(hours=h)) for h in (0, 1, 5, 12, 25)]
    assert late_bursts(spread) == []
    assert late_bursts([(o, at) for o in (1, 2, 3, 4, 5)]) == []  # five organizations
