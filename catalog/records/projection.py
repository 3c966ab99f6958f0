"""The ``record_rows`` table: written with its rows, checked by ``ledger verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from catalog.evidence.ledger import Entry
from catalog.evidence.verify import Problem
from catalog.records import photos
from catalog.records.models import RecordRow
from catalog.records.rows import KINDS, PHOTO, values

COLUMNS = tuple(c.name for c in RecordRow.__table__.columns)


def project(connection: Connection, entries: list[Entry]) -> None:
    made = [values(e) for e in entries if e.kind in KINDS]
    if made:
        connection.execute(insert(RecordRow), made)


class RecordsCheck:
    table = "record_rows"

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
        table = RecordRow.__table__
        have = {row["seq"]: dict(row) for row in connection.execute(
            select(table).where(table.c.ledger == ledger)).mappings()}
        for seq in sorted(set(self.expected) | set(have)):
            want, got = self.expected.get(seq), have.get(seq)
            if want is None or got is None:
                return _differs(seq, "missing" if got is None else "extra")
            for column in COLUMNS:
                if want[column] != got[column]:
                    return _differs(seq, column)
        return None


def _differs(seq: int, column: str) -> Problem:
    return Problem(seq, "verify_projection", {"table": "record_rows", "column": column,
                                              "ledger_value": "", "table_value": ""})


class PhotoFilesCheck:
    """Kept photos against the digests their rows hold."""

    table = "evidence-photos"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.found: list[tuple[int, dict[str, str]]] = []

    def feed(self, entry: Entry) -> None:
        if entry.kind == PHOTO:
            body = entry.data.get("body") if isinstance(entry.data, dict) else None
            if isinstance(body, dict) and isinstance(body.get("sha256"), str):
                self.found.append((entry.seq, body))

    def compare(self, connection: Connection, ledger: str) -> Problem | None:
        for seq, body in self.found:
            part = photos.check(self.data_dir, body)
            if part is not None:
                return Problem(seq, "verify_photo_changed",
                               {"sha256": body["sha256"][:12], "part": part})
        return None
