"""Signing in and marking attendance (issue 16.2–16.4): every attempt, accepted or
refused, becomes one ledger row, written before the answer.

Who may ask is the web layer's business (a phone holding the TV's code, the station's
kiosk, its administrator); what is allowed is decided here: the session must be running
at that station (sign-in opens ``signin_opens_minutes`` before the start and closes at
the end), one sign-in per member and session, and a request carrying a nonce that was
seen already gets the first answer again and writes nothing. Checks and the write happen
under one lock, so two requests for one member cannot both pass.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.attendance import codes
from catalog.attendance.models import AttendanceRow
from catalog.attendance.policy import LATE_AFTER, Policy
from catalog.attendance.rows import (
    CORRECT,
    MARK,
    MARKING,
    REFUSED,
    SHEET,
    SIGNIN,
    STATUSES,
    data,
)
from catalog.db import Database
from catalog.errors import BadRequest, NotFound
from catalog.evidence.ledger import Entry
from catalog.evidence.models import LedgerRow
from catalog.org.models import Member
from catalog.planning.models import StudySession

Write = Callable[[str, dict[str, Any]], Entry]
MAX_REASON = 500
MAX_GUEST = 50
MAX_NONCE = 64
CODE_METHODS = frozenset({"tv_qr", "kiosk"})


@dataclass(frozen=True)
class Attempt:
    session_id: int
    method: str  # tv_qr (a phone, by the TV's code), kiosk (the station's own screen), admin
    actor: str  # "user:dongcun", "terminal:CG-001", "phone"
    device: str = ""
    nonce: str = ""
    code: str = ""
    member_id: int | None = None
    phone_last4: str = ""
    guest_name: str = ""
    status: str = "present"  # for admin marks
    reason: str = ""
    at_event: datetime | None = None
    station_id: int | None = None  # the asking terminal's station, when a terminal asks
    own_member_id: int | None = None  # a signed-in member signing himself in
    sheet_sha256: str = ""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    seq: int | None = None
    status: str = ""
    at: datetime | None = None  # when the row was written (for a repeat: the first one)
    refusal: str = ""  # a message key
    fields: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False
    member_id: int | None = None
    name: str = ""
    late_entry: bool = False
    choose: list[tuple[int, str]] | None = None  # names to choose from (phone digits)
    marked: bool = False  # by the administrator (a mark or correction), not a sign-in


class Refused(Exception):
    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key)
        self.key = key
        self.fields = fields


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class Attendance:
    def __init__(self, db: Database, policy: Policy, key: bytes, write: Write) -> None:
        self.db = db
        self.policy = policy
        self.key = key
        self.write = write
        self._lock = threading.Lock()

    # ---- the code on the TV

    def code(self, session_id: int) -> codes.Current:
        return codes.current(self.key, session_id)

    # ---- signing in and marking

    def attempt(self, attempt: Attempt, now: datetime | None = None) -> Outcome:
        _check_input(attempt)
        with self._lock:
            now = now or datetime.now(UTC)
            with self.db.session() as session:
                study = session.get(StudySession, attempt.session_id)
                if study is None:
                    raise NotFound("session_not_found", session_id=attempt.session_id)
                replay = _by_nonce(session, attempt.session_id, attempt.nonce)
                if replay is not None:
                    return _outcome_of(session, replay, self.policy, replayed=True)
                try:
                    chosen = self._decide(session, study, attempt, now)
                except Refused as refused:
                    return self._refuse(session, study, attempt, refused, now)
                if isinstance(chosen, list):  # the digits matched: now choose a name
                    return Outcome(False, choose=chosen)
                member, status = chosen
            at_event = attempt.at_event or now
            late = now > self.policy.late_after(study)
            kind = MARK if attempt.method == "admin" else SIGNIN
            entry = self.write(kind, data(
                study.id, member_id=member.id if member else None,
                guest=attempt.guest_name if member is None else "", status=status,
                method=attempt.method, actor=attempt.actor, device=attempt.device,
                nonce=attempt.nonce, at_event=at_event, reason=attempt.reason,
                late_entry=late, sheet_sha256=attempt.sheet_sha256))
            return Outcome(True, entry.seq, status, now, member_id=member.id if member else None,
                           name=member.name if member else attempt.guest_name,
                           late_entry=late, marked=kind == MARK)

    def _decide(self, session: Session, study: StudySession, attempt: Attempt,
                now: datetime) -> tuple[Member | None, str] | list[tuple[int, str]]:
        policy = self.policy
        if study.cancelled_at is not None:
            raise Refused("signin_cancelled", title=study.title)
        if attempt.station_id is not None and attempt.station_id != study.station_id:
            raise Refused("signin_other_station", title=study.title)
        if attempt.method in CODE_METHODS:
            checked = codes.check(self.key, study.id, attempt.code, now.timestamp())
            if not checked.ok:
                if checked.age_seconds:
                    raise Refused("signin_code_expired", seconds=checked.age_seconds)
                raise Refused("signin_code_wrong")
        if now < policy.opens_at(study):
            raise Refused("signin_not_open", opens=self._clock(policy.opens_at(study), True))
        if attempt.method in CODE_METHODS and now > study.ends_at:
            raise Refused("signin_closed", ends=self._clock(study.ends_at, True))
        if attempt.method != "admin" and attempt.guest_name:
            if _current_guest(session, study.id, attempt.guest_name) is not None:
                raise Refused("signin_already", name=attempt.guest_name, time="")
            return None, _arrival_status(study, now)
        # One member, or the few whose phone ends so: never the whole roster per request.
        if attempt.phone_last4 and attempt.member_id is None:
            return [(m.id, m.name) for m in session.scalars(select(Member).where(
                Member.org_id == study.org_id,
                Member.phone.endswith(attempt.phone_last4, autoescape=True))
                .order_by(Member.name, Member.id))]
        if attempt.member_id is None:
            raise BadRequest("signin_needs_member")
        member = session.get(Member, attempt.member_id)
        if member is None or member.org_id != study.org_id:
            raise Refused("signin_not_on_roster", member_id=attempt.member_id)
        if attempt.own_member_id is not None and attempt.own_member_id != member.id:
            raise Refused("signin_not_yourself")
        if (attempt.method in CODE_METHODS and attempt.own_member_id is None
                and not (attempt.phone_last4 and member.phone.endswith(attempt.phone_last4))):
            raise Refused("signin_phone_mismatch")
        earlier = current_row(session, study.id, member.id)
        if earlier is not None:
            raise Refused("signin_already", name=member.name,
                          time=self._clock(earlier.at_event, False), seq=earlier.seq)
        if attempt.method == "admin":
            if attempt.sheet_sha256 and session.scalars(select(AttendanceRow.seq).where(
                    AttendanceRow.session_id == study.id, AttendanceRow.kind == SHEET,
                    AttendanceRow.sheet_sha256 == attempt.sheet_sha256)).first() is None:
                raise BadRequest("sheet_unknown", sha256=attempt.sheet_sha256[:12])
            return member, attempt.status
        return member, _arrival_status(study, now)

    def _refuse(self, session: Session, study: StudySession, attempt: Attempt,
                refused: Refused, now: datetime) -> Outcome:
        member = session.get(Member, attempt.member_id) if attempt.member_id else None
        entry = self.write(REFUSED, data(
            study.id, member_id=member.id if member and member.org_id == study.org_id else None,
            guest=attempt.guest_name[:MAX_GUEST], method=attempt.method, actor=attempt.actor,
            device=attempt.device, nonce=attempt.nonce, at_event=attempt.at_event or now,
            reason=attempt.reason, refusal=refused.key,
            late_entry=now > self.policy.late_after(study),
            fields={k: v for k, v in refused.fields.items() if k != "seq"}))
        return Outcome(False, entry.seq, refusal=refused.key, fields=refused.fields, at=now,
                       member_id=attempt.member_id, name=member.name if member else "")

    def _clock(self, moment: datetime, with_date: bool) -> str:
        local = moment.astimezone(self.policy.zone)
        return local.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")

    def sheet(self, session_id: int, digest: str, content_type: str, size: int, actor: str,
              at_event: datetime | None = None) -> int:
        """The seq of a kept sheet's row (catalog/attendance/sheets.py): written once per
        session and content, found again after that."""
        with self._lock:
            with self.db.session() as session:
                found = session.scalars(select(AttendanceRow).where(
                    AttendanceRow.session_id == session_id, AttendanceRow.kind == SHEET,
                    AttendanceRow.sheet_sha256 == digest)).first()
                if found is not None:
                    return found.seq
            now = datetime.now(UTC)
            return self.write(SHEET, data(session_id, method="admin", actor=actor,
                                          at_event=at_event or now, sheet_sha256=digest,
                                          content_type=content_type, size=size)).seq

    # ---- corrections

    def correct(self, seq: int, status: str, reason: str, actor: str, nonce: str = "",
                at_event: datetime | None = None, ledger: str | None = None,
                now: datetime | None = None) -> Outcome:
        """A new row replacing row ``seq`` (a sign-in, mark or correction not replaced
        yet); the replaced row stays, shown in the member's history."""
        if status not in STATUSES:
            raise BadRequest("bad_choice", name="status", value=status[:40],
                             expected=", ".join(STATUSES))
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON:
            raise BadRequest("correct_needs_reason", limit=MAX_REASON)
        _check_nonce(nonce)
        with self._lock:
            now = now or datetime.now(UTC)
            with self.db.session() as session:
                query = select(AttendanceRow).where(AttendanceRow.seq == seq)
                if ledger is not None:
                    query = query.where(AttendanceRow.ledger == ledger)
                old = session.scalars(query).first()
                if old is None or old.kind not in MARKING:
                    raise NotFound("signin_not_found", seq=seq)
                replay = _by_nonce(session, old.session_id, nonce)
                if replay is not None:
                    return _outcome_of(session, replay, self.policy, replayed=True)
                newer = session.scalars(select(AttendanceRow.seq).where(
                    AttendanceRow.session_id == old.session_id,
                    AttendanceRow.replaces_seq == seq)).first()
                if newer is not None:
                    raise BadRequest("correct_superseded", seq=seq, newer=newer)
                study = session.get_one(StudySession, old.session_id)
                if at_event is not None and _utc(at_event) > now + timedelta(minutes=1):
                    raise BadRequest("at_event_future")
                member = session.get(Member, old.member_id) if old.member_id else None
            late = now > self.policy.late_after(study)
            entry = self.write(CORRECT, data(
                study.id, member_id=old.member_id, guest=old.guest_name, status=status,
                method=old.method, actor=actor, nonce=nonce,
                at_event=at_event or old.at_event, reason=reason, late_entry=late,
                replaces=old.seq))
            return Outcome(True, entry.seq, status, now, member_id=old.member_id,
                           name=member.name if member else old.guest_name, late_entry=late,
                           marked=True)


