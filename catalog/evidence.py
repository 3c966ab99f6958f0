"""A server's playback evidence: the ledger writer, the playback tracker and the
checkpoint schedule, started and stopped together."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select

from catalog.checkpoints import load_or_create_key, make_checkpoint
from catalog.db import Database
from catalog.ledger import Entry, Event, LedgerWriter, append, format_at
from catalog.models import Playback as PlaybackRow
from catalog.playbacks import CLOSE, Announce, PlaybackTracker, dangling, project
from catalog.settings import Settings


class Evidence:
    def __init__(self, db: Database, settings: Settings, announce: Announce | None = None
                 ) -> None:
        self.db = db
        self.ledger = settings.station
        self.key = load_or_create_key(settings.ledger_key_path)
        self.checkpoint_rows = settings.checkpoint_rows
        self.checkpoint_seconds = settings.checkpoint_minutes * 60
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        self._close_dangling()
        self.writer = LedgerWriter(db, self.ledger, apply=project,
                                   after_commit=self._maybe_checkpoint)
        self.tracker = PlaybackTracker(self.writer, self.ledger,
                                       settings.playback_idle_seconds, announce)

    def _close_dangling(self) -> None:
        """Playbacks left open by a server that was killed are closed now, saying so."""
        with self.db.engine.connect() as connection:
            open_seqs = dangling(connection, self.ledger)
            found = connection.execute(
                select(PlaybackRow.open_seq, PlaybackRow.item_id, PlaybackRow.client)
                .where(PlaybackRow.open_seq.in_(open_seqs))).all() if open_seqs else []
        if not found:
            return
        now = format_at(datetime.now(UTC))
        events = [Event(CLOSE, {"open_seq": row.open_seq, "item_id": row.item_id,
                                "client": row.client, "closed_at": now,
                                "ended_by": "restart", "bytes_sent": None, "seconds": None,
                                "intervals": []}) for row in found]
        with self.db.engine.begin() as connection:
            project(connection, append(connection, self.ledger, events))

    def _maybe_checkpoint(self, entries: list[Entry]) -> None:
        self._since_checkpoint += len(entries)
        due = (self._since_checkpoint >= self.checkpoint_rows
               or time.monotonic() - self._last_checkpoint >= self.checkpoint_seconds)
        if due:
            self.checkpoint()

    def checkpoint(self) -> None:
        with self.db.engine.begin() as connection:
            make_checkpoint(connection, self.ledger, self.key)
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()

    def close(self) -> None:
        """Close every open playback, write what is queued, sign the head."""
        self.tracker.close_all("shutdown")
        self.writer.close()
        self.checkpoint()

