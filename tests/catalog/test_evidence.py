"""The evidence as a server keeps it, on SQLite and PostgreSQL: recording goes on when the
station code changes, a database that refuses rows loses none of them and says so, the
head is signed at start-up, on close, within minutes and at shutdown, and the tables pages
read are checked against the ledger."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from yj_testing import make_settings

from catalog.db import Database
from catalog.evidence.checkpoints import checkpoints, load_or_create_key, make_checkpoint
from catalog.evidence.ledger import GENESIS, Event, append_now, chain_hash, head, make_payload, rows
from catalog.evidence.projections import checks
from catalog.evidence.service import Evidence
from catalog.evidence.verify import Report, verify
from catalog.settings import Settings

COLUMNS = ("ledger, open_seq, station, client, user_agent, item_id, title, method, opened_at, "
           "closed_at, close_seq, bytes_sent, seconds, ended_by")


def evidence(settings: Settings, station: str, **more: object) -> Evidence:
    ours = make_settings(settings.data_dir, settings.db_url, station=station,
                         playback_idle_seconds=0.0, **more)
    return Evidence(Database.open(ours), ours)


def play(ev: Evidence, title: str, seconds: float = 4.0, wait: bool = True) -> None:
    """One playback, opened, fed and closed as the server's observer would."""
    playback = ev.tracker.started("10.0.0.7", "TV", 1, title, "direct")
    ev.tracker.delivered(playback, 0.0, seconds, 1000)
    ev.tracker.finished(playback)
    ev.tracker.sweep(now=time.monotonic() + 1)
    if wait:
        wait_for(lambda: ev.state.queued == 0)  # open and close written: seqs are known


def full_check(db: Database, ledger: str) -> Report:
    with db.engine.connect() as connection:
        projections = checks()
        report = verify(ledger, rows(connection, ledger), checkpoints(connection, ledger),
                        observers=projections, unsigned_grace=timedelta(minutes=6))
        for projection in projections if report.ok else []:
            report.problem = report.problem or projection.compare(connection, ledger)
    return report


def wait_for(condition: object, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_changing_the_station_keeps_recording(settings: Settings) -> None:
    first = evidence(settings, "local")
    play(first, "水稻种植")
    first.close()
    first.db.close()
    # The operator sets the real code: the new ledger numbers from 1 beside the old one.
    second = evidence(settings, "XC-012")
    play(second, "党章学习")
    play(second, "果树修剪")
    second.close()
    db = second.db
    with db.engine.connect() as connection:
        titles = connection.execute(text(
            "SELECT ledger, open_seq, title FROM playbacks ORDER BY ledger, open_seq")).all()
    assert [tuple(t) for t in titles] == [("XC-012", 1, "党章学习"), ("XC-012", 3, "果树修剪"),
                                          ("local", 1, "水稻种植")]
    for ledger in ("local", "XC-012"):
        report = full_check(db, ledger)
        assert report.ok and report.unsigned == 0, report
    db.close()


def _break(connection: Connection) -> None:
    # A real failure of the database, as a full disk or a lost server gives: the lock table
    # every append writes first is gone.
    connection.execute(text("ALTER TABLE ledger_locks RENAME TO ledger_locks_away"))


def _mend(connection: Connection) -> None:
    connection.execute(text("ALTER TABLE ledger_locks_away RENAME TO ledger_locks"))


def test_rows_the_database_refuses_are_kept_and_written_when_it_is_back(
        settings: Settings) -> None:
    ev = evidence(settings, "XC-012")
    play(ev, "第一讲")
    with ev.db.engine.begin() as connection:
        _break(connection)
    play(ev, "第二讲", wait=False)
    wait_for(lambda: ev.state.failing)
    state = ev.state
    assert state.queued >= 1 and "ledger_locks" in state.error
    play(ev, "第三讲", wait=False)
    with ev.db.engine.begin() as connection:
        _mend(connection)
    wait_for(lambda: not ev.state.failing and ev.state.queued == 0)
    ev.close()
    with ev.db.engine.connect() as connection:
        titles = connection.execute(text(
            "SELECT title FROM playbacks WHERE close_seq IS NOT NULL ORDER BY open_seq")
        ).scalars().all()
    assert titles == ["第一讲", "第二讲", "第三讲"]
    assert full_check(ev.db, "XC-012").ok
    ev.db.close()


def test_rows_left_unwritten_at_shutdown_are_appended_at_the_next_start(
        settings: Settings) -> None:
    ev = evidence(settings, "XC-012")
    with ev.db.engine.begin() as connection:
        _break(connection)
    play(ev, "停电前", wait=False)
    wait_for(lambda: ev.state.failing)
    ev.tracker.close_all()
    left = ev.writer.close(timeout=1.0)
    assert [e.kind for e in left] == ["playback.open"]
    ev._spill(left)
    with ev.db.engine.begin() as connection:
        _mend(connection)
    ev.db.close()
    again = evidence(settings, "XC-012")
    again.close()
    with again.db.engine.connect() as connection:
        found = connection.execute(text(
            "SELECT title, ended_by FROM playbacks WHERE ledger = 'XC-012'")).all()
    assert [tuple(f) for f in found] == [("停电前", "restart")]
    assert full_check(again.db, "XC-012").ok
    assert list(settings.data_dir.glob("ledger-unwritten-*.appended"))
    again.db.close()


def test_start_up_signs_what_a_crashed_run_left_unsigned(settings: Settings) -> None:
    ev = evidence(settings, "XC-012", checkpoint_on_close=False)
    play(ev, "未签名")
    ev.writer.close()  # the process dies here: no shutdown checkpoint
    ev.db.close()
    again = evidence(settings, "XC-012")
    with again.db.engine.connect() as connection:
        found = checkpoints(connection, "XC-012")
    assert [(c.reason, c.first_seq, c.seq) for c in found] == [("recovered", 1, 2)]
    again.close()
    again.db.close()


def test_the_head_is_signed_on_close_and_within_the_interval(settings: Settings) -> None:
    ev = evidence(settings, "XC-012")
    play(ev, "结束即签")
    with ev.db.engine.connect() as connection:
        wait_for(lambda: [c.reason for c in checkpoints(connection, "XC-012")] == ["close"])
    ev.close()
    ev.db.close()
    timed = evidence(settings, "XC-013", checkpoint_on_close=False,
                     checkpoint_minutes=0.02)  # 1.2 s
    timed.writer.submit("note", {"n": 1})

    def reasons() -> list[str]:
        with timed.db.engine.connect() as connection:
            return [c.reason for c in checkpoints(connection, "XC-013")]

    wait_for(lambda: reasons() == ["time"], seconds=10)
    timed.close()
    assert reasons() == ["time"]  # nothing new to sign at shutdown
    timed.db.close()


def test_the_database_refuses_a_row_that_does_not_continue_the_chain(db: Database) -> None:
    append_now(db, "XC-012", [Event("note", {"n": 1})])
    with db.engine.connect() as connection:
        seq, last_hash, at = head(connection, "XC-012")

    def row(seq: int, prev: str, payload_seq: int | None = None, digest: str | None = None
            ) -> dict[str, object]:
        payload = make_payload(payload_seq or seq, at, "note", "XC-012", {"forged": 1})
        return {"ledger": "XC-012", "seq": seq, "at": at, "kind": "note", "payload": payload,
                "prev_hash": prev, "hash": digest or chain_hash(prev, payload)}

    forged = [row(seq + 2, last_hash), row(seq + 1, GENESIS), row(seq, last_hash)]
    if db.engine.dialect.name == "postgresql":  # it has SHA-256 built in, SQLite has not
        forged.append(row(seq + 1, last_hash, digest="a" * 64))
    for values in forged:
        with pytest.raises(DBAPIError, match="continue the chain"), \
                db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO ledger (ledger, seq, at, kind, payload, prev_hash, hash) VALUES "
                "(:ledger, :seq, :at, :kind, :payload, :prev_hash, :hash)"), values)
    assert len(append_now(db, "XC-012", [Event("note", {"n": 2})])) == 1


