"""Attendance ledger rows: their kinds, their data, and the projection row each makes.

Every row carries the same fields, so that the projection, the pages and ``ledger
verify`` read one shape::

    {"session": 7, "member": 12, "guest": "", "status": "present", "method": "tv_qr",
     "actor": "phone", "device": "d-…", "nonce": "…", "at_event": "2027-03-10T00:41:…Z",
     "reason": "", "late_entry": false, "replaces": null, "refusal": "",
     "sheet_sha256": ""}

``at`` (the ledger row's own time) is when the server wrote it; ``at_event`` the time
the row claims (a paper sheet's time), never later than ``at``. A correction names the
row it replaces (``replaces``); a refused attempt keeps its reason (``refusal``); a
make-up (``makeup.done``) adds what it covered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from catalog.evidence.ledger import Entry, format_at, parse_at

SIGNIN = "attendance.signin"  # by the member (QR on a phone, the kiosk, an account)
MARK = "attendance.mark"  # by the station administrator from the roster or a paper sheet
CORRECT = "attendance.correct"  # replaces an earlier sign-in, mark or correction
REFUSED = "attendance.refused"  # an attempt that was refused, with its reason
MAKEUP = "makeup.done"  # a member on leave or absent made the session up
SHEET = "attendance.sheet"  # a photo or scan of a paper sign-in sheet, by its SHA-256
KINDS = frozenset({SIGNIN, MARK, CORRECT, REFUSED, MAKEUP, SHEET})
MARKING = frozenset({SIGNIN, MARK, CORRECT})  # rows that give a member a status

STATUSES = ("present", "late", "leave", "absent", "exempt")
ATTENDED = frozenset({"present", "late"})
OWING = frozenset({"leave", "absent"})  # a make-up is owed
METHODS = ("tv_qr", "kiosk", "account", "admin", "makeup_session", "playback")


def data(session_id: int, *, member_id: int | None = None, guest: str = "",
         status: str = "", method: str = "", actor: str = "", device: str = "",
         nonce: str = "", at_event: datetime, reason: str = "", late_entry: bool = False,
         replaces: int | None = None, refusal: str = "", sheet_sha256: str = "",
         **extra: Any) -> dict[str, Any]:
    return {"session": session_id, "member": member_id, "guest": guest, "status": status,
            "method": method, "actor": actor, "device": device, "nonce": nonce,
            "at_event": format_at(at_event), "reason": reason, "late_entry": late_entry,
            "replaces": replaces, "refusal": refusal, "sheet_sha256": sheet_sha256, **extra}


def values(entry: Entry) -> dict[str, Any]:
    """The ``attendance_rows`` row an attendance ledger row makes (raises KeyError,
    TypeError or ValueError for one that is not)."""
    d = entry.data
    member = d["member"]
    replaces = d["replaces"]
    if member is not None and not isinstance(member, int):
        raise TypeError("member")
    if replaces is not None and not isinstance(replaces, int):
        raise TypeError("replaces")
    return {"ledger": entry.ledger, "seq": entry.seq, "kind": entry.kind,
            "session_id": int(d["session"]), "member_id": member,
            "guest_name": str(d["guest"]), "status": str(d["status"]),
            "method": str(d["method"]), "actor": str(d["actor"]), "device": str(d["device"]),
            "nonce": str(d["nonce"]), "at": parse_at(entry.at),
            "at_event": parse_at(d["at_event"]), "reason": str(d["reason"]),
            "late_entry": bool(d["late_entry"]), "replaces_seq": replaces,
            "refusal": str(d["refusal"]), "sheet_sha256": str(d["sheet_sha256"])}
