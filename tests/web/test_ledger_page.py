"""The checkpoint page over HTTP, as an inspector uses it on the telephone: the latest
code is shown, a correct code verifies, a wrong one is refused, an old code typed after
the station rewrote and re-signed its ledger exposes the rewrite, and uploaded exports get
the verdicts of ``yuanjiao ledger verify``."""

from __future__ import annotations

import html
import io
import re
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, text
from yj_testing import make_settings, running_server, sign_in

from catalog.db import Database
from catalog.evidence.checkpoints import (
    Checkpoint,
    checkpoints,
    code_of,
    display_code,
    load_or_create_key,
    make_checkpoint,
    public_hex,
    signed_message,
)
from catalog.evidence.ledger import Entry, Event, append, chain_hash, make_payload, rows
from catalog.evidence.verify import write_export
from catalog.models import LedgerCheckpoint, LedgerRow

LEDGER = "XC-031"


@pytest.fixture
def station(tmp_path: Path, db_url: str) -> Any:
    settings = make_settings(tmp_path / "data", db_url, station=LEDGER, guest_viewing=False)
    db = Database.open(settings)
    key = load_or_create_key(settings.ledger_key_path)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for batch in range(3):
        with db.engine.begin() as connection:
            append(connection, LEDGER, [Event("test.note", {"n": n, "title": f"第{n}讲"})
                                        for n in range(batch * 20, batch * 20 + 20)],
                   now=lambda b=batch: yesterday + timedelta(minutes=b))
        with db.engine.begin() as connection:
            make_checkpoint(connection, LEDGER, key)
    yield settings, db
    db.close()


def _ledger(db: Database) -> tuple[list[Entry], list[Checkpoint]]:
    with db.engine.connect() as connection:
        return list(rows(connection, LEDGER)), checkpoints(connection, LEDGER)


def _rewrite(db: Database, key_path: Path) -> None:
    """What the station's operator, who holds ledger-key.pem, can do: edit row 25, chain
    every row after it again and sign fresh checkpoints at the old times."""
    entries, old = _ledger(db)
    out, prev = entries[:24], entries[23].hash
    for entry in entries[24:]:
        data = entry.data | ({"title": "改过的"} if entry.seq == 25 else {})
        payload = make_payload(entry.seq, entry.at, entry.kind, LEDGER, data)
        out.append(entry._replace(payload=payload, prev_hash=prev,
                                  hash=chain_hash(prev, payload)))
        prev = out[-1].hash
    key = load_or_create_key(key_path)
    resigned, prev_digest = [], "0" * 64
    for c in old:
        hashes = "".join(e.hash[:16] for e in out[c.first_seq - 1:c.seq])
        signature = key.sign(signed_message(LEDGER, c.seq, c.at, out[c.seq - 1].hash,
                                            prev_digest, c.first_seq, hashes, c.reason)).hex()
        resigned.append(Checkpoint(LEDGER, c.seq, c.at, out[c.seq - 1].hash, prev_digest,
                                   c.first_seq, hashes, public_hex(key.public_key()),
                                   signature, code_of(signature), c.reason))
        prev_digest = resigned[-1].digest
    postgres = db.engine.dialect.name == "postgresql"
    triggers = [(t, f"{t}_{name}") for t in ("ledger", "ledger_checkpoints")
                for name in (("append_only", "no_truncate") if postgres
                             else ("no_update", "no_delete"))]
    triggers += [("ledger", "ledger_continues"), ("ledger_checkpoints",
                                                  "ledger_checkpoints_follow")]
    with db.engine.begin() as connection:  # as a forger with the database would
        for table, trigger in triggers:
            connection.execute(text(f"DROP TRIGGER {trigger}"
                                    + (f" ON {table}" if postgres else "")))
        connection.execute(text("DELETE FROM ledger_checkpoints"))
        connection.execute(text("DELETE FROM ledger"))
        connection.execute(insert(LedgerRow), [
            {"ledger": LEDGER, "seq": e.seq, "at": e.at, "kind": e.kind, "payload": e.payload,
             "prev_hash": e.prev_hash, "hash": e.hash} for e in out])
        connection.execute(insert(LedgerCheckpoint), [c.as_dict() for c in resigned])


