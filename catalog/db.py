"""Engine, sessions and schema migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from catalog.errors import DatabaseUnavailable
from catalog.keyfile import KEY_INFO, load_key
from catalog.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets pages read while a scan writes; busy_timeout makes the second writer wait
    # instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
        return
    # SQLite changes a table by building a new one and dropping the old (alembic's batch
    # mode), which other tables' foreign keys forbid while they are enforced. SQLite's
    # own procedure (https://sqlite.org/lang_altertable.html#otheralter): enforcement
    # off outside the transaction, the change, then foreign_key_check before commit.
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # SQLAlchemy's transaction; sqlite3 had begun none for a PRAGMA
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


class Database:
    """One engine and its session factory; the schema is brought up to date on open."""

    def __init__(self, engine: Engine, station_token_key: bytes | None = None) -> None:
        self.engine = engine
        # Every session carries the data directory's station-token key
        # (catalog/org/station_tokens.py): it is never in the database.
        self.sessions = sessionmaker(engine, expire_on_commit=False,
                                     info={KEY_INFO: station_token_key})

    @classmethod
    def open(cls, settings: Settings, migrate: bool = True) -> Database:
        engine = make_engine(settings.db_url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            if migrate:
                upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseUnavailable(
                "db_unreachable",
                url=engine.url.render_as_string(hide_password=True),
                detail=str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc),
            ) from exc
        return cls(engine, load_key(settings.data_dir))

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
