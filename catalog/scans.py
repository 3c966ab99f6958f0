"""What a scan writes: scan runs, items from probed files, moves, scan errors.

Each write is a complete row in one transaction (the caller batches them), so a scan
killed at any moment leaves no half-written item; the next scan picks up from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from catalog.models import Item, ScanError, ScanRun, ThemeOverride, utcnow


@dataclass(frozen=True)
class ItemData:
    """Everything the scanner learned about one file; no ids, no timestamps."""

    rel_path: str
    rel_path_raw: bytes
    size: int
    mtime_ns: int
    fingerprint: str
    kind: str
    title: str
    title_source: str
    rule_theme: str
    theme_reason: str
    theme_confidence: float
    description: str = ""
    tags: tuple[str, ...] = ()
    duration: float | None = None
    container: str = ""
    video_codec: str = ""
    audio_codec: str = ""
    width: int | None = None
    height: int | None = None
    streams: tuple[dict[str, Any], ...] = field(default=())
    browser_playable: bool = False


@dataclass(frozen=True)
class KnownFile:
    """A catalogued path as the scanner needs to see it."""

    id: int
    root_id: int
    rel_path_raw: bytes
    size: int
    mtime_ns: int
    fingerprint: str
    missing: bool


def start_scan(session: Session, roots: Sequence[str]) -> ScanRun:
    # One scan at a time holds the data directory's lock, so a run still marked
    # "running" belongs to a scan that was killed.
    session.execute(update(ScanRun).where(ScanRun.status == "running")
                    .values(status="interrupted"))
    run = ScanRun(roots=list(roots))
    session.add(run)
    session.flush()
    return run


def known_files(session: Session, root_ids: Iterable[int]) -> list[KnownFile]:
    rows = session.execute(
        select(Item.id, Item.root_id, Item.rel_path_raw, Item.size, Item.mtime_ns,
               Item.fingerprint, Item.missing_since)
        .where(Item.root_id.in_(list(root_ids)))
    ).all()
    return [KnownFile(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6] is not None) for r in rows]


def known_errors(session: Session, root_ids: Iterable[int]) -> dict[tuple[int, bytes], tuple[
        int | None, int | None]]:
    rows = session.execute(
        select(ScanError.root_id, ScanError.rel_path_raw, ScanError.size, ScanError.mtime_ns)
        .where(ScanError.root_id.in_(list(root_ids)))
    ).all()
    return {(r[0], bytes(r[1])): (r[2], r[3]) for r in rows}


def _apply(item: Item, data: ItemData, override: str | None) -> None:
    for name, value in data.__dict__.items():
        if name in {"tags", "streams"}:
            value = list(value)
        setattr(item, name, value)
    item.theme = override or data.rule_theme
    item.missing_since = None
    item.updated_at = utcnow()


def save_item(session: Session, root_id: int, data: ItemData, item_id: int | None) -> Item:
    """Insert a new item, or refresh an existing one in place (keeping its id)."""
    if item_id is None:
        item = Item(root_id=root_id)
        session.add(item)
        override = None
    else:
        item = session.get_one(Item, item_id)
        item.root_id = root_id
        override = session.scalar(
            select(ThemeOverride.theme).where(ThemeOverride.item_id == item_id))
    _apply(item, data, override)
    clear_error(session, root_id, data.rel_path_raw)
    session.flush()
    return item


def move_item(session: Session, item_id: int, root_id: int, rel_path: str, rel_path_raw: bytes,
              mtime_ns: int) -> None:
    """A file found at a new path with a known fingerprint: same item, same id."""
    session.execute(
        update(Item).where(Item.id == item_id).values(
            root_id=root_id, rel_path=rel_path, rel_path_raw=rel_path_raw, mtime_ns=mtime_ns,
            missing_since=None, updated_at=utcnow())
    )
    clear_error(session, root_id, rel_path_raw)


def restore_item(session: Session, item_id: int) -> None:
    session.execute(update(Item).where(Item.id == item_id)
                    .values(missing_since=None, updated_at=utcnow()))


def mark_missing(session: Session, item_ids: Sequence[int]) -> None:
    """Items whose files are gone stay in the catalog (history and playback records point
    at them) but are hidden until the file comes back."""
    if item_ids:
        session.execute(update(Item).where(Item.id.in_(list(item_ids)),
                                           Item.missing_since.is_(None))
                        .values(missing_since=utcnow()))


def record_error(session: Session, scan_id: int, root_id: int, rel_path: str,
                 rel_path_raw: bytes, reason: str, detail: dict[str, Any],
                 size: int | None = None, mtime_ns: int | None = None) -> None:
    error = session.scalar(select(ScanError).where(ScanError.root_id == root_id,
                                                   ScanError.rel_path_raw == rel_path_raw))
    if error is None:
        error = ScanError(root_id=root_id, rel_path_raw=rel_path_raw)
        session.add(error)
    error.rel_path, error.reason, error.detail = rel_path, reason, detail
    error.size, error.mtime_ns, error.scan_id, error.seen_at = size, mtime_ns, scan_id, utcnow()


def clear_error(session: Session, root_id: int, rel_path_raw: bytes) -> None:
    session.execute(delete(ScanError).where(ScanError.root_id == root_id,
                                            ScanError.rel_path_raw == rel_path_raw))


def clear_errors_except(session: Session, root_id: int, keep: set[bytes]) -> None:
    """Drop errors for paths of this root that are no longer there or no longer bad."""
    rows = session.execute(select(ScanError.id, ScanError.rel_path_raw)
                           .where(ScanError.root_id == root_id)).all()
    stale = [row[0] for row in rows if bytes(row[1]) not in keep]
    if stale:
        session.execute(delete(ScanError).where(ScanError.id.in_(stale)))


def finish_scan(session: Session, scan_id: int, counts: dict[str, int]) -> None:
    session.execute(update(ScanRun).where(ScanRun.id == scan_id)
                    .values(status="finished", finished_at=utcnow(), **counts))


