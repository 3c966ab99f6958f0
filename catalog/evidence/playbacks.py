"""Playbacks: one client watching one item, recorded by the server as it serves it.

The first response of a client (address and browser) for an item opens a playback; later
ranges or segments within the idle window extend it; it closes when the client has asked
for nothing of the item for that long, or when the server stops. Each open and close is a
ledger row (catalog/evidence/ledger.py), written by the ledger's one writer thread, never on the
request path; the ``playbacks`` table is their projection for pages.

The watched seconds (``watched_seconds``) are defined here once, for the log, the exports
and, later, make-up and reports: the union of the media time actually sent (byte offsets
mapped onto the duration, or HLS segment times; a part sent twice counts once), never more
than the playback's wall-clock span plus ``playback_buffer_seconds``, since nobody watches
faster than real time. A player page that reports what it played (web/static/player.js)
can only lower that figure, never raise it past what was sent.
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

from catalog.evidence.ledger import Ack, Entry, format_at, parse_at
from catalog.evidence.models import Playback as PlaybackRow

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

    def overlap(self, other: Spans) -> float:
        """The length of the intersection of two unions."""
        total, j = 0.0, 0
        for start, end in zip(self.starts, self.ends, strict=True):
            while j < len(other.ends) and other.ends[j] <= start:
                j += 1
            k = j
            while k < len(other.starts) and other.starts[k] < end:
                total += min(end, other.ends[k]) - max(start, other.starts[k])
                k += 1
        return total

    @classmethod
    def of(cls, pairs: list[tuple[float, float]]) -> Spans:
        spans = cls()
        for start, end in pairs:
            spans.add(start, end)
        return spans

    def as_list(self) -> list[list[float]]:
        return [[round(s, 3), round(e, 3)] for s, e in zip(self.starts, self.ends, strict=True)]


# A player page reports at least every 15 s while it is open (web/static/player.js), so its
# playback stays open that long without media requests: a browser that fetched the whole
# file at once still has its later minutes counted.
VIEW_IDLE_SECONDS = 45.0

FAILURES = frozenset({"network", "decode", "unsupported", "aborted", "unknown"})


def watched_seconds(sent: Spans, played: Spans | None, wall: float, buffer: float) -> float:
    """The seconds a playback counts as watched: what was sent (intersected with what the
    player says it played, when it said), at most the wall-clock span plus the buffer a
    player may fetch ahead. A whole file fetched in a second counts ``buffer`` at most."""
    media = sent.total if played is None else sent.overlap(played)
    return max(0.0, min(media, max(0.0, wall) + buffer))


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
    view: str | None = None  # the player page's own id for this playback, when it has one
    bytes_sent: int = 0
    spans: Spans = field(default_factory=Spans)
    in_flight: int = 0
    last_seen: float = field(default_factory=time.monotonic)
    opened_mono: float = field(default_factory=time.monotonic)
    # The last moment the client showed it was there: media sent, or its player reporting.
    last_active: float = field(default_factory=time.monotonic)
    played: Spans | None = None  # what the player page reported as played
    failure: str | None = None  # the player page's reason, when the item failed to play
    open_row: Ack | None = None

    def open_data(self) -> dict[str, Any]:
        return {"station": self.station, "client": self.client, "user_agent": self.user_agent,
                "member": self.member, "session": self.session, "item_id": self.item_id,
                "title": self.title, "method": self.method,
                "opened_at": format_at(self.opened_at)}

    def close_data(self, open_seq: int, closed_at: datetime, ended_by: str,
                   buffer: float) -> dict[str, Any]:
        wall = self.last_active - self.opened_mono
        return {"open_seq": open_seq, "item_id": self.item_id, "client": self.client,
                "closed_at": format_at(closed_at), "ended_by": ended_by,
                "bytes_sent": self.bytes_sent,
                "seconds": round(watched_seconds(self.spans, self.played, wall, buffer), 3),
                "sent_seconds": round(self.spans.total, 3), "wall_seconds": round(wall, 3),
                "intervals": self.spans.as_list(),
                "played": None if self.played is None else self.played.as_list(),
                "failure": self.failure}


Announce = Callable[[str, Playback, Entry], None]
Key = tuple[str, str, int, str | None, str | None, str | None, str | None]


class PlaybackTracker:
    """Turns the responses the server sends into playbacks. Called on the event loop:
    every method only updates memory and queues rows."""

    def __init__(self, writer: Submitter, station: str, idle_seconds: float,
                 announce: Announce | None = None, buffer_seconds: float = 30.0) -> None:
        self.writer = writer
        self.station = station
        self.idle_seconds = idle_seconds
        self.buffer_seconds = buffer_seconds
        self.announce = announce
        self._open: dict[Key, Playback] = {}
        self._views: dict[str, Key] = {}
        self._guard = threading.Lock()

    def started(self, client: str, user_agent: str, item_id: int, title: str,
                method: str, member: str | None = None,
                station: str | None = None, session: str | None = None,
                view: str | None = None) -> Playback:
        # A known member is part of the key: two members sharing a station's PC one after
        # the other are two playbacks. A terminal's station (by its token) overrides the
        # server's own. A player page's view id makes each page (and each item of the TV
        # mode) its own playback.
        key = (client, user_agent, item_id, member, station, session, view)
        with self._guard:
            playback = self._open.get(key)
            if playback is None:
                playback = Playback(station or self.station, client, user_agent, item_id,
                                    title, method, datetime.now(UTC), member, session, view)
                playback.open_row = self.writer.submit(OPEN, playback.open_data())
                self._announce_when_written(OPEN, playback, playback.open_row)
                self._open[key] = playback
                if view is not None:
                    self._views[view] = key
            elif method == "hls":
                playback.method = "hls"
            playback.in_flight += 1
            playback.last_seen = time.monotonic()
            return playback

    def delivered(self, playback: Playback, start: float, end: float, count: int) -> None:
        playback.spans.add(start, end)
        playback.bytes_sent += count
        playback.last_seen = playback.last_active = time.monotonic()

    def reported(self, view: str, item_id: int, played: list[tuple[float, float]],
                 failure: str | None, ended: bool = False) -> bool:
        """A player page's report on its playback: what it has played so far (its whole
        ``played`` ranges, replacing the last report) and, when the item failed, why. A
        failed playback, or one whose page is closing (``ended``), closes at once. False
        when the view has no open playback."""
        with self._guard:
            key = self._views.get(view)
            playback = self._open.get(key) if key is not None else None
            if playback is None or playback.item_id != item_id:
                return False
            playback.played = Spans.of(played)
            playback.last_active = playback.last_seen = time.monotonic()
            closing = failure is not None or ended
            if closing:
                playback.failure = failure
                del self._open[key]  # type: ignore[arg-type]
                del self._views[view]
        if closing:
            self._close(playback, "failed" if failure is not None else "page")
        return True

    def finished(self, playback: Playback) -> None:
        playback.in_flight -= 1
        playback.last_seen = time.monotonic()

    def sweep(self, now: float | None = None) -> int:
        """Close the playbacks idle for longer than the window; returns how many."""
        now = time.monotonic() if now is None else now
        with self._guard:
            idle = [k for k, p in self._open.items()
                    if p.in_flight <= 0 and now - p.last_seen > self._idle_window(p)]
            closing = [self._open.pop(k) for k in idle]
            for playback in closing:
                if playback.view is not None:
                    self._views.pop(playback.view, None)
        for playback in closing:
            self._close(playback, "idle")
        return len(closing)

    def _idle_window(self, playback: Playback) -> float:
        if playback.view is None:
            return self.idle_seconds
        return max(self.idle_seconds, VIEW_IDLE_SECONDS)

    def close_all(self, ended_by: str = "shutdown") -> None:
        with self._guard:
            closing = list(self._open.values())
            self._open.clear()
            self._views.clear()
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
                CLOSE, playback.close_data(opened.result().seq, closed_at, ended_by,
                                           self.buffer_seconds))
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
            "member": data["member"], "session": data["session"],
            "item_id": data["item_id"], "title": data["title"], "method": data["method"],
            "opened_at": parse_at(data["opened_at"]), "closed_at": None, "close_seq": None,
            "bytes_sent": 0, "seconds": 0.0, "ended_by": "", "failure": ""}


def close_values(entry: Entry) -> tuple[int, dict[str, Any]]:
    """(open_seq, the columns) that a ``playback.close`` row sets."""
    data = entry.data
    return data["open_seq"], {"closed_at": parse_at(data["closed_at"]),
                              "close_seq": entry.seq, "bytes_sent": data["bytes_sent"] or 0,
                              "seconds": data["seconds"] or 0.0, "ended_by": data["ended_by"],
                              # Rows written before players reported have no failure.
                              "failure": data.get("failure") or ""}
