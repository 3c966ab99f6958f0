"""Make-ups recorded when they happen (issue 16.5): each closed playback that could
complete one (a member's own, or one played at a make-up session) is looked at on a
thread of its own, and a make-up the ledger now proves is written as a ``makeup.done``
row at once, not when someone next opens a page."""

from __future__ import annotations

import logging
import queue
import threading
from datetime import UTC, datetime
from typing import Any

from catalog.attendance import rows
from catalog.attendance.makeup import members_of_playback, owed_makeups
from catalog.attendance.signin import Attendance
from catalog.evidence.ledger import Entry
from catalog.evidence.playbacks import CLOSE, Playback

logger = logging.getLogger(__name__)


class MakeupWatch:
    def __init__(self, service: Attendance) -> None:
        self.service = service
        self._queue: queue.Queue[tuple[str | None, str | None] | None] = queue.Queue()
        # A burst of closes for one member (or one make-up session) is looked at once.
        self._pending: set[tuple[str | None, str | None]] = set()
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="makeup-watch", daemon=True)
        self._thread.start()

    def announced(self, kind: str, playback: Playback, entry: Entry) -> None:
        """An Announce (catalog/evidence/playbacks.py): called on the ledger's writer thread,
        so it only queues."""
        if kind == CLOSE and (playback.member or playback.session):
            key = (playback.member, playback.session)
            with self._guard:
                if key in self._pending:
                    return
                self._pending.add(key)
            self._queue.put(key)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            with self._guard:
                self._pending.discard(item)
            try:
                self.check(*item)
            except Exception:  # the next playback looks again; a page computes it anyway
                logger.exception("make-up check failed")

    def check(self, member_label: str | None, session_label: str | None) -> int:
        service = self.service
        now = datetime.now(UTC)
        written = 0
        with service.db.session() as session:
            members = members_of_playback(session, member_label, session_label)
            due = [(m, study.id, made) for m in members
                   for study, made in owed_makeups(session, m, service.policy, now)]
        for member_id, session_id, made in due:
            service.write(rows.MAKEUP, rows.data(
                session_id, member_id=member_id, status="made_up", method=made.via,
                actor="server", at_event=now, reason="",
                makeup_session=made.makeup_session,
                items=[{"item_id": c.item_id, "duration": round(c.duration, 3),
                        "watched": round(c.watched, 3)} for c in made.items]))
            written += 1
        return written


def chained(*announcers: Any) -> Any:
    def announce(kind: str, playback: Playback, entry: Entry) -> None:
        for one in announcers:
            one(kind, playback, entry)

    return announce
