"""HTTP Range requests (RFC 9110 §13.1.5, §14) decided by one pure function.

Starlette's FileResponse answers unknown units and malformed headers with 400 and serves
plain files only; courseware lives in ISO images and DVD titles too. ``decide`` turns
the request's Range and If-Range headers and the representation's size and validators
into what to send; web/library/streaming.py sends it from any byte source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# More ranges than this (after merging) are answered with the whole representation,
# which RFC 9110 §14.2 allows; it keeps a header of a thousand tiny ranges cheap.
MAX_RANGES = 16
_RANGE_SPEC = re.compile(r"^([0-9]*)-([0-9]*)$")  # ASCII digits only: \d takes "٣" too
BEYOND = 10**18  # past the end of any representation (an exabyte)


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
        first, last = _digits(match.group(1)), _digits(match.group(2))
        if first and last and (len(last), last) < (len(first), first):
            return None  # §14.1.1: invalid; the whole header is ignored
        specs.append((_position(first), _position(last)))
    return specs or None


def _digits(text: str) -> str:
    return text.lstrip("0") or "0" if text else ""


def _position(digits: str) -> int | None:
    """A byte position or suffix length. Any number beyond BEYOND is past the end of every
    representation: Python's int() would refuse one of 4,300 digits (a 500), and
    reading it costs time for nothing (§14.1.1 sets no limit on the digits)."""
    if not digits:
        return None
    return BEYOND if len(digits) > len(str(BEYOND)) else min(int(digits), BEYOND)


def _resolve(first: int | None, last: int | None, size: int) -> tuple[int, int] | None:
    if first is None:  # suffix: the final `last` bytes, all of them if it exceeds the size
        assert last is not None
        return (max(0, size - last), size - 1) if last > 0 and size > 0 else None
    if first >= size:
        return None
    return first, size - 1 if last is None else min(last, size - 1)


def _coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or adjacent ranges become one (§14.2 permits it; it defeats headers
    that ask for the same bytes many times over). The parts keep the order in which the
    client asked for them (§14.6: "SHOULD send the parts in the same order"), a merged
    part taking the place of its first-asked member."""
    order = sorted(range(len(ranges)), key=lambda i: ranges[i])
    groups: list[tuple[int, int, int]] = []  # (first, last, earliest request index)
    for i in order:
        first, last = ranges[i]
        if groups and first <= groups[-1][1] + 1:
            start, end, asked = groups[-1]
            groups[-1] = (start, max(end, last), min(asked, i))
        else:
            groups.append((first, last, i))
    return [(first, last) for first, last, _ in sorted(groups, key=lambda g: g[2])]


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


def precondition(method: str, headers: Mapping[str, str], etag: str,
                 last_modified: datetime | None) -> int | None:
    """412 or 304 when the request's preconditions say so (RFC 9110 §13.2.2, in its
    order), else None: the request goes on to its Range header."""
    if_match = headers.get("if-match")
    if if_match is not None:
        if not _any_tag(if_match, etag, weak=False):
            return 412  # §13.1.1: strong comparison
    elif (since := _date(headers.get("if-unmodified-since"))) is not None and (
            last_modified is not None and _seconds(last_modified) > since):
        return 412  # §13.1.4
    safe = method in ("GET", "HEAD")
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if _any_tag(if_none_match, etag, weak=True):
            return 304 if safe else 412  # §13.1.2
    elif safe and (since := _date(headers.get("if-modified-since"))) is not None and (
            last_modified is not None and _seconds(last_modified) <= since):
        return 304  # §13.1.3
    return None


def _any_tag(field: str, etag: str, weak: bool) -> bool:
    tags = [t.strip() for t in field.split(",")]
    if "*" in tags:
        return True  # the representation exists
    if not etag:
        return False
    if weak:
        return etag.removeprefix("W/") in {t.removeprefix("W/") for t in tags}
    return not etag.startswith("W/") and etag in tags


def _date(value: str | None) -> int | None:
    """An HTTP-date as whole seconds; an invalid one is ignored (§13.1.3, §13.1.4)."""
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" (RFC 5322's unknown zone) parses without one; HTTP dates are in GMT.
    return _seconds(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())  # HTTP dates have one-second resolution
