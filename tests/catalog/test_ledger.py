"""The evidence ledger on SQLite and PostgreSQL: appends, the append-only triggers, the
single writer, checkpoints and their codes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from catalog.db import Database
from catalog.evidence.checkpoints import (
    CODE_ALPHABET,
    CODE_LENGTH,
    checkpoints,
    load_or_create_key,
    make_checkpoint,
)
from catalog.evidence.ledger import GENESIS, Event, LedgerWriter, append_now, chain_hash, rows
from catalog.evidence.verify import verify
from catalog.models import LedgerCheckpoint, LedgerRow


def test_rows_chain_from_genesis_with_gapless_seq(db: Database) -> None:
    first = append_now(db, "XC-012", [Event("playback.open", {"item": 1, "标题": "水稻"})])
    more = append_now(db, "XC-012", [Event("note", {"n": n}) for n in range(3)])
    other = append_now(db, "XC-013", [Event("note", {})])
    assert [e.seq for e in first + more] == [1, 2, 3, 4] and other[0].seq == 1
    assert first[0].prev_hash == GENESIS
    assert first[0].payload.startswith('{"seq":1,"at":"') and '"标题":"水稻"' in first[0].payload
    assert more[0].prev_hash == first[0].hash
    assert more[0].hash == chain_hash(first[0].hash, more[0].payload)
    with db.engine.connect() as connection:
        stored = list(rows(connection, "XC-012"))
    assert stored == first + more
    assert verify("XC-012", stored, []).ok


@pytest.mark.parametrize("statement", ["update", "delete"])
@pytest.mark.parametrize("table", [LedgerRow, LedgerCheckpoint])
def test_update_and_delete_are_refused_by_the_database(db: Database, tmp_path: Path,
                                                       statement: str, table: type) -> None:
    append_now(db, "L", [Event("note", {"n": 1})])
    with db.engine.begin() as connection:
        make_checkpoint(connection, "L", load_or_create_key(tmp_path / "key.pem"))
    change = (update(table).values(at="2000-01-01T00:00:00.000000Z") if statement == "update"
              else delete(table))
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(change)
    with db.engine.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {table.__tablename__}")
                                  ).scalar() == 1


def test_the_writer_acknowledges_only_committed_rows_in_order(db: Database) -> None:
    writer = LedgerWriter(db, "W")
    futures = []
    threads = [threading.Thread(target=lambda n=n: futures.extend(
        writer.submit("note", {"thread": n, "i": i}) for i in range(200))) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = sorted(f.result(timeout=30).seq for f in futures)
    writer.close()
    assert seqs == list(range(1, 801))
    with db.engine.connect() as connection:
        assert verify("W", rows(connection, "W"), []).ok


def test_checkpoints_sign_the_head_and_give_a_telephone_code(db: Database,
                                                           tmp_path: Path) -> None:
    key_path = tmp_path / "keys" / "ledger.pem"
    key = load_or_create_key(key_path)
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(key_path).public_key().public_bytes_raw() == \
        key.public_key().public_bytes_raw()
    append_now(db, "L", [Event("note", {"n": n}) for n in range(5)])
    with db.engine.begin() as connection:
        first = make_checkpoint(connection, "L", key)
        assert make_checkpoint(connection, "L", key) is None  # nothing new to sign
    append_now(db, "L", [Event("note", {"n": 5})])
    with db.engine.begin() as connection:
        second = make_checkpoint(connection, "L", key)
    assert first is not None and second is not None
    assert (first.seq, first.first_seq, second.seq, second.first_seq) == (5, 1, 6, 6)
    assert second.prev == first.digest
    assert len(first.code) == CODE_LENGTH and set(first.code) <= set(CODE_ALPHABET)
    with db.engine.connect() as connection:
        report = verify("L", rows(connection, "L"), checkpoints(connection, "L"),
                        public_key=first.public_key, code=first.code.lower())
    assert report.ok and report.rows == 6 and report.checkpoints == 2
