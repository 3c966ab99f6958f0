"""The policy's rule checks, each positive and negative; auto-compose's properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.planning.compose import Candidate, Request, compose, theme_minimums
from catalog.planning.rules import ERROR, WARNING, Due, Entry, SessionFacts, check

START = datetime(2027, 3, 10, 0, 30, tzinfo=UTC)
THEMES = ["politics", "party", "policy", "technology", "culture"]


def entry(n: int, theme: str = "party", minutes: float = 50, present: bool = True,
          playable: bool = True) -> Entry:
    return Entry(n, f"课件{n}", theme, minutes * 60, present, playable)


GOOD = SessionFacts(
    kind="prescribed", starts_at=START, ends_at=START + timedelta(hours=4),
    discussion_minutes=30, notice_published_at=START - timedelta(days=3),
    entries=[entry(1, "party"), entry(2, "policy"), entry(3, "technology", 60)],
    due=[Due(2, "课件2", date(2027, 3, 31), False)], overlapping=[])


def codes(facts: SessionFacts, now: datetime = START - timedelta(days=1)) -> dict[str, str]:
    return {f.code: f.severity for f in check(facts, now)}


def test_a_good_session_passes_every_rule() -> None:
    assert codes(GOOD) == {}


def test_length_of_half_a_day() -> None:
    short = replace(GOOD, entries=GOOD.entries[:2])  # 100 + 30 minutes
    assert codes(short) == {"length": ERROR}
    assert "130 分钟" in check(short, START)[0].message()
    assert codes(replace(short, discussion_minutes=80)) == {}  # 180 exactly
    assert codes(replace(short, min_minutes=120)) == {}


def test_at_least_two_themes_unless_special() -> None:
    one_theme = replace(GOOD, entries=[entry(1), entry(2, minutes=60), entry(3, minutes=40)],
                        due=[])
    assert codes(one_theme) == {"themes": ERROR}
    assert codes(replace(one_theme, kind="special")) == {}


def test_every_due_must_watch_item_is_scheduled() -> None:
    due = [*GOOD.due, Due(9, "必看片", date(2027, 3, 15), False)]
    assert codes(replace(GOOD, due=due)) == {"must_watch": ERROR}
    assert "2027-03-15" in check(replace(GOOD, due=due), START)[0].message()
    # Scheduled in another session before its deadline: nothing to add here.
    elsewhere = [*GOOD.due, Due(9, "必看片", date(2027, 3, 15), True)]
    assert codes(replace(GOOD, due=elsewhere)) == {}


def test_every_item_present_and_playable() -> None:
    gone = replace(GOOD, entries=[*GOOD.entries, entry(7, present=False)])
    assert codes(gone) == {"missing": ERROR}
    document = replace(GOOD, entries=[*GOOD.entries, entry(8, playable=False)])
    assert codes(document) == {"unplayable": WARNING}


def test_no_overlapping_sessions_at_the_station() -> None:
    assert codes(replace(GOOD, overlapping=["西村3月主题党日"])) == {"overlap": ERROR}


def test_the_notice_is_published_before_the_start() -> None:
    unpublished = replace(GOOD, notice_published_at=None)
    assert codes(unpublished) == {"notice": WARNING}  # still time
    assert codes(unpublished, now=START + timedelta(minutes=1)) == {"notice": ERROR}
    late = replace(GOOD, notice_published_at=START + timedelta(minutes=5))
    assert codes(late, now=START + timedelta(hours=1)) == {"notice": ERROR}


def test_messages_exist_in_both_languages() -> None:
    bad = replace(GOOD, entries=[entry(7, present=False)], overlapping=["x"],
                  notice_published_at=None, due=[Due(9, "t", date(2027, 4, 1), False)])
    for finding in check(bad, START):
        assert finding.message("zh") != finding.message("en")


# ---- auto-compose

candidate = st.builds(
    Candidate, item_id=st.integers(1, 10_000), theme=st.sampled_from(THEMES),
    seconds=st.floats(60, 45 * 60), shown_recently=st.booleans())
weights = st.dictionaries(st.sampled_from(THEMES), st.integers(0, 5), min_size=2).filter(
    lambda w: sum(1 for v in w.values() if v > 0) >= 2)


@st.composite
def catalogs(draw: st.DrawFn) -> tuple[list[Candidate], Request]:
    """A catalog that allows a good playlist: besides anything else, every weighted theme
    has short items (≤ 5 minutes) adding up past the whole target."""
    wanted = draw(weights)
    target = draw(st.integers(60, 200)) * 60.0
    items = draw(st.lists(candidate, max_size=40, unique_by=lambda c: c.item_id))
    next_id = 20_000
    for theme, weight in wanted.items():
        if weight <= 0:
            continue
        total = 0.0
        while total < target:
            seconds = draw(st.floats(60, 300))
            items.append(Candidate(next_id, theme, seconds))
            next_id += 1
            total += seconds
    due_pool = [c for c in items if wanted.get(c.theme, 0) > 0]
    due = draw(st.lists(st.sampled_from(due_pool), max_size=3, unique_by=lambda c: c.item_id))
    # Due items that together overrun the target are not a catalog that "allows it".
    while sum(c.seconds for c in due) > target * 0.6:
        due.pop()
    return items, Request(target, wanted, [c.item_id for c in due])


@settings(max_examples=150, deadline=None)
@given(catalogs())
def test_compose_meets_length_must_watch_and_theme_minimums(
        case: tuple[list[Candidate], Request]) -> None:
    items, request = case
    proposal = compose(items, request)
    ids = [c.item_id for c in proposal.choices]
    assert len(ids) == len(set(ids))
    assert abs(proposal.seconds - request.target_seconds) <= 0.05 * request.target_seconds
    assert set(request.must_watch) <= set(ids)
    have = proposal.theme_seconds()
    for theme, minimum in theme_minimums(request).items():
        assert have.get(theme, 0.0) >= minimum - 1e-6, (theme, have, minimum)
    assert all(c.reason for c in proposal.choices)


@settings(max_examples=60, deadline=None)
@given(catalogs(), st.randoms(use_true_random=False))
def test_compose_is_deterministic_whatever_the_input_order(
        case: tuple[list[Candidate], Request], rng: object) -> None:
    items, request = case
    shuffled = list(items)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert compose(items, request) == compose(shuffled, request)


def test_compose_prefers_what_the_station_has_not_shown() -> None:
    fresh = [Candidate(n, "party" if n % 2 else "policy", 600) for n in range(1, 11)]
    stale = [Candidate(n, c.theme, c.seconds, shown_recently=True)
             for n, c in zip(range(11, 21), fresh, strict=True)]
    proposal = compose(stale + fresh, Request(3600, {"party": 1, "policy": 1}))
    assert {c.item_id for c in proposal.choices} <= set(range(1, 11))
