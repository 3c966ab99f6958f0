"""The library's tables: roots, disc images, items, theme overrides, scans.

Paths are stored relative to their library root (as beets does). A file name is stored
twice: ``rel_path`` is the readable text shown to people (GBK names decoded),
``rel_path_raw`` the exact bytes on disk, used to open the file and as the identity of
the path. Old Windows discs carry GBK bytes that are not UTF-8, and a database text
column cannot hold them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.schema import Base, UTCDateTime, utcnow


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
