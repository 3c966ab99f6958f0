"""The evidence ledger: append-only rows chained by SHA-256, one gapless ``seq`` per ledger.

Each row's hashed text is its canonical payload::

    {"seq":12,"at":"2027-03-10T01:12:03.123456Z","kind":"playback.open","ledger":"XC-012",
     "data":{...}}

(top-level keys in that order, ``data`` as JSON with sorted keys, no spaces, UTF-8), and
``hash = SHA-256(prev_hash + payload)`` over the hex text of ``prev_hash`` and the payload,
the first row's ``prev_hash`` being 64 zeros. A row's time is the server's clock when the
row is written, never earlier than the row before. Editing, removing, reordering or
inserting rows breaks the chain; rewriting the whole chain after an edit is exposed by the
signed checkpoints (catalog/checkpoints.py). ``kind`` is open: playbacks now; sign-ins,
make-ups, minutes and feedback later.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from catalog.db import Database
from catalog.models import LedgerLock, LedgerRow

GENESIS = "0" * 64
logger = logging.getLogger(__name__)


def canonical_data(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)


def payload_prefix(seq: int, at: str, kind: str, ledger: str) -> str:
    """The payload up to its ``data``: what the columns of a row must agree with."""
    return (f'{{"seq":{seq},"at":{json.dumps(at)},"kind":{json.dumps(kind, ensure_ascii=False)},'
            f'"ledger":{json.dumps(ledger, ensure_ascii=False)},"data":')


def make_payload(seq: int, at: str, kind: str, ledger: str, data: Any) -> str:
    return payload_prefix(seq, at, kind, ledger) + canonical_data(data) + "}"


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def format_at(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
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


@dataclass(frozen=True)
class Event:
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
    for event in events:
        seq += 1
        payload = make_payload(seq, at, event.kind, ledger, event.data)
        digest = chain_hash(prev_hash, payload)
        entries.append(Entry(ledger, seq, at, event.kind, payload, prev_hash, digest))
        prev_hash = digest
    if entries:
        connection.execute(insert(LedgerRow), [
            {"ledger": e.ledger, "seq": e.seq, "at": e.at, "kind": e.kind,
             "payload": e.payload, "prev_hash": e.prev_hash, "hash": e.hash}
            for e in entries])
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


def rows(connection: Connection, ledger: str, after: int = 0, batch: int = 20_000
         ) -> Iterator[Entry]:
    """Every row after seq ``after``, in stored order of seq, streamed in batches."""
    while True:
        found = connection.execute(
            select(LedgerRow.seq, LedgerRow.at, LedgerRow.kind, LedgerRow.payload,
                   LedgerRow.prev_hash, LedgerRow.hash)
            .where(LedgerRow.ledger == ledger, LedgerRow.seq > after)
            .order_by(LedgerRow.seq).limit(batch)).all()
        for r in found:
            yield Entry(ledger, r.seq, r.at, r.kind, r.payload, r.prev_hash, r.hash)
        if len(found) < batch:
            return
        after = found[-1].seq


Apply = Callable[[Connection, list[Entry]], None]


class LedgerWriter:
    """The one thread that writes a server's ledger rows, so requests never wait on the
    database. ``submit`` returns at once with a future of the row; rows queued together are
    written in one transaction, with ``apply`` (projections such as the playbacks table)
    in the same transaction. A row is acknowledged (its future resolved, its callback
    run) only after its transaction committed."""

    BATCH = 1000

    def __init__(self, db: Database, ledger: str, apply: Apply | None = None,
                 after_commit: Callable[[list[Entry]], None] | None = None) -> None:
        self.db = db
        self.ledger = ledger
        self.apply = apply
        self.after_commit = after_commit
        self._queue: queue.Queue[tuple[Event, Future[Entry]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    def submit(self, kind: str, data: Any) -> Future[Entry]:
        future: Future[Entry] = Future()
        self._queue.put((Event(kind, data), future))
        return future

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while True:
            batch: list[tuple[Event, Future[Entry]]] = []
            while len(batch) < self.BATCH:
                try:
                    # Block for the first row only; once stopping, never block: rows
                    # queued by callbacks of the last batch (a close after its open) are
                    # still written.
                    item = (self._queue.get_nowait() if batch or stopping
                            else self._queue.get())
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                else:
                    batch.append(item)
            if batch:
                self._write(batch)
            elif stopping:
                return

    def _write(self, batch: list[tuple[Event, Future[Entry]]]) -> None:
        for attempt in range(5):
            try:
                with self.db.engine.begin() as connection:
                    entries = append(connection, self.ledger, [e for e, _ in batch])
                    if self.apply is not None:
                        self.apply(connection, entries)
                break
            except Exception as exc:  # the database may be briefly unreachable
                if attempt == 4:
                    logger.error("ledger rows could not be written: %s", exc)
                    for _, future in batch:
                        future.set_exception(exc)
                    return
                threading.Event().wait(0.2 * (attempt + 1))
        for entry, (_, future) in zip(entries, batch, strict=True):
            future.set_result(entry)
        if self.after_commit is not None:
            try:
                self.after_commit(entries)
            except Exception as exc:  # a checkpoint can wait for the next batch
                logger.error("after writing ledger rows: %s", exc)
