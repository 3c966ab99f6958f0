"""Tampering with copies of a 10,000-row ledger, one mutation each: `yuanjiao ledger
verify` fails and names the first bad row, on the database and on an export; the clean
ledger passes both ways; a telephone code taken before a rewrite exposes the rewrite."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import IntegrityError
from yj_testing import drop_triggers, make_settings

from catalog.db import Database
from catalog.evidence.checkpoints import (
    Checkpoint,
    checkpoints,
    code_of,
    load_or_create_key,
    make_checkpoint,
    public_hex,
    signed_message,
)
from catalog.evidence.ledger import (
    Entry,
    Event,
    append,
    chain_hash,
    format_at,
    make_payload,
    parse_at,
    rows,
)
from catalog.evidence.verify import write_export
from catalog.models import LedgerCheckpoint, LedgerRow
from web.cli import cli

LEDGER = "XC-012"
ROWS = 10_000
EVERY = 1000
Ledger = tuple[list[Entry], list[Checkpoint]]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ledger]:
    data = tmp_path_factory.mktemp("ledger-original")
    settings = make_settings(data, f"sqlite:///{data / 'catalog.sqlite3'}", station=LEDGER)
    db = Database.open(settings)
    key = load_or_create_key(settings.ledger_key_path)
    yesterday = datetime.now(UTC) - timedelta(days=1)  # older than any unsigned tail may be
    for batch in range(ROWS // EVERY):
        # A kind of its own: these rows test the chain, not the playbacks projection.
        with db.engine.begin() as connection:
            append(connection, LEDGER,
                   [Event("test.note", {"item": n % 37, "client": "10.0.0.9",
                                        "title": f"第{n}讲"})
                    for n in range(batch * EVERY, (batch + 1) * EVERY)],
                   now=lambda b=batch: yesterday + timedelta(minutes=b))
        with db.engine.begin() as connection:
            make_checkpoint(connection, LEDGER, key)
    with db.engine.connect() as connection:
        found = (list(rows(connection, LEDGER)), checkpoints(connection, LEDGER))
    db.close()
    return data, found


def rechain(entries: list[Entry], start: int) -> list[Entry]:
    """Recompute every payload and hash from index ``start`` on, as a careful forger would."""
    out = entries[:start]
    prev = out[-1].hash if out else "0" * 64
    for index, entry in enumerate(entries[start:], start):
        payload = make_payload(index + 1, entry.at, entry.kind, LEDGER, entry.data)
        digest = chain_hash(prev, payload)
        out.append(entry._replace(seq=index + 1, payload=payload, prev_hash=prev,
                                       hash=digest))
        prev = digest
    return out


def edit_payload(led: Ledger) -> Ledger:
    entries = list(led[0])
    entry = entries[4320]
    entries[4320] = entry._replace(payload=entry.payload.replace("第4320讲",
                                                                             "第4321讲"))
    return entries, led[1]


def delete_row(led: Ledger) -> Ledger:
    return [e for e in led[0] if e.seq != 5000], led[1]


def swap_rows(led: Ledger) -> Ledger:
    entries = list(led[0])
    a, b = entries[2999], entries[3000]
    entries[2999], entries[3000] = (b._replace(seq=a.seq),
                                    a._replace(seq=b.seq))
    return entries, led[1]


def insert_row(led: Ledger) -> Ledger:
    entries = list(led[0])
    forged = entries[5999]._replace(payload=entries[5999].payload.replace(
        '"item":', '"forged":true,"item":'))
    entries.insert(5999, forged)
    return rechain(entries, 5999), led[1]


def truncate_and_continue(led: Ledger) -> Ledger:
    kept = led[0][:7000]
    later = "2099-01-01T00:00:00.000000Z"  # written now, after the checkpoints
    fresh = [e._replace(at=later) for e in led[0][7000:]]
    return rechain(kept + fresh, 7000), led[1]


def rechain_after_edit(led: Ledger) -> Ledger:
    entries, _ = edit_payload(led)
    return rechain(entries, 4320), led[1]


def replace_signature(led: Ledger) -> Ledger:
    cps = list(led[1])
    cps[7] = dataclasses.replace(cps[7], signature=cps[6].signature)
    return led[0], cps


def backdate_row(led: Ledger) -> Ledger:
    entries = list(led[0])
    entries[2499] = entries[2499]._replace(at="2020-01-01T08:00:00.000000Z")
    return rechain(entries, 2499), led[1]


MUTATIONS: list[tuple[Callable[[Ledger], Ledger], int]] = [
    (edit_payload, 4321), (delete_row, 5000), (swap_rows, 3000), (insert_row, 6000),
    (truncate_and_continue, 7001), (rechain_after_edit, 4321), (replace_signature, 8000),
    (backdate_row, 2500),
]


def write_db(source: Path, target: Path, led: Ledger) -> None:
    """A copy of the original data folder holding ``led`` instead (triggers dropped first,
    as a forger with the database file would)."""
    shutil.copytree(source, target)
    engine = create_engine(f"sqlite:///{target / 'catalog.sqlite3'}")
    with engine.begin() as connection:
        drop_triggers(connection)
        connection.execute(text("DELETE FROM ledger"))
        connection.execute(text("DELETE FROM ledger_checkpoints"))
        connection.execute(insert(LedgerRow), [
            {"ledger": LEDGER, "seq": e.seq, "at": e.at, "kind": e.kind, "payload": e.payload,
             "prev_hash": e.prev_hash, "hash": e.hash} for e in led[0]])
        if led[1]:
            connection.execute(insert(LedgerCheckpoint), [c.as_dict() for c in led[1]])
    engine.dispose()


def run_verify(data: Path, *more: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "ledger", "verify", *more],
                                env={"YUANJIAO_STATION": LEDGER, "YUANJIAO_DB_URL": ""})
    return result.exit_code, result.output


def export_of(led: Ledger, path: Path, public_key: str) -> Path:
    with path.open("w", encoding="utf-8") as out:
        write_export(out, LEDGER, public_key, led[0], led[1])
    return path


@pytest.mark.slow
def test_the_clean_ledger_and_its_export_pass(original: tuple[Path, Ledger],
                                              tmp_path: Path) -> None:
    data, led = original
    code, output = run_verify(data)
    assert code == 0, output
    assert "10000 条记录、10 个签名检查点" in output
    export = tmp_path / "ledger.jsonl"
    assert CliRunner().invoke(cli, ["--data-dir", str(data), "ledger", "export", str(export)],
                              env={"YUANJIAO_STATION": LEDGER}).exit_code == 0
    code, output = run_verify(tmp_path / "nowhere", "--export", str(export))
    assert code == 0, output
    assert not (tmp_path / "nowhere").exists()  # no database was opened or made


@pytest.mark.slow
@pytest.mark.parametrize(("mutate", "first_bad"), MUTATIONS,
                         ids=[m.__name__ for m, _ in MUTATIONS])
def test_each_tampering_is_named_at_its_first_bad_row(
        original: tuple[Path, Ledger], tmp_path: Path, mutate: Callable[[Ledger], Ledger],
        first_bad: int) -> None:
    data, led = original
    forged = mutate(led)
    write_db(data, tmp_path / "copy", forged)
    code, output = run_verify(tmp_path / "copy")
    assert code == 1 and f"第 {first_bad} 条" in output, output
    public_key = led[1][0].public_key
    export = export_of(forged, tmp_path / "forged.jsonl", public_key)
    code, output = run_verify(tmp_path / "nowhere", "--export", str(export))
    assert code == 1 and f"第 {first_bad} 条" in output, output


def resign(entries: list[Entry], old_checkpoints: list[Checkpoint], key_path: Path,
           copy_codes: bool = False) -> list[Checkpoint]:
    """Fresh checkpoints over a rewritten ledger, signed with the station's own key at the
    old times, as the station's operator (who holds ledger-key.pem) could make them."""
    key = load_or_create_key(key_path)
    resigned, prev = [], "0" * 64
    for old in old_checkpoints:
        row_hashes = "".join(e.hash[:16] for e in entries[old.first_seq - 1:old.seq])
        message = signed_message(LEDGER, old.seq, old.at, entries[old.seq - 1].hash, prev,
                                 old.first_seq, row_hashes, old.reason)
        signature = key.sign(message).hex()
        checkpoint = Checkpoint(LEDGER, old.seq, old.at, entries[old.seq - 1].hash, prev,
                                old.first_seq, row_hashes, public_hex(key.public_key()),
                                signature, old.code if copy_codes else code_of(signature),
                                old.reason)
        resigned.append(checkpoint)
        prev = checkpoint.digest
    return resigned


