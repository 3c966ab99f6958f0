"""A server's playback evidence: the ledger writer, the playback tracker and the
checkpoint schedule, started and stopped together.

The head is signed often, so that little is ever unsigned: at start-up over the rows a
crashed run left unsigned (reason ``recovered``), after ``checkpoint_rows`` rows, when a
playback closes (``checkpoint_on_close``), at most ``checkpoint_minutes`` after a row was
written, at shutdown. Rows that could not be written before shutdown (the database was
down) are kept in a file beside the key and appended at the next start, never dropped.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select

from catalog.db import Database
from catalog.evidence.checkpoints import load_or_create_key, make_checkpoint
from catalog.evidence.ledger import (
    Apply,
    Entry,
    Event,
    LedgerWriter,
    WriterState,
    append,
    format_at,
)
from catalog.evidence.models import Playback as PlaybackRow
from catalog.evidence.playbacks import CLOSE, Announce, PlaybackTracker, project
from catalog.settings import Settings

logger = logging.getLogger(__name__)


class Evidence:
    def __init__(self, db: Database, settings: Settings, announce: Announce | None = None,
                 projectors: Sequence[Apply] = ()) -> None:
        """``projectors``: the tables of areas above this one (attendance …) kept in step
        with their rows, in the rows' transaction, as ``project`` keeps the playbacks."""
        self.db = db
        self.projectors = (project, *projectors)
        self.ledger = settings.station
        self.key = load_or_create_key(settings.ledger_key_path)
        self.spill_dir = settings.ledger_key_path.parent
        self.checkpoint_rows = settings.checkpoint_rows
        self.checkpoint_seconds = settings.checkpoint_minutes * 60
        self.checkpoint_on_close = settings.checkpoint_on_close
        self._since_checkpoint = 0
        self._unsigned_since: float | None = None  # monotonic time of the first unsigned row
        self._recover()
        self.writer = LedgerWriter(db, self.ledger, apply=self._project,
                                   after_commit=self._after_commit, idle=self._idle)
        self.tracker = PlaybackTracker(self.writer, self.ledger,
                                       settings.playback_idle_seconds, announce,
                                       settings.playback_buffer_seconds)

    @property
    def state(self) -> WriterState:
        return self.writer.state

    # --- start-up ------------------------------------------------------------------------

    def _recover(self) -> None:
        """Sign what a crashed run left unsigned, then close its playbacks and append the
        rows a stop without a database handed back."""
        with self.db.engine.begin() as connection:
            made = make_checkpoint(connection, self.ledger, self.key, "recovered")
        if made is not None:
            logger.warning("ledger %s: rows %d–%d were left unsigned by the last run; signed "
                           "them now (checkpoint %s, marked recovered)", self.ledger,
                           made.first_seq, made.seq, made.code)
        spilled = self._spilled()
        if spilled:
            self._append(spilled)
            self._mark_spills_done()
        # After the spilled rows: a playback whose open row was spilled is closed too.
        closes = self._dangling_closes()
        if closes:
            self._append(closes)
        if spilled or closes:
            self.checkpoint("recovered")

    def _project(self, connection: Connection, entries: list[Entry]) -> None:
        for projector in self.projectors:
            projector(connection, entries)

    def _append(self, events: list[Event]) -> None:
        with self.db.engine.begin() as connection:
            self._project(connection, append(connection, self.ledger, events))

    def _dangling_closes(self) -> list[Event]:
        """Playbacks left open by a server that was killed are closed now, saying so."""
        with self.db.engine.connect() as connection:
            found = connection.execute(
                select(PlaybackRow.open_seq, PlaybackRow.item_id, PlaybackRow.client)
                .where(PlaybackRow.ledger == self.ledger, PlaybackRow.close_seq.is_(None))
                .order_by(PlaybackRow.open_seq)).all()
        now = format_at(datetime.now(UTC))
        return [Event(CLOSE, {"open_seq": row.open_seq, "item_id": row.item_id,
                              "client": row.client, "closed_at": now,
                              "ended_by": "restart", "bytes_sent": None, "seconds": None,
                              "intervals": []}) for row in found]

    def _spill_files(self) -> list[Path]:
        return sorted(self.spill_dir.glob(f"ledger-unwritten-{_safe(self.ledger)}-*.jsonl"))

    def _spilled(self) -> list[Event]:
        events = []
        for path in self._spill_files():
            for line in path.read_text("utf-8").splitlines():
                record = json.loads(line)
                events.append(Event(record["kind"], record["data"]))
            logger.warning("ledger %s: appending %s, rows that a stop without a database "
                           "could not write", self.ledger, path.name)
        return events

    def _mark_spills_done(self) -> None:
        for path in self._spill_files():
            path.rename(path.with_suffix(".appended"))

    # --- the schedule (on the writer's thread) -------------------------------------------

    def _after_commit(self, entries: list[Entry]) -> None:
        self._since_checkpoint += len(entries)
        if self._unsigned_since is None:
            self._unsigned_since = time.monotonic()
        if self._since_checkpoint >= self.checkpoint_rows:
            self.checkpoint("rows")
        elif self.checkpoint_on_close and any(e.kind == CLOSE for e in entries):
            self.checkpoint("close")

    def _idle(self) -> None:
        since = self._unsigned_since
        if since is not None and time.monotonic() - since >= self.checkpoint_seconds:
            self.checkpoint("time")

    def checkpoint(self, reason: str = "manual") -> None:
        with self.db.engine.begin() as connection:
            make_checkpoint(connection, self.ledger, self.key, reason)
        self._since_checkpoint = 0
        self._unsigned_since = None

    # --- shutdown --------------------------------------------------------------------------

    def close(self) -> None:
        """Close every open playback, write what is queued, sign the head."""
        self.tracker.close_all("shutdown")
        left = self.writer.close()
        if left:
            self._spill(left)
        try:
            self.checkpoint("shutdown")
        except Exception as exc:  # the database is down: the next start signs the tail
            logger.error("ledger %s: could not sign the head at shutdown: %s", self.ledger, exc)

    def _spill(self, events: list[Event]) -> None:
        path = self.spill_dir / (f"ledger-unwritten-{_safe(self.ledger)}-"
                                 f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}.jsonl")
        with path.open("w", encoding="utf-8") as out:
            for event in events:
                data = json.loads(event.data) if isinstance(event.data, str) else event.data
                out.write(json.dumps({"kind": event.kind, "data": data},
                                     ensure_ascii=False) + "\n")
        logger.error("ledger %s: the database took no rows before shutdown; %d rows kept "
                     "in %s, appended at the next start", self.ledger, len(events), path)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
