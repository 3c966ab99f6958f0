"""Helpers shared by the tests (imported as ``yj_testing``: tests/ is on sys.path, and a
unique name cannot collide with the several conftest modules)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from catalog.db import Database
from catalog.settings import Settings, load_settings


def make_settings(data_dir: Path, db_url: str, **more: object) -> Settings:
    """Settings for a test. Guests may watch unless a test says otherwise: the tests of
    streaming and search are about media, not accounts (tests/web/test_access_matrix.py
    and the other account tests run with the default, guest_viewing off)."""
    overrides = {"data_dir": str(data_dir), "db_url": db_url, "guest_viewing": True} | more
    return load_settings(overrides, environ={})


@contextmanager
def running_server(settings: Settings, db: Database) -> Iterator[str]:
    """uvicorn serving the app in a thread, for tests that need real HTTP."""
    from web.app import create_app

    with running_app(create_app(settings, db)) as url:
        yield url


@contextmanager
def running_app(app: Any) -> Iterator[str]:
    """Any ASGI app served as ``yuanjiao serve`` serves (web/server.py), in a thread."""
    import socket
    import threading
    import time

    import uvicorn

    from web.server import server_config

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, _trusted(app),
                                          log_level="warning",
                                          lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _trusted(app: Any) -> tuple[str, ...]:
    settings = getattr(getattr(app, "state", None), "settings", None)
    return tuple(getattr(settings, "trusted_proxies", ()))


def make_small_bad_library(root: Path) -> dict[str, str]:
    """Three files the scanner must refuse; returns the expected reason per path."""
    root.mkdir(parents=True)
    (root / "空文件.mp4").write_bytes(b"")
    (root / "其实是文本.avi").write_text("这不是视频，是一个改了扩展名的文本文件。\n" * 50)
    os.symlink("/etc/passwd", root / "密码.mp4")
    return {"空文件.mp4": "scan_empty", "其实是文本.avi": "scan_not_media",
            "密码.mp4": "scan_symlink_outside"}


TEST_PASSWORD = "test-password-1"


def ensure_user(db: Database, username: str, role: str = "inspector",
                node_name: str | None = None) -> None:
    """An account (password TEST_PASSWORD) at the city, or at the node named ``node_name``."""
    from sqlalchemy import select

    from catalog import org
    from catalog.models import OrgNode, User
    from catalog.org import accounts

    with db.transaction() as session:
        if session.scalar(select(User.id).where(User.username == username)):
            return
        root = org.ensure_city(session)
        node = root if node_name is None else session.scalars(
            select(OrgNode).where(OrgNode.name == node_name)).one()
        accounts.create_user(session, username, TEST_PASSWORD, accounts.Role(role), node)


def sign_in(client: Any, db: Database | None = None, username: str = "test-inspector",
            role: str = "inspector", password: str = TEST_PASSWORD) -> str:
    """Sign ``client`` (a TestClient or an httpx.Client) in through the login form, making
    the account first when ``db`` is given; returns the session's CSRF token."""
    import re

    if db is not None:
        ensure_user(db, username, role)
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    done = client.post("/login", data={"csrf": token.group(1), "username": username,
                                       "password": password, "next": "/api/me"},
                       follow_redirects=True)
    assert done.status_code == 200, done.text[:500]
    return str(done.json()["csrf"])


def drop_triggers(connection: Any) -> None:
    """SQLite: drop the triggers that keep the ledger append-only, as someone editing the
    database file would, so that a test can tamper with rows."""
    from sqlalchemy import text

    for table in ("ledger", "ledger_checkpoints"):
        for action in ("update", "delete"):
            connection.execute(text(f"DROP TRIGGER {table}_no_{action}"))
    connection.execute(text("DROP TRIGGER ledger_continues"))
    connection.execute(text("DROP TRIGGER ledger_checkpoints_follow"))