@pytest.mark.slow
def test_a_telephone_code_exposes_a_rewrite_signed_with_the_servers_own_key(
        original: tuple[Path, Ledger], tmp_path: Path) -> None:
    data, led = original
    told = led[1][-1].code  # read to the inspector over the telephone
    entries, _ = rechain_after_edit(led)
    write_db(data, tmp_path / "copy", (entries, resign(entries, led[1],
                                                       data / "ledger-key.pem")))
    assert run_verify(tmp_path / "copy")[0] == 0  # internally consistent: only the code tells
    code, output = run_verify(tmp_path / "copy", "--checkpoint", told)
    assert code == 1 and told in output and "重新签名" in output, output
    code, output = run_verify(data, "--checkpoint", told)
    assert code == 0 and f"与第 {led[1][-1].seq} 条记录处的签名检查点相符" in output, output
    # An export the inspector took before the rewrite names the first row rewritten.
    earlier = export_of(led, tmp_path / "earlier.jsonl", led[1][0].public_key)
    code, output = run_verify(tmp_path / "copy", "--checkpoint", told, "--against",
                              str(earlier))
    assert code == 1 and "第 4321 条" in output, output
    code, output = run_verify(tmp_path / "copy", "--against", str(earlier))
    assert code == 1 and "第 4321 条" in output and "第一条被改写" in output, output
    assert run_verify(data, "--against", str(earlier))[0] == 0


