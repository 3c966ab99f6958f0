"""The reports' table: the projection of submitted monthly report cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.schema import Base, UTCDateTime


class ReportCardRow(Base):
    """One submitted report card (月报卡) as pages read it: inserted with its ledger row,
    never updated (a second submission is a new row naming the one it supersedes),
    recomputed and compared by ``ledger verify`` (catalog/reports/cards.py)."""

    __tablename__ = "report_cards"

    ledger: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[int] = mapped_column(Integer, index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # 2027-03
    actor: Mapped[str] = mapped_column(String(160), default="")
    nonce: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # after the due day
    supersedes_seq: Mapped[int | None] = mapped_column(BigInteger)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # text and figures
