"""The station rating (issue 18.3) on hand-built facts: a rubric change in the TOML
changes the ratings, a veto fails a station with 95 points, and a wrong rubric file is a
clear error, never a default quietly used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from catalog.errors import ConfigError
from catalog.org.models import OrgNode
from catalog.reports.facts import Facts, OrgFacts, SessionFacts
from catalog.reports.members import MemberYear
from catalog.reports.period import parse_period
from catalog.reports.rating import SHIPPED, load_rubric, score_org

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 12, 31, 12, tzinfo=UTC)


def _session(month: int, *, held: bool = True, complete: bool = True, rate: float = 0.9,
             late: int = 0) -> SessionFacts:
    start = datetime(2027, month, 10, 8, 30, tzinfo=ZONE)
    found = SessionFacts(month, 1, "prescribed", "", f"{month}月", start,
                         start + timedelta(hours=4), start - timedelta(days=3), 0.85,
                         True, True, roster=10, present=round(rate * 10) if held else 0,
                         playbacks=2 if held else 0, late_entries=late)
    if complete:
        found.minutes_state = found.feedback_state = "done"
    return found


def _facts(sessions: list[SessionFacts], admin: bool = True) -> tuple[Facts, OrgFacts]:
    org = OrgFacts(1, "东村党支部", 2, "城关镇", ["CG-001"], "/1/2/3/", 10, admin)
    node = OrgNode(id=3, kind="organization", name="东村党支部", path="/1/2/3/")
    return Facts(parse_period("2027", ZONE), node, {1: org}, sessions, NOW), org


def _members(n: int = 10, counted: int = 9) -> list[MemberYear]:
    return [MemberYear(i, 1, f"党员{i}", sessions=12, attended=counted) for i in range(n)]


def _rubric(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.toml"
    path.write_text(text, "utf-8")
    return path


def test_a_perfect_year_is_advanced_and_a_veto_fails_a_station_with_95_points() -> None:
    rubric = load_rubric()
    sessions = [_session(m) for m in range(1, 13)]
    sessions[0].late_entries = 1  # on time 11 of 12: 10 × 11/12 = 9.2 of on_time's 10
    facts, org = _facts(sessions)
    found = score_org(org, sessions, _members(), facts, rubric, {"management": 6})
    assert found.grade == "advanced" and not found.vetoes
    assert found.total == pytest.approx(20 + 15 + 20 + 15 + 10 + 9.2 + 6)
    facts, org = _facts(sessions, admin=False)
    vetoed = score_org(org, sessions, _members(), facts, rubric, {"management": 6})
    assert vetoed.total >= 95 and vetoed.grade == "lagging"
    assert [v.code for v, _ in vetoed.vetoes] == ["no_admin"]


def test_two_empty_months_and_an_empty_quarter_are_vetoes_with_their_months() -> None:
    rubric = load_rubric()
    sessions = [_session(m, held=m not in (4, 5, 6)) for m in range(1, 13)]
    facts, org = _facts(sessions)
    found = score_org(org, sessions, _members(), facts, rubric, {})
    vetoes = {v.code: evidence for v, evidence in found.vetoes}
    assert vetoes == {"no_study_quarter": ["2027-Q2"], "no_session_two_months":
                      ["2027-04", "2027-05"]}
    assert found.grade == "lagging"
    # One month without is no veto.
    sessions = [_session(m, held=m != 4) for m in range(1, 13)]
    facts, org = _facts(sessions)
    assert not score_org(org, sessions, _members(), facts, rubric, {}).vetoes


def test_a_rubric_change_in_the_toml_changes_the_rating(tmp_path: Path) -> None:
    sessions = [_session(m, complete=m > 6) for m in range(1, 13)]
    facts, org = _facts(sessions)
    shipped = score_org(org, sessions, _members(), facts, load_rubric(), {"management": 10})
    assert shipped.grade == "advanced"  # 20+15+20+7.5+10+10+10 = 92.5
    # An office that weighs the five haves at 50 and asks 95 for advanced.
    text = SHIPPED.read_text("utf-8")
    text = text.replace('measure = "complete_share"\nweight = 15',
                        'measure = "complete_share"\nweight = 50')
    text = text.replace('measure = "held_share"\nweight = 20', 'measure = "held_share"\nweight = 5')
    text = text.replace('measure = "meeting_share"\nweight = 20',
                        'measure = "meeting_share"\nweight = 5')
    text = text.replace('measure = "monthly_day_share"\nweight = 15',
                        'measure = "monthly_day_share"\nweight = 5')
    text = text.replace('measure = "on_time_share"\nweight = 10',
                        'measure = "on_time_share"\nweight = 15')
    text = text.replace("advanced = 80", "advanced = 95")
    changed = load_rubric(str(_rubric(tmp_path, text)))
    again = score_org(org, sessions, _members(), facts, changed, {"management": 10})
    assert again.points["five_haves"] == 25.0 and again.total == 75.0  # 5+5+5+25+10+15+10
    assert again.grade == "ordinary"


@pytest.mark.parametrize(("change", "said"), [
    (('weight = 10\n\n[[vetoes]]', 'weight = 11\n\n[[vetoes]]'), "add up to 101"),
    (('measure = "held_share"', 'measure = "happiness"'), "unknown measure 'happiness'"),
    (('rule = "no_admin"', 'rule = "no_coffee"'), "unknown rule 'no_coffee'"),
    (("[grades]", "[grades"), "rubric"),
])
def test_a_wrong_rubric_is_a_clear_error(tmp_path: Path, change: tuple[str, str],
                                         said: str) -> None:
    text = SHIPPED.read_text("utf-8")
    assert change[0] in text
    path = _rubric(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(ConfigError) as caught:
        load_rubric(str(path))
    assert caught.value.key in ("rubric_invalid", "rubric_unreadable")
    assert str(path) in caught.value.message("en")
    if said != "rubric":
        assert said in caught.value.message("en")