@pytest.mark.slow
def test_old_codes_copied_into_resigned_checkpoints_are_exposed(
        original: tuple[Path, Ledger], tmp_path: Path) -> None:
    data, led = original
    told = led[1][-1].code
    entries, _ = rechain_after_edit(led)
    forged = (entries, resign(entries, led[1], data / "ledger-key.pem", copy_codes=True))
    write_db(data, tmp_path / "copy", forged)
    # Checkpoint 5 (rows 4001–5000) is the first whose signature changed with row 4321.
    for more in ((), ("--checkpoint", told), ("--public-key", led[1][0].public_key)):
        code, output = run_verify(tmp_path / "copy", *more)
        assert code == 1 and "第 5000 条" in output and "第 4001 条起" in output, output
    export = export_of(forged, tmp_path / "forged.jsonl", led[1][0].public_key)
    code, output = run_verify(tmp_path / "nowhere", "--export", str(export), "--checkpoint",
                              told)
    assert code == 1 and "第 5000 条" in output, output


@pytest.mark.slow
def test_only_a_code_field_edited_is_exposed(original: tuple[Path, Ledger],
                                             tmp_path: Path) -> None:
    data, led = original
    cps = list(led[1])
    cps[2] = dataclasses.replace(cps[2], code=cps[3].code)
    write_db(data, tmp_path / "copy", (led[0], cps))
    code, output = run_verify(tmp_path / "copy")
    assert code == 1 and "第 3000 条" in output, output
    code, output = run_verify(tmp_path / "copy", "--checkpoint", cps[3].code)
    assert code == 1 and "第 3000 条" in output, output


@pytest.mark.slow
def test_dropping_every_checkpoint_of_a_rewrite_is_exposed(
        original: tuple[Path, Ledger], tmp_path: Path) -> None:
    data, led = original
    entries, _ = rechain_after_edit(led)
    write_db(data, tmp_path / "copy", (entries, []))
    code, output = run_verify(tmp_path / "copy", "--public-key", led[1][0].public_key)
    assert code == 1 and "第 1 条" in output and "没有任何签名检查点覆盖" in output, output
    export = export_of((entries, []), tmp_path / "forged.jsonl", led[1][0].public_key)
    code, output = run_verify(tmp_path / "nowhere", "--export", str(export))
    assert code == 1 and "第 1 条" in output, output


@pytest.mark.slow
def test_a_forged_tail_is_refused_by_the_database_and_exposed_when_forced(
        original: tuple[Path, Ledger], tmp_path: Path) -> None:
    data, led = original
    shutil.copytree(data, tmp_path / "copy")
    engine = create_engine(f"sqlite:///{tmp_path / 'copy' / 'catalog.sqlite3'}")
    last = led[0][-1]
    payload = make_payload(last.seq + 2, last.at, "test.note", LEDGER, {"forged": True})
    skipping = {"ledger": LEDGER, "seq": last.seq + 2, "at": last.at, "kind": "test.note",
                "payload": payload, "prev_hash": last.hash,
                "hash": chain_hash(last.hash, payload)}
    payload = make_payload(last.seq + 1, last.at, "test.note", LEDGER, {"forged": True})
    unlinked = {"ledger": LEDGER, "seq": last.seq + 1, "at": last.at, "kind": "test.note",
                "payload": payload, "prev_hash": "f" * 64, "hash": chain_hash("f" * 64, payload)}
    for forged in (skipping, unlinked):
        with pytest.raises(IntegrityError, match="continue the chain"), engine.begin() as c:
            c.execute(insert(LedgerRow), [forged])
    # A well-formed row at the head is accepted by the trigger (it cannot know the key)…
    at = format_at(parse_at(last.at) + timedelta(minutes=1))
    payload = make_payload(last.seq + 1, at, "test.note", LEDGER, {"forged": True})
    with engine.begin() as connection:
        connection.execute(insert(LedgerRow), [{
            "ledger": LEDGER, "seq": last.seq + 1, "at": at, "kind": "test.note",
            "payload": payload, "prev_hash": last.hash, "hash": chain_hash(last.hash, payload)}])
    engine.dispose()
    # …but it is unsigned and older than any server would leave it: exposed.
    code, output = run_verify(tmp_path / "copy")
    assert code == 1 and f"第 {last.seq + 1} 条" in output and "没有任何签名" in output, output


def test_an_empty_file_is_not_an_export(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, output = run_verify(tmp_path / "nowhere", "--export", str(empty))
    assert code == 2 and "不是远教台账导出文件" in output, output


def test_a_ledger_with_no_rows_does_not_verify(tmp_path: Path) -> None:
    code, output = run_verify(tmp_path / "fresh")
    assert code == 1 and "没有任何记录" in output, output
