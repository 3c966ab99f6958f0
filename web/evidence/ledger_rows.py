"""Ledger rows for what people do on the pages (an export taken, a notice published over
failing checks, a session cancelled): written when it happens, before the answer, or
the action is refused (an action the evidence does not hold did not happen)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from catalog.errors import DatabaseUnavailable
from catalog.evidence.ledger import Entry

TIMEOUT_SECONDS = 15


def record(request: Request, kind: str, data: dict[str, Any]) -> Entry:
    """Blocks until the row is committed (call it from a worker thread); the row."""
    return record_in(request.app.state, kind, data)


def record_in(state: Any, kind: str, data: dict[str, Any]) -> Entry:
    """``record`` for code holding the app's state rather than a request."""
    evidence = getattr(state, "evidence", None)
    if evidence is None:
        raise DatabaseUnavailable("ledger_failing_refused", error="no ledger")
    ack = evidence.writer.submit(kind, data)
    try:
        error = ack.exception(timeout=TIMEOUT_SECONDS)
    except TimeoutError as late:
        error = late
    if error is not None:
        raise DatabaseUnavailable("ledger_failing_refused", error=str(error)[:200])
    return ack.result()
