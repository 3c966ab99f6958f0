"""The rotating sign-in code a station's TV shows as a QR code (issue 16.2).

Stateless, unlike Moodle's stored batches of QR passwords: the code of a 30-second window
is an HMAC of the session and the window number under the data directory's key, and the
window comes from the **server's** clock, so a TV whose own clock is wrong, a refreshed
page or a second TV all show the same code. The current and the previous window are
accepted (a phone takes a few seconds to open the link); an older code of the same
session is recognised as expired, and says how old it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

WINDOW_SECONDS = 30
LENGTH = 8
# How far back an old code is still recognised as this session's (and so refused as
# expired rather than as wrong): a day of windows, checked only on a miss.
RECOGNISED_WINDOWS = 24 * 3600 // WINDOW_SECONDS


def window_of(moment: float) -> int:
    return int(moment // WINDOW_SECONDS)


def code_for(key: bytes, session_id: int, window: int) -> str:
    digest = hmac.new(key, f"signin:{session_id}:{window}".encode(), hashlib.sha256).digest()
    # Base32 without the letters people misread on a TV from across the hall is not
    # needed: the code travels in the QR's URL, and is typed only from the URL.
    return base64.b32encode(digest).decode("ascii")[:LENGTH]


@dataclass(frozen=True)
class Current:
    code: str
    expires_in: float  # seconds until the window turns


def current(key: bytes, session_id: int, now: float | None = None) -> Current:
    now = time.time() if now is None else now
    window = window_of(now)
    return Current(code_for(key, session_id, window),
                   round((window + 1) * WINDOW_SECONDS - now, 3))


@dataclass(frozen=True)
class Check:
    ok: bool
    age_seconds: int = 0  # for an expired code: how long ago its window ended


def check(key: bytes, session_id: int, code: str, now: float | None = None) -> Check:
    now = time.time() if now is None else now
    window = window_of(now)
    code = code.strip().upper()
    if len(code) != LENGTH:
        return Check(False)
    for accepted in (window, window - 1):
        if hmac.compare_digest(code, code_for(key, session_id, accepted)):
            return Check(True)
    for back in range(2, RECOGNISED_WINDOWS):
        if hmac.compare_digest(code, code_for(key, session_id, window - back)):
            return Check(False, int(now - (window - back + 1) * WINDOW_SECONDS))
    return Check(False)
