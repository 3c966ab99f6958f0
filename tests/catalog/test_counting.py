"""The counting rules of open viewing (issue 17.7)."""

from __future__ import annotations

from datetime import date

from catalog.records import Play, counted_seconds

DAY = date(2027, 3, 10)


def test_a_90_second_play_does_not_count() -> None:
    assert counted_seconds([Play(DAY, 1, 90, [(0, 90)])]) == {}


def test_two_plays_of_one_item_on_one_day_count_once() -> None:
    plays = [Play(DAY, 1, 600, [(0, 600)]), Play(DAY, 1, 600, [(0, 600)])]
    assert counted_seconds(plays) == {(DAY, 1): 600}
    other_day = date(2027, 3, 11)
    assert counted_seconds([*plays, Play(other_day, 1, 600, [(0, 600)])]) == {
        (DAY, 1): 600, (other_day, 1): 600}


def test_a_three_hour_loop_counts_the_item_once_capped_at_an_hour() -> None:
    forty = 40 * 60
    loop = [Play(DAY, 1, forty, [(0, forty)]) for _ in range(4)]  # 160 minutes in all
    assert counted_seconds(loop) == {(DAY, 1): forty}
    ninety = 90 * 60
    assert counted_seconds([Play(DAY, 2, ninety, [(0, ninety)]),
                            Play(DAY, 2, ninety, [(0, ninety)])]) == {(DAY, 2): 3600}


def test_only_the_watched_part_of_what_was_sent_counts() -> None:
    # The whole 40 minutes sent in one go, 5 minutes watched: 5 minutes count.
    assert counted_seconds([Play(DAY, 1, 300, [(0, 2400)])]) == {(DAY, 1): 300}