def _arrival_status(study: StudySession, now: datetime) -> str:
    return "late" if now > study.starts_at + LATE_AFTER else "present"


def _check_nonce(nonce: str) -> None:
    if len(nonce) > MAX_NONCE or not all(c.isalnum() or c in "-_" for c in nonce):
        raise BadRequest("bad_nonce", limit=MAX_NONCE)


def _check_input(attempt: Attempt) -> None:
    _check_nonce(attempt.nonce)
    if attempt.method not in (*CODE_METHODS, "admin"):
        raise BadRequest("bad_choice", name="method", value=attempt.method[:40],
                         expected="tv_qr, kiosk, admin")
    if attempt.status not in STATUSES:
        raise BadRequest("bad_choice", name="status", value=attempt.status[:40],
                         expected=", ".join(STATUSES))
    if len(attempt.reason) > MAX_REASON:
        raise BadRequest("reason_too_long", limit=MAX_REASON)
    if attempt.method == "admin" and attempt.status == "leave" and not attempt.reason.strip():
        raise BadRequest("leave_needs_reason")
    if len(attempt.guest_name) > MAX_GUEST or (attempt.guest_name and attempt.member_id):
        raise BadRequest("bad_guest_name", limit=MAX_GUEST)
    if attempt.method == "admin" and attempt.guest_name:
        raise BadRequest("bad_guest_name", limit=MAX_GUEST)
    if attempt.phone_last4 and not (len(attempt.phone_last4) == 4
                                    and attempt.phone_last4.isascii()
                                    and attempt.phone_last4.isdigit()):
        raise BadRequest("bad_phone_last4")
    if attempt.at_event is not None and attempt.at_event.tzinfo is None:
        raise BadRequest("at_event_needs_offset")
    if attempt.at_event is not None and attempt.at_event > datetime.now(UTC) + timedelta(
            minutes=1):
        raise BadRequest("at_event_future")


