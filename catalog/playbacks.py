"""Playbacks: one client watching one item, recorded by the server as it serves it.

The first response of a client (address and browser) for an item opens a playback; later
ranges or segments within the idle window extend it; it closes when the client has asked
for nothing of the item for that long, or when the server stops. Each open and close is a
ledger row (catalog/ledger.py), written by the ledger's one writer thread, never on the
request path; the ``playbacks`` table is their projection for pages. The seconds counted
are the union of the media time actually sent (byte offsets mapped onto the duration, or
HLS segment times), so a client fetching the same part twice is not counted twice.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, insert, update

from catalog.ledger import Ack, Entry, format_at, parse_at
from catalog.models import Playback as PlaybackRow

OPEN, CLOSE = "playback.open", "playback.close"


class Submitter(Protocol):
    def submit(self, kind: str, data: Any) -> Ack: ...


class Spans:
    """A union of [start, end) intervals, kept merged and sorted."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []

    def add(self, start: float, end: float) -> None:
        if end <= start:
            return
        left = bisect.bisect_left(self.ends, start)  # first interval ending at/after start
        right = bisect.bisect_right(self.starts, end)  # intervals starting at/before end
        if left < right:
            start = min(start, self.starts[left])
            end = max(end, self.ends[right - 1])
        self.starts[left:right] = [start]
        self.ends[left:right] = [end]

    @property
    def total(self) -> float:
        return sum(e - s for s, e in zip(self.starts, self.ends, strict=True))

    def as_list(self) -> list[list[float]]:
        return [[round(s, 3), round(e, 3)] for s, e in zip(self.starts, self.ends, strict=True)]


@dataclass
class Playback:
    station: str
    client: str
    user_agent: str
    item_id: int
    title: str
    method: str  # direct | hls
    opened_at: datetime
    member: str | None = None
    session: str | None = None
    bytes_sent: int = 0
    spans: Spans = field(default_factory=Spans)
    in_flight: int = 0
    last_seen: float = field(default_factory=time.monotonic)
    open_row: Ack | None = None

    def open_data(self) -> dict[str, Any]:
        return {"station": self.station, "client": self.client, "user_agent": self.user_agent,
                "member": self.member, "session": self.session, "item_id": self.item_id,
                "title": self.title, "method": self.method,
                "opened_at": format_at(self.opened_at)}

    def close_data(self, open_seq: int, closed_at: datetime, ended_by: str) -> dict[str, Any]:
        return {"open_seq": open_seq, "item_id": self.item_id, "client": self.client,
                "closed_at": format_at(closed_at), "ended_by": ended_by,
                "bytes_sent": self.bytes_sent, "seconds": round(self.spans.total, 3),
                "intervals": self.spans.as_list()}


Announce = Callable[[str, Playback, Entry], None]


class PlaybackTracker:
    """Turns the responses the server sends into playbacks. Called on the event loop:
    every method only updates memory and queues rows."""

    def __init__(self, writer: Submitter, station: str, idle_seconds: float,
                 announce: Announce | None = None) -> None:
        self.writer = writer
        self.station = station
        self.idle_seconds = idle_seconds
        self.announce = announce
        self._open: dict[tuple[str, str, int, str | None, str | None, str | None],
                         Playback] = {}
        self._guard = threading.Lock()

    def started(self, client: str, user_agent: str, item_id: int, title: str,
                method: str, member: str | None = None,
                station: str | None = None, session: str | None = None) -> Playback:
        # A known member is part of the key: two members sharing a station's PC one after
        # the other are two playbacks. A terminal's station (by its token) overrides the
        # server's own.
        key = (client, user_agent, item_id, member, station, session)
        with self._guard:
            playback = self._open.get(key)
            if playback is None:
                playback = Playback(station or self.station, client, user_agent, item_id,
                                    title, method, datetime.now(UTC), member, session)
                playback.open_row = self.writer.submit(OPEN, playback.open_data())
                self._announce_when_written(OPEN, playback, playback.open_row)
                self._open[key] = playback
            elif method == "hls":
                playback.method = "hls"
            playback.in_flight += 1
            playback.last_seen = time.monotonic()
            return playback

    def delivered(self, playback: Playback, start: float, end: float, count: int) -> None:
        playback.spans.add(start, end)
        playback.bytes_sent += count
        playback.last_seen = time.monotonic()

    def finished(self, playback: Playback) -> None:
        playback.in_flight -= 1
        playback.last_seen = time.monotonic()

    def sweep(self, now: float | None = None) -> int:
        """Close the playbacks idle for longer than the window; returns how many."""
        now = time.monotonic() if now is None else now
        with self._guard:
            idle = [k for k, p in self._open.items()
                    if p.in_flight <= 0 and now - p.last_seen > self.idle_seconds]
            closing = [self._open.pop(k) for k in idle]
        for playback in closing:
            self._close(playback, "idle")
        return len(closing)

    def close_all(self, ended_by: str = "shutdown") -> None:
        with self._guard:
            closing = list(self._open.values())
            self._open.clear()
        for playback in closing:
            self._close(playback, ended_by)

    @property
    def open_count(self) -> int:
        return len(self._open)

    def _announce_when_written(self, kind: str, playback: Playback, row: Ack
                               ) -> None:
        announce = self.announce
        if announce is None:
            return

        def written(done: Ack) -> None:
            if done.exception() is None:
                announce(kind, playback, done.result())

        row.add_done_callback(written)

    def _close(self, playback: Playback, ended_by: str) -> None:
        closed_at = datetime.now(UTC)
        assert playback.open_row is not None

        def after_open(opened: Ack) -> None:
            if opened.exception() is not None:
                return  # the open row failed to be written; the writer logged why
            close_row = self.writer.submit(
                CLOSE, playback.close_data(opened.result().seq, closed_at, ended_by))
            self._announce_when_written(CLOSE, playback, close_row)

        # Runs at once if the open row is written, else on the writer thread after it is.
        playback.open_row.add_done_callback(after_open)


def project(connection: Connection, entries: list[Entry]) -> None:
    """Keep the playbacks table in step with the ledger rows just appended (same
    transaction). ``ledger verify`` recomputes the table with the same two functions."""
    opened = [open_values(e) for e in entries if e.kind == OPEN]
    if opened:
        connection.execute(insert(PlaybackRow), opened)
    for entry in entries:
        if entry.kind == CLOSE:
            open_seq, values = close_values(entry)
            connection.execute(
                update(PlaybackRow).where(PlaybackRow.ledger == entry.ledger,
                                          PlaybackRow.open_seq == open_seq).values(**values))


def open_values(entry: Entry) -> dict[str, Any]:
    """The playbacks row that a ``playback.open`` row makes."""
    data = entry.data
    return {"ledger": entry.ledger, "open_seq": entry.seq, "station": data["station"],
            "client": data["client"], "user_agent": data["user_agent"],
            "item_id": data["item_id"], "title": data["title"], "method": data["method"],
            "opened_at": parse_at(data["opened_at"]), "closed_at": None, "close_seq": None,
            "bytes_sent": 0, "seconds": 0.0, "ended_by": ""}


def close_values(entry: Entry) -> tuple[int, dict[str, Any]]:
    """(open_seq, the columns) that a ``playback.close`` row sets."""
    data = entry.data
    return data["open_seq"], {"closed_at": parse_at(data["closed_at"]),
                              "close_seq": entry.seq, "bytes_sent": data["bytes_sent"] or 0,
                              "seconds": data["seconds"] or 0.0, "ended_by": data["ended_by"]}
