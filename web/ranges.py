"""HTTP Range requests (RFC 9110 §13.1.5, §14) decided by one pure function.

Starlette's FileResponse answers unknown units and malformed headers with 400 and serves
plain files only; courseware lives in ISO images and DVD titles too. ``decide`` turns
the request's Range and If-Range headers and the representation's size and validators
into what to send; web/streaming.py sends it from any byte source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

# More ranges than this (after merging) are answered with the whole representation,
# which RFC 9110 §14.2 allows; it keeps a header of a thousand tiny ranges cheap.
MAX_RANGES = 16
_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")


@dataclass(frozen=True)
class Decision:
    status: int  # 200, 206 or 416
    ranges: tuple[tuple[int, int], ...] = ()  # inclusive (first, last) byte positions

    @property
    def whole(self) -> bool:
        return self.status == 200


WHOLE = Decision(200)
UNSATISFIABLE = Decision(416)


def decide(range_header: str | None, size: int, if_range: str | None = None,
           etag: str = "", last_modified: datetime | None = None) -> Decision:
    """What to send for ``Range: range_header`` on a representation of ``size`` bytes."""
    if range_header is None:
        return WHOLE
    if if_range is not None and not _if_range_matches(if_range, etag, last_modified):
        return WHOLE  # §13.1.5: the client's copy is stale; send it all
    specs = _parse(range_header)
    if specs is None:
        return WHOLE  # §14.2: unknown units and invalid ranges are ignored
    ranges = [r for r in (_resolve(first, last, size) for first, last in specs) if r]
    if not ranges:
        return UNSATISFIABLE
    merged = _coalesce(ranges)
    if len(merged) > MAX_RANGES or merged == [(0, size - 1)] and len(specs) > 1:
        return WHOLE
    return Decision(206, tuple(merged))


def _parse(header: str) -> list[tuple[int | None, int | None]] | None:
    unit, sep, spec_list = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs: list[tuple[int | None, int | None]] = []
    for raw in spec_list.split(","):
        spec = raw.strip(" \t")
        if not spec:
            continue  # §5.6.1: empty list elements are allowed and ignored
        match = _RANGE_SPEC.match(spec)
        if match is None or match.group(0) == "-":
            return None
        first = int(match.group(1)) if match.group(1) else None
        last = int(match.group(2)) if match.group(2) else None
        if first is not None and last is not None and last < first:
            return None  # §14.1.1: invalid; the whole header is ignored
        specs.append((first, last))
    return specs or None


def _resolve(first: int | None, last: int | None, size: int) -> tuple[int, int] | None:
    if first is None:  # suffix: the final `last` bytes, all of them if it exceeds the size
        assert last is not None
        return (max(0, size - last), size - 1) if last > 0 and size > 0 else None
    if first >= size:
        return None
    return first, size - 1 if last is None else min(last, size - 1)


def _coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or adjacent ranges become one (§14.2 permits it; it defeats headers
    that ask for the same bytes many times over)."""
    ordered = sorted(ranges)
    merged = [ordered[0]]
    for first, last in ordered[1:]:
        if first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _if_range_matches(if_range: str, etag: str, last_modified: datetime | None) -> bool:
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        # §13.1.5: strong comparison; a weak validator never matches.
        return bool(etag) and not value.startswith("W/") and value == etag
    if last_modified is None:
        return False
    try:
        asked = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return asked.timestamp() == int(last_modified.timestamp())


def content_range(first: int, last: int, size: int) -> str:
    return f"bytes {first}-{last}/{size}"
