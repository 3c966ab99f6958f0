"""The session record's table: the projection of minutes, feedback and reply rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.schema import Base, UTCDateTime


class RecordRow(Base):
    """One minutes, feedback or reply ledger row as pages read it: inserted with its row,
    never updated (an edit is a new row naming the one it supersedes), recomputed and
    compared by ``ledger verify`` (catalog/records/projection.py)."""

    __tablename__ = "record_rows"

    ledger: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(160), default="")
    nonce: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    at_event: Mapped[datetime] = mapped_column(UTCDateTime())
    late_entry: Mapped[bool] = mapped_column(Boolean, default=False)
    supersedes_seq: Mapped[int | None] = mapped_column(BigInteger)
    replies_to: Mapped[int | None] = mapped_column(BigInteger)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
