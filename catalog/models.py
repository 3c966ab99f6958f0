"""Catalog tables. Paths are stored relative to their library root (as beets does).

A file name is stored twice: ``rel_path`` is the readable text shown to people (GBK
names decoded), ``rel_path_raw`` the exact bytes on disk, used to open the file and as
the identity of the path. Old Windows discs carry GBK bytes that are not UTF-8, and a
database text column cannot hold them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Named constraints so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class LibraryRoot(Base):
    __tablename__ = "library_roots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Disc(Base):
    """A disc image or VIDEO_TS folder; its playable titles or files are items."""

    __tablename__ = "discs"
    __table_args__ = (UniqueConstraint("root_id", "rel_path_raw", name="uq_discs_root_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("library_roots.id"), index=True)
    rel_path: Mapped[str] = mapped_column(Text)
    rel_path_raw: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(16))  # dvd-video | vcd | data
    layout: Mapped[str] = mapped_column(String(16))  # iso | video_ts | cue
    label: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    # Titles left out as menus, logos and warnings: [{"title": n, "duration": s}, ...]
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    missing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    root: Mapped[LibraryRoot] = relationship()
    items: Mapped[list[Item]] = relationship(back_populates="disc", order_by="Item.disc_index")


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("root_id", "rel_path_raw", name="uq_items_root_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("library_roots.id"), index=True)
    rel_path: Mapped[str] = mapped_column(Text)
    rel_path_raw: Mapped[bytes] = mapped_column(LargeBinary)
    title: Mapped[str] = mapped_column(Text)
    title_source: Mapped[str] = mapped_column(String(16))  # tag | nfo | txt | filename
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # theme is what everyone sees: the override when one is set, else rule_theme.
    theme: Mapped[str] = mapped_column(String(16), index=True)
    rule_theme: Mapped[str] = mapped_column(String(16))
    theme_reason: Mapped[str] = mapped_column(Text, default="")
    theme_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # video | audio | document
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    duration: Mapped[float | None] = mapped_column(Float)
    container: Mapped[str] = mapped_column(String(64), default="")
    video_codec: Mapped[str] = mapped_column(String(32), default="")
    audio_codec: Mapped[str] = mapped_column(String(32), default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    streams: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    browser_playable: Mapped[bool] = mapped_column(Boolean, default=False)
    # Items from a disc: which disc, the title/track number or position, the path inside
    # a data disc, chapter start times, and where the bytes are (see media.discs).
    disc_id: Mapped[int | None] = mapped_column(ForeignKey("discs.id"), index=True)
    disc_index: Mapped[int | None] = mapped_column(Integer)
    disc_path: Mapped[str] = mapped_column(Text, default="")
    chapters: Mapped[list[float]] = mapped_column(JSON, default=list)
    locator: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    missing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    root: Mapped[LibraryRoot] = relationship()
    disc: Mapped[Disc | None] = relationship(back_populates="items")
    override: Mapped[ThemeOverride | None] = relationship(back_populates="item", uselist=False)


class ThemeOverride(Base):
    """An organizer's theme for one item; wins over the rules and survives rescans/moves."""

    __tablename__ = "theme_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    theme: Mapped[str] = mapped_column(String(16))
    set_by: Mapped[str] = mapped_column(String(64), default="")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[Item] = relationship(back_populates="override")


class ScanRun(Base):
    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # running | finished | interrupted (a run found still "running" by a later scan died)
    status: Mapped[str] = mapped_column(String(16), default="running")
    roots: Mapped[list[str]] = mapped_column(JSON, default=list)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    probed: Mapped[int] = mapped_column(Integer, default=0)


class ScanError(Base):
    """The current problem with one path; cleared when the path scans cleanly or vanishes."""

    __tablename__ = "scan_errors"
    __table_args__ = (
        UniqueConstraint("root_id", "rel_path_raw", name="uq_scan_errors_root_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("library_roots.id"), index=True)
    rel_path: Mapped[str] = mapped_column(Text)
    rel_path_raw: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(String(32))  # a key of catalog.messages
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_runs.id"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    root: Mapped[LibraryRoot] = relationship()


class LedgerRow(Base):
    """One entry of the append-only evidence ledger (catalog/ledger.py). Never updated or
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
    """A signed statement that a ledger had these rows up to ``seq`` (catalog/checkpoints.py);
    append-only like the ledger."""

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


class OrgNode(Base):
    """A node of the organization tree: city → towns → organizations (village party
    branches) → stations. ``path`` ("/1/4/9/") makes "is this inside that subtree" a
    prefix test; nodes are renamed, never moved, so it never changes."""

    __tablename__ = "org_nodes"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_org_nodes_parent_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(400), default="", index=True)
    # A station's terminal credential as its digest and the salt it is derived from
    # (catalog/station_tokens.py): the database alone opens nothing.
    station_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    station_token_salt: Mapped[str | None] = mapped_column(String(32))
    token_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Member(Base):
    """A person on an organization's roster (party members and, for some activities,
    villagers). A phone number, when known, identifies the person across re-imports."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("org_id", "name", "phone", name="uq_members_org_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    category: Mapped[str] = mapped_column(String(20))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    """A sign-in account: a role scoped to a node of the tree (a member: to their record)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginSession(Base):
    """A signed-in browser. Only a hash of the cookie's id is kept, so a copy of the
    database does not let anyone sign in."""

    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(Text, default="")


class LoginFailure(Base):
    """One failed sign-in, counted per account and per address for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


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
    (catalog/exports.py); the download itself is a ledger row (``export.issued``)."""

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
