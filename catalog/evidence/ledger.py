"""The evidence ledger: append-only rows chained by SHA-256, one gapless ``seq`` per ledger.

Each row's hashed text is its canonical payload::

    {"seq":12,"at":"2027-03-10T01:12:03.123456Z","kind":"playback.open","ledger":"XC-012",
     "data":{...}}

(top-level keys in that order, ``data`` as JSON with sorted keys, no spaces, UTF-8), and
``hash = SHA-256(prev_hash + payload)`` over the hex text of ``prev_hash`` and the payload,
the first row's ``prev_hash`` being 64 zeros. A row's time is the server's clock when the
row is written, never earlier than the row before. Editing, removing, reordering or
inserting rows breaks the chain; rewriting the whole chain after an edit is exposed by the
signed checkpoints (catalog/evidence/checkpoints.py). ``kind`` is open: playbacks now; sign-ins,
make-ups, minutes and feedback later.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from catalog.db import Database
from catalog.evidence.models import LedgerLock, LedgerRow

GENESIS = "0" * 64
logger = logging.getLogger(__name__)


_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                            allow_nan=False)


class Encoded(str):
    """A row's data already in canonical form (encoded when submitted, so that data that
    cannot be encoded fails its caller at once instead of the writer's batch)."""


def canonical_data(data: Any) -> str:
    if isinstance(data, Encoded):
        return data
    return _encoder.encode(data)


@functools.lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    # Kinds, ledger names and times repeat row after row (a batch shares its time).
    return json.dumps(text, ensure_ascii=False)


def payload_prefix(seq: int, at: str, kind: str, ledger: str) -> str:
    """The payload up to its ``data``: what the columns of a row must agree with."""
    return (f'{{"seq":{seq},"at":{_quoted(at)},"kind":{_quoted(kind)},'
            f'"ledger":{_quoted(ledger)},"data":')



def make_payload(seq: int, at: str, kind: str, ledger: str, data: Any) -> str:
    return payload_prefix(seq, at, kind, ledger) + canonical_data(data) + "}"


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def format_at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class Entry(NamedTuple):
    ledger: str
    seq: int
    at: str
    kind: str
    payload: str
    prev_hash: str
    hash: str

    @property
    def data(self) -> Any:
        return json.loads(self.payload)["data"]


class Event(NamedTuple):
    kind: str
    data: Any


def lock_ledger(connection: Connection, ledger: str) -> None:
    """Take the ledger's write lock for this transaction (see LedgerLock)."""
    touched = connection.execute(update(LedgerLock).where(LedgerLock.ledger == ledger)
                                 .values(appends=LedgerLock.appends + 1))
    if touched.rowcount == 0:
        connection.execute(insert(LedgerLock).values(ledger=ledger, appends=1))


def head(connection: Connection, ledger: str) -> tuple[int, str, str]:
    """(seq, hash, at) of the ledger's last row; (0, GENESIS, "") when it is empty."""
    row = connection.execute(
        select(LedgerRow.seq, LedgerRow.hash, LedgerRow.at).where(LedgerRow.ledger == ledger)
        .order_by(LedgerRow.seq.desc()).limit(1)).first()
    return (row.seq, row.hash, row.at) if row else (0, GENESIS, "")


def append(connection: Connection, ledger: str, events: Iterable[Event],
           now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Entry]:
    """Append ``events`` as rows, inside the caller's transaction (which must commit)."""
    lock_ledger(connection, ledger)
    seq, prev_hash, last_at = head(connection, ledger)
    at = max(format_at(now()), last_at)  # a clock set back must not reorder the ledger
    entries = []
    for kind, data in events:
        seq += 1
        payload = make_payload(seq, at, kind, ledger, data)
        digest = chain_hash(prev_hash, payload)
        entries.append(Entry(ledger, seq, at, kind, payload, prev_hash, digest))
        prev_hash = digest
    if entries:
        # The driver's executemany straight away: SQLAlchemy's per-row parameter handling
        # cost as much as the hashing, for columns that need no conversion.
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        connection.exec_driver_sql(
            f"INSERT INTO ledger (ledger, seq, at, kind, payload, prev_hash, hash) "
            f"VALUES ({', '.join([mark] * 7)})", entries)
    return entries


