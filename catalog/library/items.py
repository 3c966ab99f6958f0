"""Queries and changes on the catalog: items, roots, overrides, scan errors.

Functions take an open SQLAlchemy session; callers own the transaction.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from catalog.errors import NotFound
from catalog.library.formats import format_label
from catalog.library.models import Disc, Item, LibraryRoot, ScanError, ScanRun, ThemeOverride
from catalog.library.themes import LEARNING_THEMES, Theme, theme_label
from catalog.schema import utcnow


@dataclass(frozen=True)
class Page:
    items: Sequence[Item]
    total: int
    page: int
    per_page: int


def get_or_create_root(session: Session, path: Path) -> LibraryRoot:
    text = os.fsdecode(path)
    root = session.scalar(select(LibraryRoot).where(LibraryRoot.path == text))
    if root is None:
        root = LibraryRoot(path=text)
        session.add(root)
        session.flush()
    return root


def visible_items() -> Any:
    return select(Item).where(Item.missing_since.is_(None))


# Themes in the policy's order (五学习), unclassified last.
THEME_ORDER = case(
    {t.value: n for n, t in enumerate((*LEARNING_THEMES, Theme.UNCLASSIFIED))},
    value=Item.theme,
    else_=99,
)


def list_items(
    session: Session, theme: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    query = visible_items()
    if theme is not None:
        query = query.where(Item.theme == theme)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(
            selectinload(Item.root),
            selectinload(Item.override),
            selectinload(Item.disc).selectinload(Disc.root),
        )
        .order_by(THEME_ORDER, Item.title, Item.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(rows, total, page, per_page)


def recent_items(session: Session, count: int) -> Sequence[Item]:
    """The newest items in the catalog, for the home page."""
    query = visible_items().options(selectinload(Item.root), selectinload(Item.override),
                                    selectinload(Item.disc).selectinload(Disc.root))
    return session.scalars(query.order_by(Item.added_at.desc(), Item.id.desc())
                           .limit(count)).all()


def all_items(session: Session, theme: str | None = None) -> Sequence[Item]:
    query = visible_items().options(
        selectinload(Item.root),
        selectinload(Item.override),
        selectinload(Item.disc).selectinload(Disc.root),
    )
    if theme is not None:
        query = query.where(Item.theme == theme)
    return session.scalars(query.order_by(THEME_ORDER, Item.title, Item.id)).all()


# Ids are INTEGER columns; a larger number from a URL or the CLI cannot name an item,
# and PostgreSQL would refuse to compare with it.
MAX_ID = 2**31 - 1


def get_item(session: Session, item_id: int) -> Item:
    if not 1 <= item_id <= MAX_ID:
        raise NotFound("item_not_found", item_id=item_id)
    item = session.get(Item, item_id, options=[selectinload(Item.root)])
    if item is None or item.missing_since is not None:
        raise NotFound("item_not_found", item_id=item_id)
    return item


def set_theme_override(
    session: Session, item_id: int, theme: Theme | None, set_by: str = ""
) -> Item:
    """Pin an item to a theme (``None`` removes the pin and restores the rules' theme)."""
    item = get_item(session, item_id)
    current = session.scalar(select(ThemeOverride).where(ThemeOverride.item_id == item_id))
    if theme is None:
        if current is not None:
            session.delete(current)
        item.theme = item.rule_theme
    else:
        if current is None:
            session.add(ThemeOverride(item_id=item_id, theme=theme.value, set_by=set_by))
        else:
            current.theme, current.set_by, current.set_at = theme.value, set_by, utcnow()
        item.theme = theme.value
    item.updated_at = utcnow()
    session.flush()
    return item


def list_scan_errors(session: Session) -> Sequence[ScanError]:
    return session.scalars(
        select(ScanError)
        .options(selectinload(ScanError.root))
        .order_by(ScanError.root_id, ScanError.rel_path)
    ).all()


def last_scan(session: Session) -> ScanRun | None:
    return session.scalar(select(ScanRun).order_by(ScanRun.id.desc()).limit(1))


def theme_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        visible_items().with_only_columns(Item.theme, func.count()).group_by(Item.theme)
    ).all()
    return {theme: count for theme, count in rows}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def item_json(item: Item, lang: str = "zh") -> dict[str, Any]:
    """The API's item: stable English field names, shared by the API and the CLI."""
    return {
        "id": item.id,
        "title": item.title,
        "title_source": item.title_source,
        "description": item.description,
        "tags": list(item.tags),
        "theme": item.theme,
        "theme_label": theme_label(item.theme, lang),
        "theme_reason": item.theme_reason,
        "theme_confidence": item.theme_confidence,
        "theme_overridden": item.override is not None,
        "kind": item.kind,
        "root": item.root.path,
        "path": item.rel_path,
        "size": item.size,
        "mtime": item.mtime_ns / 1e9,
        "fingerprint": item.fingerprint,
        "duration": item.duration,
        "container": item.container,
        "format": format_label(item.container, item.rel_path),
        "video_codec": item.video_codec or None,
        "audio_codec": item.audio_codec or None,
        "width": item.width,
        "height": item.height,
        "streams": list(item.streams),
        "browser_playable": item.browser_playable,
        "disc": disc_ref(item.disc, lang) if item.disc is not None else None,
        "disc_title": item.disc_index if item.disc is not None else None,
        "disc_path": item.disc_path or None,
        "chapters": list(item.chapters),
        "added_at": _iso(item.added_at),
        "updated_at": _iso(item.updated_at),
    }


DISC_KINDS = {
    "dvd-video": ("DVD 视频光盘", "DVD-Video"),
    "vcd": ("VCD 光盘", "VCD"),
    "data": ("数据光盘", "Data disc"),
}


def disc_ref(disc: Disc, lang: str = "zh") -> dict[str, Any]:
    zh, en = DISC_KINDS.get(disc.kind, (disc.kind, disc.kind))
    return {
        "id": disc.id,
        "kind": disc.kind,
        "kind_label": en if lang == "en" else zh,
        "label": disc.label,
        "layout": disc.layout,
        "root": disc.root.path,
        "path": disc.rel_path,
    }


def disc_json(disc: Disc, lang: str = "zh") -> dict[str, Any]:
    items = [i for i in disc.items if i.missing_since is None]
    return disc_ref(disc, lang) | {
        "size": disc.size,
        "fingerprint": disc.fingerprint,
        "skipped_titles": list(disc.skipped),
        "added_at": _iso(disc.added_at),
        "updated_at": _iso(disc.updated_at),
        "items": [
            {
                "id": i.id,
                "title": i.title,
                "disc_title": i.disc_index,
                "disc_path": i.disc_path or None,
                "duration": i.duration,
                "theme": i.theme,
                "kind": i.kind,
            }
            for i in items
        ],
    }


def list_discs(session: Session) -> Sequence[Disc]:
    return session.scalars(
        select(Disc)
        .where(Disc.missing_since.is_(None))
        .options(selectinload(Disc.root), selectinload(Disc.items))
        .order_by(Disc.rel_path, Disc.id)
    ).all()


def scan_error_json(error: ScanError, lang: str = "zh") -> dict[str, Any]:
    from catalog.messages import message

    return {
        "root": error.root.path,
        "path": error.rel_path,
        "reason": error.reason,
        "message": message(error.reason, lang, **error.detail),
        "size": error.size,
        "seen_at": _iso(error.seen_at),
        "scan_id": error.scan_id,
    }
