"""The session-record service of a running app, made once from its settings and ledger."""

from __future__ import annotations

import threading
from typing import Any

from starlette.requests import Request

from catalog.records import SessionRecords
from web.evidence.ledger_rows import record_in

_made = threading.Lock()


def records_of(request: Request) -> SessionRecords:
    state = request.app.state
    found = getattr(state, "records", None)
    if found is None:
        with _made:
            found = getattr(state, "records", None)
            if found is None:
                def write(kind: str, data: dict[str, Any]) -> Any:
                    return record_in(state, kind, data)

                found = SessionRecords(state.db, state.settings.late_entry_hours, write)
                state.records = found
    return found
