"""Entering minutes and feedback, and replying to feedback (issue 17.1, 17.2): each a ledger
row written before the answer. A second entry of minutes (or feedback) for a session is an
edit: a new row superseding the one in force, both kept. A request whose nonce was seen
gets the row it made, and writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import Database
from catalog.errors import BadRequest, NotFound
from catalog.evidence.ledger import Entry
from catalog.org.models import Member
from catalog.planning.models import StudySession
from catalog.planning.sessions import TOPICS
from catalog.records.models import RecordRow
from catalog.records.rows import EDITABLE, FEEDBACK, MINUTES, PHOTO, REPLY, data

Write = Callable[[str, dict[str, Any]], Entry]
MAX_TEXT = 5000
MAX_NONCE = 64
FEEDBACK_FIELDS = ("how_it_went", "opinions", "requests", "problems")


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest("bad_field", field=name)
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise BadRequest("text_too_long", field=name, limit=MAX_TEXT)
    return text


def _nonce(nonce: str) -> str:
    if len(nonce) > MAX_NONCE or not all(c.isalnum() or c in "-_" for c in nonce):
        raise BadRequest("bad_nonce", limit=MAX_NONCE)
    return nonce


def current(session: Session, session_id: int, kind: str) -> RecordRow | None:
    """The row of ``kind`` in force for the session: the latest not superseded."""
    return in_force(session.scalars(select(RecordRow).where(
        RecordRow.session_id == session_id, RecordRow.kind == kind)
        .order_by(RecordRow.seq)).all())


class Superseding(Protocol):
    seq: int
    supersedes_seq: int | None


S = TypeVar("S", bound=Superseding)


def in_force(rows: Sequence[S]) -> S | None:
    """Of rows in ``seq`` order, the latest that no later one supersedes."""
    superseded = {r.supersedes_seq for r in rows if r.supersedes_seq is not None}
    standing = [r for r in rows if r.seq not in superseded]
    return standing[-1] if standing else None


class SessionRecords:
    def __init__(self, db: Database, late_entry_hours: float, write: Write) -> None:
        self.db = db
        self.late_entry_hours = late_entry_hours
        self.write = write
        self._lock = threading.Lock()

    def minutes(self, session_id: int, *, topics: Sequence[str], speakers: Sequence[int],
                summary: str, decisions: str, actor: str, nonce: str = "",
                at_event: datetime | None = None) -> tuple[RecordRow | Entry, bool]:
        unknown = [t for t in topics if t not in TOPICS]
        if unknown:
            raise BadRequest("bad_topic", value=", ".join(map(str, unknown))[:80],
                             expected=", ".join(TOPICS))
        body: dict[str, Any] = {
            "topics": list(dict.fromkeys(topics)), "speakers": sorted(set(speakers)),
            "summary": _text(summary, "summary"), "decisions": _text(decisions, "decisions")}
        if not body["summary"] and not body["topics"]:
            raise BadRequest("minutes_empty")

        def check(session: Session, study: StudySession) -> None:
            on_roster = set(session.scalars(select(Member.id).where(
                Member.org_id == study.org_id, Member.id.in_(body["speakers"]))))
            missing = [m for m in body["speakers"] if m not in on_roster]
            if missing:
                raise BadRequest("group_member_unknown", member_id=", ".join(map(str, missing)))

        return self._enter(MINUTES, session_id, body, actor, nonce, at_event, check)

    def feedback(self, session_id: int, fields: dict[str, Any], actor: str, nonce: str = "",
                 at_event: datetime | None = None) -> tuple[RecordRow | Entry, bool]:
        body = {name: _text(fields.get(name), name) for name in FEEDBACK_FIELDS}
        if not any(body.values()):
            raise BadRequest("feedback_empty")
        return self._enter(FEEDBACK, session_id, body, actor, nonce, at_event)

    def reply(self, feedback_seq: int, text: str, actor: str, ledger: str, nonce: str = ""
              ) -> tuple[RecordRow | Entry, bool]:
        body = {"text": _text(text, "text")}
        if not body["text"]:
            raise BadRequest("reply_empty")
        with self.db.session() as session:
            sent = session.get(RecordRow, (ledger, feedback_seq))
            if sent is None or sent.kind != FEEDBACK:
                raise NotFound("feedback_not_found", seq=feedback_seq)
            session_id = sent.session_id
        return self._enter(REPLY, session_id, body, actor, nonce, None, replies_to=feedback_seq)

    def photo(self, session_id: int, body: dict[str, Any], actor: str, nonce: str = "",
              at_event: datetime | None = None) -> tuple[RecordRow | Entry, bool]:
        """A kept photo's row (catalog/records/photos.py); ``at_event`` its EXIF time."""
        return self._enter(PHOTO, session_id, body, actor, nonce, at_event)

    def _enter(self, kind: str, session_id: int, body: dict[str, Any], actor: str, nonce: str,
               at_event: datetime | None,
               check: Callable[[Session, StudySession], None] | None = None,
               replies_to: int | None = None) -> tuple[RecordRow | Entry, bool]:
        """(the row, whether it was written now rather than found by its nonce)."""
        _nonce(nonce)
        with self._lock:
            now = datetime.now(UTC)
            if at_event is not None and at_event > now + timedelta(minutes=1):
                raise BadRequest("at_event_future")
            with self.db.session() as session:
                study = session.get(StudySession, session_id)
                if study is None:
                    raise NotFound("session_not_found", session_id=session_id)
                if nonce:
                    seen = session.scalars(select(RecordRow).where(
                        RecordRow.session_id == session_id, RecordRow.nonce == nonce)).first()
                    if seen is not None:
                        return seen, False
                if check is not None:
                    check(session, study)
                before = current(session, session_id, kind) if kind in EDITABLE else None
                late = now > study.ends_at + timedelta(hours=self.late_entry_hours)
            entry = self.write(kind, data(
                session_id, actor=actor, nonce=nonce, at_event=at_event or now,
                late_entry=late, body=body, supersedes=before.seq if before else None,
                replies_to=replies_to))
            return entry, True
