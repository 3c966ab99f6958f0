"""A server whose ledger cannot be written plays nothing (fail closed), says so on
/healthz, on the terminal and to the player, and records again, without losing a row,
once the database takes rows again; over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from yj_testing import make_settings, running_server

from catalog.db import Database
from catalog.settings import Settings
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg


def _until(condition: object, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.parametrize("refuse", [True, False])
def test_streams_are_refused_while_the_ledger_fails_and_no_row_is_lost(
        db: Database, settings: Settings, demo_library: Path, refuse: bool,
        caplog: pytest.LogCaptureFixture) -> None:
    Scanner(db, settings).scan([demo_library])
    ours = make_settings(settings.data_dir, settings.db_url, station="XC-012",
                         playback_idle_seconds=0.3, refuse_unrecorded=refuse)
    with running_server(ours, db) as url, httpx.Client(base_url=url) as client:
        item = client.get("/api/items").json()["items"][0]
        assert client.get("/healthz").json()["ledger"] == "ok"
        first = client.get(f"/stream/{item['id']}", headers={"User-Agent": "TV-1",
                                                            "Range": "bytes=0-99"})
        assert first.status_code == 206
        with db.engine.begin() as connection:  # the database stops taking ledger rows
            connection.execute(text("ALTER TABLE ledger_locks RENAME TO ledger_locks_away"))
        client.get(f"/stream/{item['id']}", headers={"User-Agent": "TV-2", "Range": "bytes=0-9"})
        _until(lambda: client.get("/healthz").status_code == 503)
        health = client.get("/healthz").json()
        refused = client.get(f"/stream/{item['id']}", headers={"User-Agent": "TV-3",
                                                              "Range": "bytes=0-9"})
        with db.engine.begin() as connection:
            connection.execute(text("ALTER TABLE ledger_locks_away RENAME TO ledger_locks"))
        _until(lambda: client.get("/healthz").json() | {"items": 0} == {
            "status": "ok", "database": "ok", "items": 0, "ledger": "ok", "ledger_queued": 0})
        again = client.get(f"/stream/{item['id']}", headers={"User-Agent": "TV-4",
                                                            "Range": "bytes=0-9"})
        time.sleep(1.0)  # the last playbacks close
    assert health["ledger"] == "failing" and "ledger_locks" in health["ledger_error"]
    if refuse:
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert "暂停播放" in refused.text
    else:
        assert refused.status_code == 206
    assert again.status_code == 206
    assert any("cannot be written" in r.message for r in caplog.records)
    with db.engine.connect() as connection:
        agents = connection.execute(text(
            "SELECT user_agent FROM playbacks WHERE ledger = 'XC-012' AND close_seq IS NOT NULL "
            "ORDER BY open_seq")).scalars().all()
    expected = ["TV-1", "TV-2", "TV-4"] if refuse else ["TV-1", "TV-2", "TV-3", "TV-4"]
    assert sorted(agents) == expected
