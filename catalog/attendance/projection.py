"""The ``attendance_rows`` table: written with its ledger rows, checked by ``ledger
verify`` against them (the same ``values`` function both ways)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from catalog.attendance import sheets
from catalog.attendance.models import AttendanceRow
from catalog.attendance.rows import KINDS, SHEET, values
from catalog.evidence.ledger import Entry
from catalog.evidence.verify import Problem

COLUMNS = tuple(c.name for c in AttendanceRow.__table__.columns)


def project(connection: Connection, entries: list[Entry]) -> None:
    made = [values(e) for e in entries if e.kind in KINDS]
    if made:
        connection.execute(insert(AttendanceRow), made)


class AttendanceCheck:
    """The ``attendance_rows`` table against the attendance rows of one ledger."""

    table = "attendance_rows"

    def __init__(self) -> None:
        self.expected: dict[int, dict[str, Any]] = {}
        self.problem: Problem | None = None

    def feed(self, entry: Entry) -> None:
        if entry.kind not in KINDS:
            return
        try:
            self.expected[entry.seq] = values(entry)
        except (KeyError, TypeError, ValueError) as exc:
            if self.problem is None:
                self.problem = Problem(entry.seq, "verify_bad_payload",
                                       {"detail": f"{type(exc).__name__}: {exc}"[:120]})

    def compare(self, connection: Connection, ledger: str) -> Problem | None:
        if self.problem is not None:
            return self.problem
        table = AttendanceRow.__table__
        found = connection.execute(select(table).where(table.c.ledger == ledger)
                                   .order_by(table.c.seq)).mappings()
        have = {row["seq"]: dict(row) for row in found}
        for seq in sorted(set(self.expected) | set(have)):
            want, got = self.expected.get(seq), have.get(seq)
            if want is None or got is None:
                return _differs(seq, "missing" if got is None else "extra", "", "")
            for column in COLUMNS:
                if want[column] != got[column]:
                    return _differs(seq, column, want[column], got[column])
        return None


def _differs(seq: int, column: str, ledger_value: object, table_value: object) -> Problem:
    def shown(value: object) -> str:
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return text if len(text) <= 80 else text[:77] + "…"

    return Problem(seq, "verify_projection", {"table": "attendance_rows", "column": column,
                                              "ledger_value": shown(ledger_value),
                                              "table_value": shown(table_value)})


class SheetFilesCheck:
    """The kept sign-in sheets against the digests their rows hold: a file swapped or
    edited afterwards is named by its row."""

    table = "attendance-sheets"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.digests: list[tuple[int, str]] = []

    def feed(self, entry: Entry) -> None:
        if entry.kind == SHEET:
            digest = entry.data.get("sheet_sha256") if isinstance(entry.data, dict) else None
            if isinstance(digest, str) and len(digest) == 64:
                self.digests.append((entry.seq, digest))

    def compare(self, connection: Connection, ledger: str) -> Problem | None:
        for seq, digest in self.digests:
            found = sheets.matches(self.data_dir, digest)
            if found is None:
                return Problem(seq, "verify_sheet_missing", {"sha256": digest[:12]})
            if not found:
                return Problem(seq, "verify_sheet_changed", {"sha256": digest[:12]})
        return None
