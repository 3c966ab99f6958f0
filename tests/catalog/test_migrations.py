"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from catalog.db import Database, make_engine, upgrade
from catalog.models import Base
from catalog.settings import Settings, load_settings


def test_upgrade_from_empty_matches_the_models(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_opening_twice_is_idempotent(settings: Settings) -> None:
    Database.open(settings).close()
    db = Database.open(settings)
    tables = set(inspect(db.engine).get_table_names())
    db.close()
    assert {"items", "library_roots", "scan_runs", "scan_errors", "theme_overrides"} <= tables


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database.open(load_settings({"data_dir": str(tmp_path)}, environ={}))
    with db.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    db.close()
    assert mode == "wal"


def test_upgrade_from_the_previous_release_keeps_items(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO library_roots (id, path, added_at) "
                          "VALUES (1, '/srv/课件', CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO items (id, root_id, rel_path, rel_path_raw, title, title_source, "
            "description, tags, theme, rule_theme, theme_reason, theme_confidence, kind, size, "
            "mtime_ns, fingerprint, container, video_codec, audio_codec, streams, "
            "browser_playable, added_at, updated_at) VALUES (7, 1, 'a.mp4', :raw, '水稻', "
            "'filename', '', '[]', 'technology', 'technology', '', 0.5, 'video', 10, 1, 'f', "
            "'mp4', 'h264', 'aac', '[]', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"raw": b"a.mp4"})
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT title, disc_id, disc_path, chapters, locator "
                                "FROM items WHERE id = 7")).one()
    engine.dispose()
    assert row[0] == "水稻" and row[1] is None and row[2] == ""
    assert json.loads(row[3]) == [] if isinstance(row[3], str) else row[3] == []
