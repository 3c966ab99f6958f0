"""Verify a ledger — from the database or from an export — offline, naming the first bad row.

Checks, row by row in seq order: seq runs 1, 2, 3 … without gaps; the row's columns agree
with its hashed payload; ``prev_hash`` is the previous row's hash; the hash is right; time
never goes backwards. Checkpoints: each signature is valid (under the trusted public key
when one is given) over the text recomputed from its fields; each stored code is the one
its signature gives (a code is never looked up, always recomputed); each names the
previous one; the rows they cover hash as they did when signed, and were written before the
signature; no row older than the signing interval is left unsigned. Observers (the
projections, catalog/evidence/projections.py) see every row that passed. Needs only the standard
library and ``cryptography``, so an export can be checked on any machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from catalog.evidence.checkpoints import (
    ROW_DIGITS,
    Checkpoint,
    code_of,
    display_code,
    normalize_code,
    verify_signature,
)
from catalog.evidence.ledger import GENESIS, Entry, format_at, payload_prefix

EXPORT_FORMAT = "yuanjiao-ledger/1"


@dataclass(frozen=True)
class Problem:
    seq: int | None
    key: str  # a message key (catalog/messages.py), e.g. "verify_bad_hash"
    detail: dict[str, Any]


@dataclass
class Report:
    ledger: str
    rows: int = 0
    checkpoints: int = 0
    last_at: str = ""
    unsigned: int = 0  # rows after the last checkpoint, younger than the signing interval
    first_unsigned_at: str = ""
    problem: Problem | None = None
    matched: Checkpoint | None = None  # the checkpoint whose recomputed code was typed

    @property
    def ok(self) -> bool:
        return self.problem is None


class Observer(Protocol):
    def feed(self, entry: Entry) -> None: ...


def verify(ledger: str, entries: Iterable[Entry], checkpoints: list[Checkpoint],
           public_key: str | None = None, code: str | None = None,
           unsigned_grace: timedelta | None = None, now: datetime | None = None,
           observers: Iterable[Observer] = ()) -> Report:
    """``unsigned_grace``: how old the oldest unsigned row may be (the server signs within
    ``checkpoint_minutes``); None accepts any unsigned tail."""
    report = Report(ledger, checkpoints=len(checkpoints))
    checkpoints = sorted(checkpoints, key=lambda c: c.seq)
    report.problem = _check_checkpoints(checkpoints, public_key, code)
    if code is not None and report.problem is None:
        report.matched = next(c for c in checkpoints
                              if code_of(c.signature) == normalize_code(code))
    # A bad checkpoint says nothing about rows; still, a row problem before it is the
    # first thing to report, so the rows are checked up to its seq.
    limit = report.problem.seq if report.problem is not None else None
    row_problem = _check_rows(ledger, entries, checkpoints, report, limit, list(observers))
    if row_problem is not None:
        report.problem = row_problem
    elif report.problem is None:
        report.problem = _check_tail(report, checkpoints, unsigned_grace,
                                     now or datetime.now(UTC))
    return report


def _check_tail(report: Report, checkpoints: list[Checkpoint],
                unsigned_grace: timedelta | None, now: datetime) -> Problem | None:
    if report.rows == 0:
        return Problem(None, "verify_empty", {"ledger": report.ledger})
    signed = checkpoints[-1].seq if checkpoints else 0
    unsigned = report.rows - signed
    if unsigned <= 0:
        return None
    report.unsigned = unsigned
    if unsigned_grace is not None and report.first_unsigned_at < format_at(now - unsigned_grace):
        return Problem(signed + 1, "verify_unsigned_tail",
                       {"rows": unsigned, "since": report.first_unsigned_at})
    return None


def first_difference(current: Iterable[Entry], earlier: Iterable[Entry]) -> Problem | None:
    """The first row of an earlier copy of the ledger (an inspector's export, the town's
    copy) that the current ledger no longer holds as it was; rows added since are fine."""
    now_rows = iter(current)
    for before in earlier:
        row = next(now_rows, None)
        if row is None:
            return Problem(before.seq, "verify_earlier_missing", {})
        if row.seq != before.seq or row.hash != before.hash:
            return Problem(before.seq, "verify_earlier_differs",
                           {"was": before.hash[:16], "now": row.hash[:16]})
    return None


def _check_checkpoints(checkpoints: list[Checkpoint], public_key: str | None,
                       code: str | None) -> Problem | None:
    previous = GENESIS
    next_first = 1
    for checkpoint in checkpoints:
        if public_key is not None and checkpoint.public_key != public_key:
            return Problem(checkpoint.seq, "verify_other_key", {})
        if not verify_signature(checkpoint, public_key):
            return Problem(checkpoint.seq, "verify_bad_signature", {})
        signed_code = code_of(checkpoint.signature)
        if checkpoint.code != signed_code:
            return Problem(checkpoint.seq, "verify_code_field",
                           {"stored": display_code(checkpoint.code),
                            "signed": display_code(signed_code),
                            "first_seq": checkpoint.first_seq})
        if checkpoint.prev != previous or checkpoint.first_seq != next_first:
            return Problem(checkpoint.seq, "verify_checkpoint_chain", {})
        if len(checkpoint.row_hashes) != (checkpoint.seq - checkpoint.first_seq + 1) * ROW_DIGITS:
            return Problem(checkpoint.seq, "verify_checkpoint_chain", {})
        previous, next_first = checkpoint.digest, checkpoint.seq + 1
    if code is not None and normalize_code(code) not in {code_of(c.signature)
                                                         for c in checkpoints}:
        last = checkpoints[-1].seq if checkpoints else 0
        return Problem(None, "verify_code_missing", {"code": code, "checkpoints":
                                                     len(checkpoints), "last": last})
    return None


def _check_rows(ledger: str, entries: Iterable[Entry], checkpoints: list[Checkpoint],
                report: Report, limit: int | None, observers: list[Observer]
                ) -> Problem | None:
    expected, prev_hash, last_at = 1, GENESIS, ""
    covering = iter(checkpoints)
    checkpoint = next(covering, None)
    sha256 = hashlib.sha256
    for entry in entries:
        seq = entry.seq
        if limit is not None and seq > limit:
            break
        if seq != expected:
            return Problem(min(seq, expected), "verify_seq_gap" if seq > expected
                           else "verify_seq_order", {"expected": expected, "found": seq})
        payload = entry.payload
        if (not payload.startswith(payload_prefix(seq, entry.at, entry.kind, ledger))
                or not payload.endswith("}")):
            return Problem(seq, "verify_columns", {})
        if entry.prev_hash != prev_hash:
            return Problem(seq, "verify_bad_prev", {})
        digest = sha256((prev_hash + payload).encode("utf-8")).hexdigest()
        if digest != entry.hash:
            return Problem(seq, "verify_bad_hash", {})
        if entry.at < last_at:
            return Problem(seq, "verify_time_order", {"at": entry.at, "before": last_at})
        if checkpoint is not None:
            at = (seq - checkpoint.first_seq) * ROW_DIGITS
            if checkpoint.row_hashes[at:at + ROW_DIGITS] != digest[:ROW_DIGITS]:
                return Problem(seq, "verify_checkpoint_mismatch", {"checkpoint": checkpoint.seq})
            if entry.at > checkpoint.at:
                return Problem(seq, "verify_after_checkpoint", {"checkpoint": checkpoint.seq})
            if seq == checkpoint.seq:
                checkpoint = next(covering, None)
        elif not report.first_unsigned_at:
            report.first_unsigned_at = entry.at
        for observer in observers:
            observer.feed(entry)
        prev_hash, last_at, expected = digest, entry.at, seq + 1
        report.rows += 1
    report.last_at = last_at
    if checkpoint is not None and limit is None:
        return Problem(expected, "verify_rows_missing", {"checkpoint": checkpoint.seq})
    return None


# --- exports -----------------------------------------------------------------------------

def write_export(out: IO[str], ledger: str, public_key: str | None,
                 entries: Iterable[Entry], checkpoints: list[Checkpoint]) -> int:
    """JSON Lines: a header, every row, every checkpoint. Returns the rows written."""
    out.write(json.dumps({"type": "header", "format": EXPORT_FORMAT, "ledger": ledger,
                          "public_key": public_key}, ensure_ascii=False) + "\n")
    count = 0
    for e in entries:
        out.write(json.dumps({"type": "row", "seq": e.seq, "at": e.at, "kind": e.kind,
                              "payload": e.payload, "prev_hash": e.prev_hash,
                              "hash": e.hash}, ensure_ascii=False) + "\n")
        count += 1
    for c in checkpoints:
        out.write(json.dumps({"type": "checkpoint", **c.as_dict()}, ensure_ascii=False)
                  + "\n")
    return count


@dataclass
class Export:
    ledger: str
    public_key: str | None
    entries: list[Entry]
    checkpoints: list[Checkpoint]


def read_export(path: Path) -> Export:
    """Raises ValueError (with the line number) for a file that is not an export."""
    with path.open(encoding="utf-8") as lines:
        return parse_export(lines)


def parse_export(lines: Iterable[str]) -> Export:
    """An export from its lines (a file, or an upload on the checkpoint page)."""
    ledger, public_key = "", None
    entries: list[Entry] = []
    found: list[Checkpoint] = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
            kind = record.pop("type")
            if number == 1:
                if kind != "header" or record.get("format") != EXPORT_FORMAT:
                    raise ValueError("not a yuanjiao ledger export")
                ledger, public_key = record["ledger"], record.get("public_key")
            elif kind == "row":
                entries.append(Entry(ledger, int(record["seq"]), record["at"],
                                     record["kind"], record["payload"],
                                     record["prev_hash"], record["hash"]))
            elif kind == "checkpoint":
                found.append(Checkpoint(**record))
            else:
                raise ValueError(f"unknown record type {kind!r}")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"line {number}: {exc}") from exc
    if not ledger:
        raise ValueError("the file is empty: not a yuanjiao ledger export")
    return Export(ledger, public_key, entries, found)
