"""The evidence's tables: ledger rows, signed checkpoints, the per-ledger lock, and
the playbacks projection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.schema import Base, UTCDateTime


class LedgerRow(Base):
    """One entry of the append-only evidence ledger (catalog/evidence/ledger.py). Never updated or
    deleted: triggers refuse both on SQLite and PostgreSQL (migration 0003)."""

    __tablename__ = "ledger"
    __table_args__ = (UniqueConstraint("ledger", "seq", name="uq_ledger_ledger_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[str] = mapped_column(String(32))  # as hashed: ISO 8601 UTC, microseconds
    kind: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the hashed text
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerCheckpoint(Base):
    """A signed statement that a ledger had these rows up to ``seq``
    (catalog/evidence/checkpoints.py); append-only like the ledger."""

    __tablename__ = "ledger_checkpoints"
    __table_args__ = (UniqueConstraint("ledger", "seq", name="uq_ledger_checkpoints_ledger_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[str] = mapped_column(String(32))
    head_hash: Mapped[str] = mapped_column(String(64))
    prev: Mapped[str] = mapped_column(String(64))  # the previous checkpoint's digest
    first_seq: Mapped[int] = mapped_column(BigInteger)  # rows covered: first_seq..seq
    row_hashes: Mapped[str] = mapped_column(Text)  # 16 hex digits of each covered row's hash
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(String(16), index=True)
    # Why it was signed: rows, time, close, shutdown, manual, export, or recovered (rows a
    # crashed run left unsigned); signed with the rest when not empty.
    reason: Mapped[str] = mapped_column(String(16), default="", server_default="")


class LedgerLock(Base):
    """One row per ledger, written first by every append: the write lock that keeps seq
    gapless when several processes append (a row lock on PostgreSQL, the database's write
    lock on SQLite)."""

    __tablename__ = "ledger_locks"

    ledger: Mapped[str] = mapped_column(String(64), primary_key=True)
    appends: Mapped[int] = mapped_column(BigInteger, default=0)


class Playback(Base):
    """A playback as the pages list it: a projection of its ledger rows (open, close),
    written in the same transaction as they are. The ledger is the evidence."""

    __tablename__ = "playbacks"
    # The reports match playbacks to sessions by station and time (catalog/reports/facts.py).
    __table_args__ = (Index("ix_playbacks_station_opened_at", "station", "opened_at"),)

    # Every ledger numbers its rows from 1: a database that has held two station codes
    # holds two playbacks with one open_seq (migration 0006).
    ledger: Mapped[str] = mapped_column(String(64), primary_key=True)
    open_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    station: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(Text, default="")
    member: Mapped[str | None] = mapped_column(String(160), index=True)  # "user:zhangsan"
    session: Mapped[str | None] = mapped_column(String(16), index=True)  # a study session
    item_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_seq: Mapped[int | None] = mapped_column(BigInteger)
    bytes_sent: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    ended_by: Mapped[str] = mapped_column(String(16), default="")
    # Why the player said the item failed (network, decode, unsupported …), else "".
    failure: Mapped[str] = mapped_column(String(16), default="", server_default="")
