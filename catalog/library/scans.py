"""What a scan writes: scan runs, items from probed files, moves, scan errors.

Each write is a complete row in one transaction (the caller batches them), so a scan
killed at any moment leaves no half-written item; the next scan picks up from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from catalog.library.models import Disc, Item, ScanError, ScanRun, ThemeOverride
from catalog.schema import utcnow


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
    disc_index: int | None = None
    disc_path: str = ""
    chapters: tuple[float, ...] = ()
    locator: dict[str, Any] = field(default_factory=dict)


# An item inside a disc is named by the disc's path, this separator and the entry's key.
# NUL cannot occur in a file name, so no file path can collide with a disc entry's.
DISC_ENTRY_SEPARATOR = b"\x00"
DISC_ENTRY_SHOWN = " › "


def disc_entry_path(disc_rel_path: str, disc_rel_raw: bytes, key: str, name: str
                    ) -> tuple[str, bytes]:
    return (disc_rel_path + DISC_ENTRY_SHOWN + name,
            disc_rel_raw + DISC_ENTRY_SEPARATOR + key.encode("utf-8"))


def disc_of_path(rel_path_raw: bytes) -> bytes:
    """The disc's own path for a disc entry's path; the path itself for a file."""
    return rel_path_raw.split(DISC_ENTRY_SEPARATOR, 1)[0]


@dataclass(frozen=True)
class DiscData:
    rel_path: str
    rel_path_raw: bytes
    kind: str
    layout: str
    label: str
    size: int
    mtime_ns: int
    fingerprint: str
    skipped: tuple[dict[str, Any], ...] = ()


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


@dataclass(frozen=True)
class KnownDisc(KnownFile):
    """A catalogued disc (image or VIDEO_TS folder), with the same fields as a file."""


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
        .where(Item.root_id.in_(list(root_ids)), Item.disc_id.is_(None))
    ).all()
    return [KnownFile(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6] is not None) for r in rows]


def known_discs(session: Session, root_ids: Iterable[int]) -> list[KnownDisc]:
    rows = session.execute(
        select(Disc.id, Disc.root_id, Disc.rel_path_raw, Disc.size, Disc.mtime_ns,
               Disc.fingerprint, Disc.missing_since)
        .where(Disc.root_id.in_(list(root_ids)))
    ).all()
    return [KnownDisc(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6] is not None) for r in rows]


def save_disc(session: Session, root_id: int, data: DiscData, disc_id: int | None,
              items: Sequence[ItemData]) -> Disc:
    """Insert or refresh a disc and its items; entries gone from the disc are hidden.

    Items keep their ids across rescans: they are found by their path (disc path and
    entry key), which does not change while the disc stays where it is."""
    disc = Disc(root_id=root_id) if disc_id is None else session.get_one(Disc, disc_id)
    if disc_id is None:
        session.add(disc)
    for name, value in data.__dict__.items():
        setattr(disc, name, list(value) if name == "skipped" else value)
    disc.root_id, disc.missing_since, disc.updated_at = root_id, None, utcnow()
    session.flush()
    current = {bytes(row[1]): row[0] for row in session.execute(
        select(Item.id, Item.rel_path_raw).where(Item.disc_id == disc.id))}
    for entry in items:
        item = save_item(session, root_id, entry, current.pop(entry.rel_path_raw, None))
        item.disc_id = disc.id
    mark_missing(session, list(current.values()))
    clear_error(session, root_id, data.rel_path_raw)
    session.flush()
    return disc


def move_disc(session: Session, disc_id: int, root_id: int, rel_path: str, rel_path_raw: bytes,
              mtime_ns: int) -> None:
    """A disc found at a new path by its fingerprint: same disc and items, new paths."""
    disc = session.get_one(Disc, disc_id)
    old_shown, old_raw = disc.rel_path, bytes(disc.rel_path_raw)
    disc.root_id, disc.rel_path, disc.rel_path_raw = root_id, rel_path, rel_path_raw
    disc.mtime_ns, disc.missing_since, disc.updated_at = mtime_ns, None, utcnow()
    for item in session.scalars(select(Item).where(Item.disc_id == disc_id)):
        item.root_id = root_id
        item.rel_path = rel_path + item.rel_path[len(old_shown):]
        item.rel_path_raw = rel_path_raw + bytes(item.rel_path_raw)[len(old_raw):]
        item.updated_at = utcnow()
    clear_error(session, root_id, rel_path_raw)


def mark_discs_missing(session: Session, disc_ids: Sequence[int]) -> None:
    if not disc_ids:
        return
    session.execute(update(Disc).where(Disc.id.in_(list(disc_ids)), Disc.missing_since.is_(None))
                    .values(missing_since=utcnow()))
    item_ids = session.scalars(select(Item.id).where(Item.disc_id.in_(list(disc_ids)))).all()
    mark_missing(session, list(item_ids))


def restore_disc(session: Session, disc_id: int) -> None:
    """The disc is back unchanged: show again the items hidden with it (not those hidden
    earlier because the disc had changed)."""
    disc = session.get_one(Disc, disc_id)
    if disc.missing_since is None:
        return
    session.execute(update(Item).where(Item.disc_id == disc_id,
                                       Item.missing_since >= disc.missing_since)
                    .values(missing_since=None))
    disc.missing_since = None


def clear_disc_entry_errors(session: Session, root_id: int, disc_rel_raw: bytes) -> None:
    """Before a disc is examined again, its entries' old errors go; new ones are recorded."""
    rows = session.execute(select(ScanError.id, ScanError.rel_path_raw)
                           .where(ScanError.root_id == root_id)).all()
    prefix = disc_rel_raw + DISC_ENTRY_SEPARATOR
    stale = [row[0] for row in rows if bytes(row[1]).startswith(prefix)]
    if stale:
        session.execute(delete(ScanError).where(ScanError.id.in_(stale)))


def known_errors(session: Session, root_ids: Iterable[int]) -> dict[tuple[int, bytes], tuple[
        int | None, int | None]]:
    rows = session.execute(
        select(ScanError.root_id, ScanError.rel_path_raw, ScanError.size, ScanError.mtime_ns)
        .where(ScanError.root_id.in_(list(root_ids)))
    ).all()
    return {(r[0], bytes(r[1])): (r[2], r[3]) for r in rows}


def _apply(item: Item, data: ItemData, override: str | None) -> None:
    for name, value in data.__dict__.items():
        if name in {"tags", "streams", "chapters"}:
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


def restore_item(session: Session, item_id: int) -> None:
    session.execute(update(Item).where(Item.id == item_id)
                    .values(missing_since=None, updated_at=utcnow()))


def items_of_discs(session: Session, disc_ids: Iterable[int]) -> list[int]:
    """Every item (shown or hidden) of these discs."""
    ids = list(disc_ids)
    if not ids:
        return []
    return list(session.scalars(select(Item.id).where(Item.disc_id.in_(ids))))


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
    # An entry of a disc that is kept (unchanged, or examined this time) keeps its error.
    stale = [row[0] for row in rows
             if bytes(row[1]) not in keep and disc_of_path(bytes(row[1])) not in keep]
    if stale:
        session.execute(delete(ScanError).where(ScanError.id.in_(stale)))


def count_errors(session: Session, root_ids: Sequence[int]) -> int:
    return session.scalar(select(func.count()).select_from(ScanError)
                          .where(ScanError.root_id.in_(list(root_ids)))) or 0


def finish_scan(session: Session, scan_id: int, counts: dict[str, int]) -> None:
    session.execute(update(ScanRun).where(ScanRun.id == scan_id)
                    .values(status="finished", finished_at=utcnow(), **counts))


