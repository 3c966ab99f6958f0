"""Planning's tables: plans, town rules, sessions and playlists, must-watch items,
exported playlists."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.schema import Base, UTCDateTime, utcnow


class Plan(Base):
    """A yearly plan (a theme focus per month), quarterly arrangement or monthly
    assignment of a town or organization: what organizers hand in on paper today."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("node_id", "year", "period", name="uq_plans_node_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))  # "year", "q1".."q4", "m01".."m12"
    focus: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # month → theme
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActivityRule(Base):
    """A town-wide activity-day rule ("the 10th of every month") for a year; applying it
    makes each organization's study sessions."""

    __tablename__ = "activity_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(32))  # day:10 | ending:6 | weekday:2:3
    start_minute: Mapped[int] = mapped_column(Integer, default=8 * 60 + 30)  # local time
    minutes: Mapped[int] = mapped_column(Integer, default=240)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StudySession(Base):
    """One activity day of one organization at its station."""

    __tablename__ = "study_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("activity_rules.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="prescribed")
    group_name: Mapped[str] = mapped_column(String(100), default="")  # elective groups
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    moved: Mapped[bool] = mapped_column(Boolean, default=False)
    notice: Mapped[str] = mapped_column(Text, default="")
    notice_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    discussion_minutes: Mapped[int] = mapped_column(Integer, default=30)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A cancelled session is kept, struck through, with its reason; never deleted.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A make-up session (kind "makeup") names the sessions it makes up (issue 16.5).
    makes_up: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")


class PlaylistEntry(Base):
    __tablename__ = "playlist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("study_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")  # why auto-compose chose it


class MustWatch(Base):
    """An item an organizer above the stations requires, by a deadline, of the
    organizations below the nodes it names."""

    __tablename__ = "must_watch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    issued_by: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    node_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlaylistExport(Base):
    """One download of a session's M3U8 or XSPF: the token its URLs carry (as a digest),
    who took it, and the station token it was taken under. The token plays only that
    session's items on the session's day, and only while that station token stands
    (catalog/planning/exports.py); the download itself is a ledger row (``export.issued``)."""

    __tablename__ = "playlist_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("study_sessions.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    station_token_digest: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(160))  # "user:dongcun", "terminal"
    issuer_role: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
