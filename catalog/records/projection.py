"""The ``record_rows`` table: written with its rows, checked by ``ledger verify``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, insert

from catalog.evidence.ledger import Entry
from catalog.evidence.projections import RowsCheck
from catalog.evidence.verify import Problem
from catalog.records import photos
from catalog.records.models import RecordRow
from catalog.records.rows import KINDS, PHOTO, values


def project(connection: Connection, entries: list[Entry]) -> None:
    made = [values(e) for e in entries if e.kind in KINDS]
    if made:
        connection.execute(insert(RecordRow), made)


class RecordsCheck(RowsCheck):
    """The ``record_rows`` table against the session record rows of one ledger."""

    def __init__(self) -> None:
        super().__init__(RecordRow.__table__, KINDS, values)


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
