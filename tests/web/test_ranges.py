"""``decide`` (web/library/ranges.py) case by case: one row per rule of RFC 9110, with
its section."""

from __future__ import annotations

import pytest

from web.library.ranges import Decision, decide

HUGE = "9" * 5000  # past Python's 4,300-digit int() limit

# (Range header, size, expected status, expected ranges)
RANGES: list[tuple[str, int, int, tuple[tuple[int, int], ...]]] = [
    ("bytes=0-9", 100, 206, ((0, 9),)),
    # §14.1.1: a number of any length; past the end a last position is clamped (§14.1.2),
    # a first position is unsatisfiable, a suffix takes the whole.
    (f"bytes=0-{HUGE}", 100, 206, ((0, 99),)),
    (f"bytes={HUGE}-", 100, 416, ()),
    (f"bytes=-{HUGE}", 100, 206, ((0, 99),)),
    (f"bytes={'0' * 5000}5-9", 100, 206, ((5, 9),)),
    (f"bytes=2{'0' * 30}-1{'9' * 30}", 100, 200, ()),  # last < first: invalid, ignored
    (f"bytes=1{'0' * 30}-2{'0' * 30}", 100, 416, ()),
    ("bytes=0009-10", 100, 206, ((9, 10),)),
    ("bytes=10-009", 100, 200, ()),
    ("bytes=\u0663-5", 100, 200, ()),  # DIGIT is ASCII (RFC 5234): "٣" is no digit
]


@pytest.mark.parametrize(("header", "size", "status", "ranges"), RANGES,
                         ids=[h[:30] for h, *_ in RANGES])
def test_range_rules(header: str, size: int, status: int,
                     ranges: tuple[tuple[int, int], ...]) -> None:
    assert decide(header, size) == Decision(status, ranges)

