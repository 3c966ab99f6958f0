"""Properties of the per-member year (issue 18.1): counted is attended plus make-ups done,
eight reached implies eight reachable, and the year's sessions split exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from catalog.reports.members import YEAR_TARGET, MemberYear


@st.composite
def years(draw: st.DrawFn) -> MemberYear:
    attended, leave, absent = (draw(st.integers(0, 12)) for _ in range(3))
    done = draw(st.integers(0, leave + absent))
    owed = leave + absent - done
    still = draw(st.integers(0, owed))
    return MemberYear(1, 1, "张三", sessions=attended + leave + absent, attended=attended,
                      leave=leave, absent=absent, makeups_done=done, makeups_owed=owed,
                      makeups_still_possible=still, required_missed=draw(st.integers(0, owed)),
                      remaining=draw(st.integers(0, 12)))


@given(years())
def test_counted_is_attended_plus_makeups_and_never_more_than_the_sessions(m: MemberYear
                                                                          ) -> None:
    assert m.counted == m.attended + m.makeups_done
    assert m.counted <= m.sessions
    assert m.meets_target == (m.counted >= YEAR_TARGET)


@given(years())
def test_reaching_eight_implies_it_can_be_reached(m: MemberYear) -> None:
    if m.meets_target:
        assert m.can_reach_target
    if not m.can_reach_target:
        assert m.counted + m.remaining + m.makeups_still_possible < YEAR_TARGET