def append_now(db: Database, ledger: str, events: list[Event], retries: int = 5
               ) -> list[Entry]:
    """Append in a transaction of its own, retrying when another process took the
    ledger's first lock row at the same moment (PostgreSQL)."""
    for attempt in range(retries):
        try:
            with db.engine.begin() as connection:
                return append(connection, ledger, events)
        except IntegrityError:
            if attempt == retries - 1:
                raise
    raise AssertionError("unreachable")


def rows(connection: Connection, ledger: str, after: int = 0, batch: int = 50_000
         ) -> Iterator[Entry]:
    """Every row after seq ``after``, in order of seq, streamed in batches (through the
    driver directly: verifying a million rows is mostly reading them)."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    query = (f"SELECT seq, at, kind, payload, prev_hash, hash FROM ledger WHERE ledger = {mark}"
             f" AND seq > {mark} ORDER BY seq LIMIT {int(batch)}")
    while True:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(query, (ledger, after))
            found = cursor.fetchall()
        finally:
            cursor.close()
        for seq, at, kind, payload, prev_hash, digest in found:
            yield Entry(ledger, seq, at, kind, payload, prev_hash, digest)
        if len(found) < batch:
            return
        after = found[-1][0]


Apply = Callable[[Connection, list[Entry]], None]


class Ack:
    """A row's acknowledgement: resolved once its transaction has committed. The parts of
    ``concurrent.futures.Future`` the callers use, without a lock and a condition per row
    (they cost more than hashing the row): the writer wakes waiters once per batch."""

    __slots__ = ("_writer", "_entry", "_error", "_callbacks", "_done")

    def __init__(self, writer: LedgerWriter) -> None:
        self._writer = writer
        self._entry: Entry | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Ack], None]] = []
        self._done = False

    def done(self) -> bool:
        return self._done

    def result(self, timeout: float | None = None) -> Entry:
        self._writer._wait(self, timeout)
        if self._error is not None:
            raise self._error
        assert self._entry is not None
        return self._entry

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._writer._wait(self, timeout)
        return self._error

    def add_done_callback(self, callback: Callable[[Ack], None]) -> None:
        with self._writer._lock:
            if not self._done:
                self._callbacks.append(callback)
                return
        callback(self)

    def _run_callbacks(self, callbacks: list[Callable[[Ack], None]]) -> None:
        for callback in callbacks:
            try:
                callback(self)
            except Exception:
                logger.exception("a ledger row callback failed")


class WriterState(NamedTuple):
    """What /healthz and the streaming routes ask of the writer."""

    failing: bool
    since: float | None  # time.time() of the first failed attempt
    error: str
    queued: int


class LedgerWriter:
    """The one thread that writes a server's ledger rows, so requests never wait on the
    database. ``submit`` returns at once with the row's acknowledgement; rows queued
    together are written in one transaction, with ``apply`` (projections such as the
    playbacks table) in the same transaction. A row is acknowledged (its callbacks run,
    ``result`` returns) only after its transaction committed.

    A batch that cannot be written is never dropped: it is tried again, ever less often,
    while ``state`` says the writer is failing (the server then refuses streams rather
    than serve them unrecorded), until the database takes it. ``idle`` runs on this
    thread about once a second, between batches (time-based checkpoints)."""

    BATCH = 1000
    RETRY_MAX_SECONDS = 5.0

    def __init__(self, db: Database, ledger: str, apply: Apply | None = None,
                 after_commit: Callable[[list[Entry]], None] | None = None,
                 idle: Callable[[], None] | None = None) -> None:
        self.db = db
        self.ledger = ledger
        self.apply = apply
        self.after_commit = after_commit
        self.idle = idle
        self._queue: deque[tuple[Event, Ack] | None] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition()  # rows queued
        self._written = threading.Condition()  # a batch acknowledged
        self._failing_since: float | None = None
        self._error = ""
        self._in_hand = 0  # rows taken off the queue and not yet written
        self._stopping = False
        self._unwritten: list[tuple[Event, Ack]] = []  # a batch given up at close
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    def submit(self, kind: str, data: Any) -> Ack:
        encoded = Encoded(canonical_data(data))  # raises for data that is not JSON
        ack = Ack(self)
        self._queue.append((Event(kind, encoded), ack))  # deque.append is atomic
        if len(self._queue) == 1:
            with self._wake:
                self._wake.notify()
        return ack

    @property
    def state(self) -> WriterState:
        return WriterState(self._failing_since is not None, self._failing_since, self._error,
                           len(self._queue) + self._in_hand)

    def close(self, timeout: float = 30.0) -> list[Event]:
        """Write what is queued, then stop. Returns the rows that could not be written
        within ``timeout`` (the database is down): the caller must keep them."""
        self._queue.append(None)
        with self._wake:
            self._wake.notify()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            return []
        self._stopping = True  # gives up retrying; what is left is handed back
        self._thread.join(self.RETRY_MAX_SECONDS + 1)
        left = self._unwritten + [item for item in list(self._queue) if item is not None]
        self._queue.clear()
        stopped = RuntimeError("the server stopped before the ledger row could be written")
        self._resolve([(ack, None, stopped) for _, ack in left])
        return [event for event, _ in left]

    def _wait(self, ack: Ack, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._written:
            while not ack._done:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError("the ledger row is not written yet")
                self._written.wait(left if left is not None else 1.0)

    def _run(self) -> None:
        stopping = False
        last_idle = time.monotonic()
        while True:
            batch: list[tuple[Event, Ack]] = []
            while len(batch) < self.BATCH and self._queue:
                item = self._queue.popleft()
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            if batch:
                self._in_hand = len(batch)
                if not self._write(batch):
                    self._unwritten = batch
                    return
                self._in_hand = 0
            elif stopping:
                # Rows queued by the callbacks of the last batch (a close after its open)
                # were written above; nothing is left.
                return
            else:
                with self._wake:
                    if not self._queue:
                        # The timeout covers a row queued between the check and the wait.
                        self._wake.wait(0.05)
            if self.idle is not None and time.monotonic() - last_idle >= 1.0:
                last_idle = time.monotonic()
                self._call(self.idle)

    def _call(self, hook: Callable[[], None]) -> None:
        try:
            hook()
        except Exception as exc:  # a checkpoint can wait for the next turn
            logger.error("ledger writer hook failed: %s", exc)

    def _write(self, batch: list[tuple[Event, Ack]]) -> bool:
        """Write the batch, trying until it is written; False only when told to stop."""
        delay = 0.1
        while True:
            try:
                with self.db.engine.begin() as connection:
                    entries = append(connection, self.ledger, [e for e, _ in batch])
                    if self.apply is not None:
                        self.apply(connection, entries)
                break
            except Exception as exc:  # the database may be unreachable, locked or full
                self._failed(exc, len(batch))
                if self._stopping:
                    return False
                time.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX_SECONDS)
        if self._failing_since is not None:
            logger.warning("ledger %s: rows are written again (%d in this batch)",
                           self.ledger, len(entries))
            self._failing_since, self._error = None, ""
        self._resolve([(ack, entry, None) for entry, (_, ack) in zip(entries, batch,
                                                                     strict=True)])
        after_commit = self.after_commit
        if after_commit is not None:
            self._call(lambda: after_commit(entries))
        return True

    def _failed(self, exc: BaseException, count: int) -> None:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
        if self._failing_since is None:
            self._failing_since = time.time()
            logger.error("ledger %s: %d rows cannot be written, retrying until they are "
                         "(streams are refused meanwhile): %s", self.ledger, count, error)
        self._error = error

    def _resolve(self, outcomes: list[tuple[Ack, Entry | None, BaseException | None]]
                 ) -> None:
        """Acknowledge a batch under one lock, wake its waiters once, then run callbacks."""
        pending = []
        with self._lock:
            for ack, entry, error in outcomes:
                ack._entry, ack._error, ack._done = entry, error, True
                if ack._callbacks:
                    pending.append((ack, ack._callbacks))
                    ack._callbacks = []
        with self._written:
            self._written.notify_all()
        for ack, callbacks in pending:
            ack._run_callbacks(callbacks)
