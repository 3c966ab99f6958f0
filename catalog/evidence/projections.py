"""Tables that pages and exports read as evidence, recomputed from the ledger.

A projection is written in the same transaction as the ledger rows it comes from, but it is
an ordinary table: anyone with the database can edit it. ``ledger verify`` therefore
recomputes each projection from the rows it has just checked and compares it, row by row
and column by column, with the table, naming the first difference. Every column a page or
CSV shows must be one compared here (tests/catalog/test_projections.py keeps the list whole).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from sqlalchemy import Connection, select

from catalog.evidence.ledger import Entry
from catalog.evidence.models import Playback as PlaybackRow
from catalog.evidence.playbacks import CLOSE, OPEN, close_values, open_values
from catalog.evidence.verify import Problem

PLAYBACK_COLUMNS = tuple(c.name for c in PlaybackRow.__table__.columns)


class PlaybacksCheck:
    """The ``playbacks`` table against the playback rows of one ledger."""

    table = "playbacks"

    def __init__(self) -> None:
        self.expected: dict[int, dict[str, Any]] = {}
        self.problem: Problem | None = None

    def feed(self, entry: Entry) -> None:
        try:
            self._feed(entry)
        except (KeyError, TypeError, ValueError) as exc:  # hashed right, but not a playback
            if self.problem is None:
                self.problem = Problem(entry.seq, "verify_bad_payload",
                                       {"detail": f"{type(exc).__name__}: {exc}"[:120]})

    def _feed(self, entry: Entry) -> None:
        if entry.kind == OPEN:
            self.expected[entry.seq] = open_values(entry)
        elif entry.kind == CLOSE:
            open_seq, values = close_values(entry)
            row = self.expected.get(open_seq)
            if row is None or row["close_seq"] is not None:
                if self.problem is None:
                    self.problem = Problem(entry.seq, "verify_close_unmatched",
                                           {"open_seq": open_seq})
                return
            row.update(values)

    def compare(self, connection: Connection, ledger: str) -> Problem | None:
        if self.problem is not None:
            return self.problem
        expected = iter(sorted(self.expected.items()))
        actual = _table_rows(connection, ledger)
        want = next(expected, None)
        have = next(actual, None)
        while want is not None or have is not None:
            if have is None or (want is not None and want[0] < have["open_seq"]):
                assert want is not None
                return _differs(want[0], "missing", "", "")
            if want is None or have["open_seq"] < want[0]:
                return _differs(have["open_seq"], "extra", "", "")
            for column in PLAYBACK_COLUMNS:
                if want[1][column] != have[column]:
                    return _differs(want[0], column, want[1][column], have[column])
            want, have = next(expected, None), next(actual, None)
        return None


def _table_rows(connection: Connection, ledger: str) -> Iterator[dict[str, Any]]:
    result = connection.execute(select(PlaybackRow.__table__)
                                .where(PlaybackRow.ledger == ledger)
                                .order_by(PlaybackRow.open_seq))
    for row in result.mappings():
        yield dict(row)


def _differs(seq: int, column: str, ledger_value: object, table_value: object) -> Problem:
    return Problem(seq, "verify_projection", {"table": "playbacks", "column": column,
                                              "ledger_value": _shown(ledger_value),
                                              "table_value": _shown(table_value)})


def _shown(value: object) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


class ProjectionCheck(Protocol):
    """A table recomputed from the rows ``verify`` feeds it, then compared."""

    table: str

    def feed(self, entry: Entry) -> None: ...

    def compare(self, connection: Connection, ledger: str) -> Problem | None: ...


def checks() -> list[ProjectionCheck]:
    """This area's projections; catalog/verification.py adds the areas above."""
    return [PlaybacksCheck()]


class RowsCheck:
    """A projection that only ever inserts one table row per ledger row of its kinds
    (attendance, the session record): recomputed with the area's own ``values`` and
    compared, row by row and column by column."""

    def __init__(self, table: Any, kinds: frozenset[str],
                 values: Callable[[Entry], dict[str, Any]]) -> None:
        self.sql_table = table
        self.table = table.name
        self.kinds = kinds
        self.values = values
        self.columns = tuple(c.name for c in table.columns)
        self.expected: dict[int, dict[str, Any]] = {}
        self.problem: Problem | None = None

    def feed(self, entry: Entry) -> None:
        if entry.kind not in self.kinds:
            return
        try:
            self.expected[entry.seq] = self.values(entry)
        except (KeyError, TypeError, ValueError) as exc:
            if self.problem is None:
                self.problem = Problem(entry.seq, "verify_bad_payload",
                                       {"detail": f"{type(exc).__name__}: {exc}"[:120]})

    def compare(self, connection: Connection, ledger: str) -> Problem | None:
        if self.problem is not None:
            return self.problem
        table = self.sql_table
        have = {row["seq"]: dict(row) for row in connection.execute(
            select(table).where(table.c.ledger == ledger)).mappings()}
        for seq in sorted(set(self.expected) | set(have)):
            want, got = self.expected.get(seq), have.get(seq)
            if want is None or got is None:
                return self._differs(seq, "missing" if got is None else "extra", "", "")
            for column in self.columns:
                if want[column] != got[column]:
                    return self._differs(seq, column, want[column], got[column])
        return None

    def _differs(self, seq: int, column: str, ledger_value: object, table_value: object
                 ) -> Problem:
        return Problem(seq, "verify_projection", {"table": self.table, "column": column,
                                                  "ledger_value": _shown(ledger_value),
                                                  "table_value": _shown(table_value)})
