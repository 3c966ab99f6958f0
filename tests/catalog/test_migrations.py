"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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
