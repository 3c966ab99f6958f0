#!/usr/bin/env python3
"""Ledger benchmark: rows per second through the real write path against raw batched
SQLite inserts of the same rows, acknowledged rows surviving kill -9, verify speed for
1,000,000 rows, and direct-play throughput with playback recording on against off.

    .venv/bin/python scripts/bench/ledger.py [--rows 200000] [--verify-rows 1000000]
    .venv/bin/python scripts/bench/ledger.py --smoke     # seconds, for the test

Needs wrk and ffmpeg for the streaming part (apt-get install wrk ffmpeg). Prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from catalog.db import Database  # noqa: E402
from catalog.evidence.checkpoints import load_or_create_key, make_checkpoint
from catalog.evidence.ledger import (
    GENESIS,
    Event,
    LedgerWriter,
    append,
    canonical_data,
    chain_hash,
    format_at,
    make_payload,
    rows,
)
from catalog.evidence.verify import verify
from catalog.settings import load_settings  # noqa: E402

LEDGER = "XC-012"


def event(n: int) -> Event:
    return Event("playback.open", {"station": LEDGER, "client": f"10.0.{n % 250}.{n % 200}",
                                   "user_agent": "Mozilla/5.0 (Linux; Android 10)",
                                   "member": None, "session": None, "item_id": n % 400,
                                   "title": "水稻种植技术（第3讲）", "method": "direct",
                                   "opened_at": "2027-03-10T01:12:03.123456Z"})


def open_db(folder: Path) -> Database:
    return Database.open(load_settings({"data_dir": str(folder)}, environ={}))


def writer_rate(folder: Path, count: int, threads: int = 4) -> float:
    db = open_db(folder)
    writer = LedgerWriter(db, LEDGER)
    futures = []
    lock = threading.Lock()

    def submit(part: int) -> None:
        mine = [writer.submit(e.kind, e.data) for e in map(event, range(part, count, threads))]
        with lock:
            futures.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=submit, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for future in futures:
        future.result()
    elapsed = time.perf_counter() - started
    writer.close()
    db.close()
    return count / elapsed


def raw_rate(folder: Path, count: int, serialize: bool = False) -> float:
    """The same rows (payloads and hashes made beforehand) inserted with sqlite3's
    executemany in batches of 1000: the floor any ledger on SQLite pays. With
    ``serialize``, the timing includes turning each event into its JSON text, which any
    store of these events pays too (but no seq, chain or hash)."""
    folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(folder / "raw.sqlite3")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, ledger TEXT, seq INTEGER,"
                       " at TEXT, kind TEXT, payload TEXT, prev_hash TEXT, hash TEXT,"
                       " UNIQUE (ledger, seq))")
    at, prev, prepared = format_at_now(), GENESIS, []
    for n in range(count):
        e = event(n)
        payload = make_payload(n + 1, at, e.kind, LEDGER, e.data)
        digest = chain_hash(prev, payload)
        prepared.append((LEDGER, n + 1, at, e.kind, payload, prev, digest))
        prev = digest
    events = [event(n) for n in range(count)]
    started = time.perf_counter()
    for first in range(0, count, 1000):
        part = prepared[first:first + 1000]
        if serialize:
            part = [(*row[:4], canonical_data(events[first + n].data), *row[5:])
                    for n, row in enumerate(part)]
        with connection:
            connection.executemany("INSERT INTO ledger (ledger, seq, at, kind, payload, "
                                   "prev_hash, hash) VALUES (?,?,?,?,?,?,?)", part)
    elapsed = time.perf_counter() - started
    connection.close()
    return count / elapsed


def format_at_now() -> str:
    from datetime import UTC, datetime

    return format_at(datetime.now(UTC))


KILL_CHILD = """
import sys
sys.path.insert(0, {repo!r})
from catalog.db import Database
from catalog.evidence.ledger import LedgerWriter
from catalog.settings import load_settings
db = Database.open(load_settings({{"data_dir": {folder!r}}}, environ={{}}))
writer = LedgerWriter(db, "XC-012")
n = 0
while True:
    futures = [writer.submit("note", {{"n": n + i}}) for i in range(200)]
    n += 200
    for f in futures:
        print(f.result().seq, flush=True)
