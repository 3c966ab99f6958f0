"""Counting open viewing fairly (开放式自选收看, issue 17.7), by the rules stations already
use for learning time: a play shorter than ``viewing_min_seconds`` (120) does not count;
one item on one day counts once, as the union of the media seconds delivered to it that
day (two plays of the same part are one); and at most ``viewing_cap_minutes`` (60) per
item per day. A three-hour loop of a 40-minute item is 40 minutes; of a 90-minute one, 60."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from catalog.evidence.playbacks import Spans


@dataclass(frozen=True)
class Play:
    day: date  # the local day it was opened on
    item_id: int
    seconds: float  # its watched seconds
    intervals: list[tuple[float, float]]  # media intervals sent, up to its watched seconds


def counted_seconds(plays: Iterable[Play], min_seconds: float = 120.0,
                    cap_minutes: float = 60.0) -> dict[tuple[date, int], float]:
    """Per (day, item), the seconds that count."""
    union: dict[tuple[date, int], Spans] = defaultdict(Spans)
    for play in plays:
        if play.seconds < min_seconds:
            continue
        spans = union[(play.day, play.item_id)]
        budget = play.seconds
        for start, end in play.intervals:
            if budget <= 0:
                break
            end = min(end, start + budget)
            spans.add(start, end)
            budget -= end - start
    return {key: min(spans.total, cap_minutes * 60) for key, spans in union.items()
            if spans.total > 0}
