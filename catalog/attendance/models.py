"""Attendance's tables: an organization's groups (elective sessions expect only their
group) and the projection of the attendance ledger rows that pages and figures read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.schema import Base, UTCDateTime, utcnow


class MemberGroup(Base):
    """A study group of an organization (学习小组), named as sessions name it."""

    __tablename__ = "member_groups"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_member_groups_org_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("member_groups.id", ondelete="CASCADE"),
                                          primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)


class AttendanceRow(Base):
    """One attendance ledger row (a sign-in, mark, correction, refusal or make-up) as
    pages read it: written in the same transaction as the row, only ever inserted, and
    recomputed and compared by ``ledger verify`` (catalog/attendance/projection.py)."""

    __tablename__ = "attendance_rows"

    ledger: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    member_id: Mapped[int | None] = mapped_column(Integer, index=True)
    guest_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="")
    method: Mapped[str] = mapped_column(String(16), default="")
    actor: Mapped[str] = mapped_column(String(160), default="")
    device: Mapped[str] = mapped_column(String(64), default="")
    nonce: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())  # the ledger row's time
    at_event: Mapped[datetime] = mapped_column(UTCDateTime())  # the time it claims
    reason: Mapped[str] = mapped_column(Text, default="")
    late_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    # Indexed: the mark in force is the one no correction names (catalog/reports/facts.py).
    replaces_seq: Mapped[int | None] = mapped_column(BigInteger, index=True)
    refusal: Mapped[str] = mapped_column(String(32), default="")
    sheet_sha256: Mapped[str] = mapped_column(String(64), default="")