"""


def kill_nine(folder: Path, rounds: int = 5) -> tuple[int, int, bool]:
    """(acknowledged rows, rows found, chain verifies) after kill -9 of a writer, rounds
    times in the same database."""
    acked: set[int] = set()
    # Migrated before the first kill: the kill is of a writer, not of a first migration
    # (SQLite's DDL is not transactional under pysqlite, and eleven migrations can take
    # longer than the 1.5 s a child lives on a slow machine).
    open_db(folder).close()
    for _ in range(rounds):
        child = subprocess.Popen([sys.executable, "-c", KILL_CHILD.format(
            repo=str(REPO_ROOT), folder=str(folder))], stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        acked.update(int(line) for line in out.split() if line.isdigit())
    db = open_db(folder)
    with db.engine.connect() as connection:
        found = {e.seq for e in rows(connection, LEDGER)}
        report = verify(LEDGER, rows(connection, LEDGER), [])
    db.close()
    return len(acked), len(acked & found), report.ok


def verify_speed(folder: Path, count: int) -> tuple[float, float]:
    """(seconds to verify ``count`` rows read from SQLite, seconds to build them)."""
    db = open_db(folder)
    key = load_or_create_key(folder / "key.pem")
    started = time.perf_counter()
    for first in range(0, count, 10_000):
        with db.engine.begin() as connection:
            append(connection, LEDGER, [event(n) for n in range(first, min(first + 10_000,
                                                                           count))])
            if (first + 10_000) % 100_000 == 0:
                make_checkpoint(connection, LEDGER, key)
    built = time.perf_counter() - started
    from catalog.evidence.checkpoints import checkpoints

    started = time.perf_counter()
    with db.engine.connect() as connection:
        report = verify(LEDGER, rows(connection, LEDGER), checkpoints(connection, LEDGER))
    elapsed = time.perf_counter() - started
    db.close()
    assert report.ok and report.rows == count, report
    return elapsed, built


LAUNCHER = """
import sys, uvicorn
sys.path.insert(0, {repo!r})
from catalog.settings import load_settings
from web.app import create_app
from web.server import server_config
from web.library.streaming import NoObserver
# Guests may watch, as on a station's LAN: the figures are of recording, not of signing in.
settings = load_settings({{"data_dir": {data!r}, "guest_viewing": True}}, environ={{}})
app = create_app(settings)
async def unrecorded(scope, receive, send):
    # After start-up has put the playback observer in place, take it away again.
    if scope["type"] != "lifespan":
        app.state.stream_observer = NoObserver()
    await app(scope, receive, send)
served = unrecorded if {off!r} else app
uvicorn.Server(server_config(served, "127.0.0.1", {port}, log_level="warning")).run()
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def streaming(folder: Path, seconds: int, size_mib: int = 64, passes: int = 2
              ) -> dict[str, float]:
    import httpx

    library = folder / "library"
    library.mkdir(parents=True)
    media = library / "big.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "libx264",
                    "-preset", "ultrafast", "-movflags", "+faststart", str(media)], check=True)
    with media.open("ab") as f:
        f.truncate(size_mib << 20)
    data = folder / "data"
    subprocess.run([sys.executable, "-m", "web.cli", "--data-dir", str(data), "scan", "-q",
                    str(library)], check=True, capture_output=True, cwd=REPO_ROOT)
    rates: dict[str, float] = {}
    for _ in range(passes):  # on, off, on, off: the load on the machine drifts
        for name, off in (("on", False), ("off", True)):
            port = free_port()
            server = subprocess.Popen([sys.executable, "-c", LAUNCHER.format(
                repo=str(REPO_ROOT), data=str(data), off=off, port=port)],
                stdout=subprocess.DEVNULL)
            started = time.monotonic()  # a busy machine (the test suite) starts slowly
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() - started > 60:
                        raise RuntimeError(f"no server answered on port {port}") from None
                    time.sleep(0.1)
            out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s",
                                  f"http://127.0.0.1:{port}/stream/1"],
                                 capture_output=True, text=True, check=True).stdout
            server.terminate()
            server.wait(20)
            # Refused requests (a 401 once accounts landed) are small and fast: never figures.
            assert "Non-2xx" not in out, out
            found = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
            assert found, out
            scale = {"MB": 1, "GB": 1024, "KB": 1 / 1024}[found.group(2)]
            rates[name] = rates.get(name, 0.0) + float(found.group(1)) * scale / passes
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--verify-rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    kills, size_mib, passes = 5, 64, 2
    if args.smoke:
        args.rows, args.verify_rows, args.seconds = 1000, 10_000, 1
        kills, size_mib, passes = 2, 8, 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours = writer_rate(work / "writer", args.rows)
        raw = raw_rate(work / "raw", args.rows)
        raw_json = raw_rate(work / "raw-json", args.rows, serialize=True)
        acked, survived, chain_ok = kill_nine(work / "kill", kills)
        verified, built = verify_speed(work / "verify", args.verify_rows)
        rates = streaming(work / "stream", args.seconds, size_mib, passes)
    print(json.dumps({"machine_cores": os.cpu_count()}))
    print(f"ledger writer, 4 threads submitting, {args.rows} rows: {ours:,.0f} rows/s")
    print(f"raw batched sqlite3 inserts of the same rows: {raw:,.0f} rows/s "
          f"(writer/raw {ours / raw:.2f}x)")
    print(f"raw inserts, each event made JSON in the timing: {raw_json:,.0f} rows/s "
          f"(writer/raw {ours / raw_json:.2f}x)")
    print(f"kill -9 of a writer {kills} times: {acked} rows acknowledged, {survived} of them "
          f"found, chain {'verifies' if chain_ok else 'BROKEN'}")
    print(f"verify {args.verify_rows:,} rows from SQLite with {args.verify_rows // 100_000} "
          f"checkpoints: {verified:.2f} s (building them took {built:.1f} s)")
    print(f"direct play, whole {size_mib} MiB file, 16 clients: recording on "
          f"{rates['on']:.0f} MiB/s, off {rates['off']:.0f} MiB/s "
          f"({rates['on'] / rates['off']:.2f}x)")


if __name__ == "__main__":
    main()
