"""Minutes (讨论记录), feedback (信息反馈) and the town's replies as ledger rows (issue 17.1,
17.2, 17.4). Data::

    {"session": 7, "actor": "user:dongcun", "nonce": "…", "at_event": "…Z",
     "late_entry": false, "supersedes": null, "replies_to": null, "body": {…}}

``body`` of minutes: ``topics`` (of party_building, village_affairs, development,
civility), ``speakers`` (member ids of the roster), ``summary``, ``decisions``; of
feedback: ``how_it_went``, ``opinions``, ``requests``, ``problems``; of a reply: ``text``.
An edit is a new row whose ``supersedes`` names the row it replaces; both stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from catalog.evidence.ledger import Entry, format_at, parse_at

MINUTES = "minutes.entered"
FEEDBACK = "feedback.sent"
REPLY = "feedback.reply"
PHOTO = "photo.added"  # body: the three digests, content_type, size, width, height
KINDS = frozenset({MINUTES, FEEDBACK, REPLY, PHOTO})
EDITABLE = frozenset({MINUTES, FEEDBACK})  # a second one supersedes the first


def data(session_id: int, *, actor: str, nonce: str, at_event: datetime, late_entry: bool,
         body: dict[str, Any], supersedes: int | None = None,
         replies_to: int | None = None) -> dict[str, Any]:
    return {"session": session_id, "actor": actor, "nonce": nonce,
            "at_event": format_at(at_event), "late_entry": late_entry,
            "supersedes": supersedes, "replies_to": replies_to, "body": body}


def values(entry: Entry) -> dict[str, Any]:
    d = entry.data
    body = d["body"]
    if not isinstance(body, dict):
        raise TypeError("body")
    for name in ("supersedes", "replies_to"):
        if d[name] is not None and not isinstance(d[name], int):
            raise TypeError(name)
    return {"ledger": entry.ledger, "seq": entry.seq, "kind": entry.kind,
            "session_id": int(d["session"]), "actor": str(d["actor"]),
            "nonce": str(d["nonce"]), "at": parse_at(entry.at),
            "at_event": parse_at(d["at_event"]), "late_entry": bool(d["late_entry"]),
            "supersedes_seq": d["supersedes"], "replies_to": d["replies_to"], "body": body}