def test_a_checkpoint_must_follow_the_last_one(db: Database, tmp_path: Path) -> None:
    append_now(db, "XC-012", [Event("note", {"n": 1})])
    key = load_or_create_key(tmp_path / "key.pem")
    with db.engine.begin() as connection:
        made = make_checkpoint(connection, "XC-012", key)
    assert made is not None
    for seq in (made.seq, made.seq + 5):  # again at the same row; past the head
        with pytest.raises(DBAPIError, match="follow the last one"), \
                db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO ledger_checkpoints (ledger, seq, at, head_hash, prev, first_seq, "
                "row_hashes, public_key, signature, code, reason) VALUES ('XC-012', :seq, "
                "'2026-12-01T00:00:00.000000Z', '', '', 1, '', '', '', 'X', '')"),
                {"seq": seq})


@pytest.mark.parametrize(("statement", "column"), [
    ("UPDATE playbacks SET seconds = 1680 WHERE open_seq = 1", "seconds"),
    ("UPDATE playbacks SET title = '=HYPERLINK(1)' WHERE open_seq = 1", "title"),
    ("UPDATE playbacks SET station = 'XC-099' WHERE open_seq = 3", "station"),
    ("DELETE FROM playbacks WHERE open_seq = 3", "missing"),
    (f"INSERT INTO playbacks ({COLUMNS}) SELECT {COLUMNS.replace('open_seq', 'open_seq + 100')}"
     " FROM playbacks WHERE open_seq = 1", "extra"),
])
def test_an_edited_projection_is_named(settings: Settings, statement: str,
                                       column: str) -> None:
    ev = evidence(settings, "XC-012")
    play(ev, "一")
    play(ev, "二")
    ev.close()
    assert full_check(ev.db, "XC-012").ok
    with ev.db.engine.begin() as connection:
        connection.execute(text(statement))
    problem = full_check(ev.db, "XC-012").problem
    assert problem is not None and problem.key == "verify_projection", problem
    assert problem.detail["column"] == column
    expected_seq = {"seconds": 1, "title": 1, "station": 3, "missing": 3, "extra": 101}
    assert problem.seq == expected_seq[column]
    ev.db.close()


def test_an_untouched_ledger_has_no_false_alarm(settings: Settings) -> None:
    ev = evidence(settings, "XC-012")
    for n in range(30):
        play(ev, f"第{n}讲", seconds=n + 0.5)
    ev.close()
    report = full_check(ev.db, "XC-012")
    assert report.ok and report.rows == 60 and report.unsigned == 0, report
    assert datetime.now(UTC) - timedelta(minutes=1) < datetime.fromisoformat(report.last_at)
    ev.db.close()
