"""A report's period: a year (``2027``), a quarter (``2027-Q1``), a month (``2027-03``) or
a range of days (``2027-03-01..2027-04-15``), in the stations' local time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from catalog.errors import BadRequest

_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
LONGEST = timedelta(days=3 * 366)  # a range longer than three years is a typo


@dataclass(frozen=True)
class Period:
    """Days ``first`` up to, not including, ``last``; ``text`` as the user wrote it."""

    first: date
    last: date
    text: str
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last, datetime.min.time(), self.zone)

    @property
    def year(self) -> int:
        return self.first.year

    def months(self) -> list[tuple[int, int]]:
        """The (year, month) pairs the period touches, in order."""
        found: list[tuple[int, int]] = []
        day = self.first.replace(day=1)
        while day < self.last:
            found.append((day.year, day.month))
            day = _next_month(day)
        return found

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def parse_period(raw: str, zone: ZoneInfo) -> Period:
    text = raw.strip()
    try:
        if match := _YEAR.fullmatch(text):
            year = int(match[1])
            return Period(date(year, 1, 1), date(year + 1, 1, 1), text, zone)
        if match := _QUARTER.fullmatch(text):
            year, quarter = int(match[1]), int(match[2])
            first = date(year, 3 * quarter - 2, 1)
            last = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
            return Period(first, last, f"{year}-Q{quarter}", zone)
        if match := _MONTH.fullmatch(text):
            first = date(int(match[1]), int(match[2]), 1)
            return Period(first, _next_month(first), first.strftime("%Y-%m"), zone)
        if match := _RANGE.fullmatch(text):
            first = date.fromisoformat(match[1])
            last = date.fromisoformat(match[2]) + timedelta(days=1)  # the last day counts
            if first < last and last - first <= LONGEST:
                return Period(first, last, text, zone)
    except ValueError:
        pass
    raise BadRequest("bad_report_period", value=text[:40])


def month_period(year: int, month: int, zone: ZoneInfo) -> Period:
    first = date(year, month, 1)
    return Period(first, _next_month(first), first.strftime("%Y-%m"), zone)