def _by_nonce(session: Session, session_id: int, nonce: str) -> AttendanceRow | None:
    if not nonce:
        return None
    return session.scalars(select(AttendanceRow).where(
        AttendanceRow.session_id == session_id, AttendanceRow.nonce == nonce)
        .order_by(AttendanceRow.seq)).first()


def current_row(session: Session, session_id: int, member_id: int) -> AttendanceRow | None:
    """The member's row in force: the latest sign-in, mark or correction not replaced."""
    found = session.scalars(select(AttendanceRow).where(
        AttendanceRow.session_id == session_id, AttendanceRow.member_id == member_id,
        AttendanceRow.kind.in_(MARKING)).order_by(AttendanceRow.seq)).all()
    replaced = {r.replaces_seq for r in found if r.replaces_seq is not None}
    standing = [r for r in found if r.seq not in replaced]
    return standing[-1] if standing else None


def _current_guest(session: Session, session_id: int, name: str) -> AttendanceRow | None:
    return session.scalars(select(AttendanceRow).where(
        AttendanceRow.session_id == session_id, AttendanceRow.member_id.is_(None),
        AttendanceRow.guest_name == name, AttendanceRow.kind.in_(MARKING))).first()


def _outcome_of(session: Session, row: AttendanceRow, policy: Policy, replayed: bool
                ) -> Outcome:
    member = session.get(Member, row.member_id) if row.member_id else None
    name = member.name if member else row.guest_name
    if row.kind == REFUSED:
        payload = session.scalar(select(LedgerRow.payload).where(
            LedgerRow.ledger == row.ledger, LedgerRow.seq == row.seq))
        fields = json.loads(payload)["data"].get("fields", {}) if payload else {}
        return Outcome(False, row.seq, refusal=row.refusal, at=row.at, replayed=replayed,
                       member_id=row.member_id, name=name, fields=fields)
    return Outcome(True, row.seq, row.status, row.at, replayed=replayed,
                   member_id=row.member_id, name=name, late_entry=row.late_entry,
                   marked=row.kind != SIGNIN)
