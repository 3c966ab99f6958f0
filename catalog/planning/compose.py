"""Auto-compose: propose a session's playlist from the catalog. Pure and deterministic:
the same candidates and request give the same playlist, each choice with its reason.

1. Every due must-watch item goes in first.
2. Each theme with a weight gets at least half its share of the target (its minimum),
   filled with the longest items that do not pass it (so few items carry a theme), while
   room stays for the other themes' minimums.
3. The rest of the target is filled as closely as the catalog allows by a subset-sum over
   10-second units, preferring, among equally close fills, the earlier candidates (those
   not shown at this station lately, then by id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

UNIT = 10  # seconds: the subset-sum's grain
MIN_SHARE = 0.5


@dataclass(frozen=True)
class Candidate:
    item_id: int
    theme: str
    seconds: float
    shown_recently: bool = False  # shown at this station within the last N months


@dataclass(frozen=True)
class Request:
    target_seconds: float
    weights: Mapping[str, float]
    must_watch: Sequence[int] = ()


@dataclass(frozen=True)
class Choice:
    item_id: int
    theme: str
    seconds: float
    reason: str  # a message key: compose_must_watch | compose_theme | compose_fill
    fields: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    choices: list[Choice]

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.choices)

    def theme_seconds(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for choice in self.choices:
            found[choice.theme] = found.get(choice.theme, 0.0) + choice.seconds
        return found


def theme_minimums(request: Request) -> dict[str, float]:
    total = sum(w for w in request.weights.values() if w > 0)
    if total <= 0:
        return {}
    return {theme: request.target_seconds * weight / total * MIN_SHARE
            for theme, weight in request.weights.items() if weight > 0}


def _order(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Fresh items first, then by id: a stable order that makes every tie the same."""
    return sorted(candidates, key=lambda c: (c.shown_recently, c.item_id))


def compose(candidates: Sequence[Candidate], request: Request) -> Proposal:
    usable = [c for c in _order(candidates) if c.seconds > 0]
    by_id = {c.item_id: c for c in usable}
    chosen: list[Choice] = []
    taken: set[int] = set()

    for item_id in request.must_watch:
        found = by_id.get(item_id)
        if found is not None and item_id not in taken:
            chosen.append(Choice(item_id, found.theme, found.seconds, "compose_must_watch"))
            taken.add(item_id)

    have: dict[str, float] = {}
    for choice in chosen:
        have[choice.theme] = have.get(choice.theme, 0.0) + choice.seconds
    budget = request.target_seconds - sum(c.seconds for c in chosen)
    minimums = theme_minimums(request)
    for theme in sorted(minimums):
        pool = [c for c in usable if c.theme == theme and c.item_id not in taken]
        while (need := minimums[theme] - have.get(theme, 0.0)) > 0:
            # Room left once the other themes' unmet minimums are kept aside.
            reserve = sum(max(0.0, minimum - have.get(other, 0.0))
                          for other, minimum in minimums.items() if other != theme)
            fits = [c for c in pool if c.seconds <= budget - reserve]
            if not fits:
                break
            under = [c for c in fits if c.seconds <= need]
            # The longest item that does not pass the minimum, else the shortest that
            # reaches it: the minimum is met without crowding out the other themes.
            pick = (max(under, key=lambda c: (c.seconds, -c.shown_recently, -c.item_id))
                    if under else min(fits, key=lambda c: (c.seconds, c.shown_recently,
                                                           c.item_id)))
            pool.remove(pick)
            chosen.append(Choice(pick.item_id, theme, pick.seconds, "compose_theme",
                                 {"minutes": round(minimums[theme] / 60)}))
            taken.add(pick.item_id)
            have[theme] = have.get(theme, 0.0) + pick.seconds
            budget -= pick.seconds

    rest = [c for c in usable if c.item_id not in taken
            and request.weights.get(c.theme, 0) > 0]
    for candidate in _closest_fill(rest, budget):
        chosen.append(Choice(candidate.item_id, candidate.theme, candidate.seconds,
                             "compose_fill"))
    return Proposal(chosen)


def _closest_fill(pool: Sequence[Candidate], budget: float) -> list[Candidate]:
    """The subset of ``pool`` whose length comes closest to ``budget`` without passing
    it (in UNIT-second steps); ties go to the subset found first, in pool order."""
    limit = int(budget // UNIT)
    if limit <= 0 or not pool:
        return []
    units = [max(1, round(c.seconds / UNIT)) for c in pool]
    # reach[s] = index of the last candidate used to reach sum s (first found wins).
    # Totals go downwards, so reach[total - size] is from earlier candidates only: each
    # candidate is used once.
    reach: list[int | None] = [None] * (limit + 1)
    previous: list[int] = [0] * (limit + 1)
    reach[0] = -1
    for index, size in enumerate(units):
        for total in range(limit, size - 1, -1):
            if reach[total] is None and reach[total - size] is not None:
                reach[total] = index
                previous[total] = total - size
    best = max(s for s in range(limit + 1) if reach[s] is not None)
    picked = []
    while best > 0:
        last = reach[best]
        assert last is not None and last >= 0
        picked.append(pool[last])
        best = previous[best]
    return sorted(picked, key=lambda c: (c.theme, c.item_id))
