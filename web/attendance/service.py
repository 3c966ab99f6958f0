"""The attendance service of a running app: made once, on first use, from its settings,
the data directory's key and the ledger writer."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Any

from starlette.requests import Request

from catalog.attendance import Attendance, Policy
from catalog.keyfile import load_key
from web.evidence.ledger_rows import record_in

_made = threading.Lock()


def attendance_of(request: Request) -> Attendance:
    return attendance_in(request.app.state)


def attendance_in(state: Any) -> Attendance:
    found = getattr(state, "attendance", None)
    if found is None:
        with _made:
            found = getattr(state, "attendance", None)
            if found is None:
                settings = state.settings

                def write(kind: str, data: dict[str, Any]) -> Any:
                    return record_in(state, kind, data)

                found = Attendance(state.db, Policy.of(settings), load_key(settings.data_dir),
                                   write)
                state.attendance = found
    return found


class Throttle:
    """At most ``limit`` phone-number lookups per address and session in ``seconds``:
    four digits are guessed in at most 10,000 tries, so twenty in ten minutes (a family
    signing in on one phone, with a typo or two) is plenty for members and nothing for a
    script."""

    def __init__(self, limit: int = 20, seconds: float = 600.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._seen: dict[tuple[str, int], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, address: str, session_id: int) -> tuple[bool, bool]:
        """(allowed, first refusal in this window)."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget quiet addresses
                for key in [k for k, v in self._seen.items() if not v or
                            now - v[-1] > self.seconds]:
                    del self._seen[key]
            seen = self._seen[(address, session_id)]
            while seen and now - seen[0] > self.seconds:
                seen.popleft()
            seen.append(now)
            return len(seen) <= self.limit, len(seen) == self.limit + 1


def throttle_of(request: Request) -> Throttle:
    state = request.app.state
    found = getattr(state, "signin_throttle", None)
    if found is None:
        found = state.signin_throttle = Throttle()
    return found
