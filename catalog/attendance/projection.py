"""The ``attendance_rows`` table: written with its ledger rows, checked by ``ledger
verify`` against them (the same ``values`` function both ways)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, insert

from catalog.attendance import sheets
from catalog.attendance.models import AttendanceRow
from catalog.attendance.rows import KINDS, SHEET, values
from catalog.evidence.ledger import Entry
from catalog.evidence.projections import RowsCheck
from catalog.evidence.verify import Problem


def project(connection: Connection, entries: list[Entry]) -> None:
    made = [values(e) for e in entries if e.kind in KINDS]
    if made:
        connection.execute(insert(AttendanceRow), made)


class AttendanceCheck(RowsCheck):
    """The ``attendance_rows`` table against the attendance rows of one ledger."""

    def __init__(self) -> None:
        super().__init__(AttendanceRow.__table__, KINDS, values)


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