def _verdict(page: httpx.Response) -> tuple[str, str]:
    found = re.search(r'data-verdict="(\w+)">(.*?)</section>', page.text, re.S)
    assert found, page.text[:2000]
    return found.group(1), html.unescape(re.sub(r"<[^>]+>", " ", found.group(2)))


def _export(db: Database, public_key: str) -> bytes:
    entries, found = _ledger(db)
    out = io.StringIO()
    write_export(out, LEDGER, public_key, entries, found)
    return out.getvalue().encode()


def test_codes_typed_on_the_page_get_the_verdicts_of_ledger_verify(station: Any) -> None:
    settings, db = station
    entries, found = _ledger(db)
    told = display_code(found[-1].code)  # what the station reads out
    public_key = found[-1].public_key  # noted by the inspector at enrolment
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as client:
        csrf = sign_in(client, db)
        page = client.get("/ledger")
        assert page.status_code == 200 and told in page.text and LEDGER in page.text
        assert f"第 {found[-1].seq} 条" in page.text

        def check(code: str, key: str = "") -> httpx.Response:
            return client.post("/ledger/check", data={"csrf": csrf, "kind": "code",
                                                      "ledger": LEDGER, "code": code,
                                                      "public_key": key})

        ok = check(told.lower().replace("-", " "), public_key)
        assert ok.status_code == 200
        verdict, words = _verdict(ok)
        assert verdict == "ok" and "校验通过" in words and f"第 {found[-1].seq} 条" in words
        wrong, words = _verdict(check("2345-6789-AB", public_key))
        assert wrong == "failed" and "没有校验码为 2345-6789-AB 的" in words
        # A mistyped form comes back with the value kept and the message beside the field.
        bad = check("口令!", public_key)
        assert bad.status_code == 400 and "校验码只含字母和数字" in bad.text
        assert 'value="口令!"' in bad.text and "data-verdict" not in bad.text

        _rewrite(db, settings.ledger_key_path)
        # Consistent in itself (the operator re-signed it); only the code tells.
        assert _verdict(check(display_code(_ledger(db)[1][-1].code)))[0] == "ok"
        rewritten, words = _verdict(check(told, public_key))
        assert rewritten == "failed" and "重新签名" in words and told in words


def test_an_uploaded_export_is_verified_against_a_code_and_an_earlier_export(
        station: Any) -> None:
    settings, db = station
    _, found = _ledger(db)
    told, public_key = display_code(found[-1].code), found[-1].public_key
    before = _export(db, public_key)
    with running_server(settings, db) as url, closing(httpx.Client(base_url=url)) as client:
        csrf = sign_in(client, db)

        def upload(export: bytes, code: str = "", earlier: bytes | None = None
                   ) -> httpx.Response:
            files = {"export": ("ledger.jsonl", export, "application/jsonl")}
            if earlier is not None:
                files["earlier"] = ("earlier.jsonl", earlier, "application/jsonl")
            return client.post("/ledger/check", data={"csrf": csrf, "kind": "export",
                                                      "code": code}, files=files)

        verdict, words = _verdict(upload(before, told))
        assert verdict == "ok" and "60 条记录、3 个签名检查点" in words and "相符" in words
        _rewrite(db, settings.ledger_key_path)
        after = _export(db, public_key)
        verdict, words = _verdict(upload(after, earlier=before))
        assert verdict == "failed" and "第 25 条" in words, words
        assert _verdict(upload(after, told))[0] == "failed"
        not_export = upload(b"\x89PNG\r\n\x1a\n")
        assert not_export.status_code == 400 and "这不是远教台账导出文件" in not_export.text
        assert upload(b"").status_code == 400  # an empty upload: the field says so
        missing = client.post("/ledger/check", data={"csrf": csrf, "kind": "export"})
        assert missing.status_code == 400 and "请选择导出文件" in missing.text
