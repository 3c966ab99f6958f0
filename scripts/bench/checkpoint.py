#!/usr/bin/env python3
"""What signing the head at every playback close costs: a playback is two rows (open and
close); the server signs after each close (``checkpoint_on_close``). Measured on a ledger
that already holds ``--rows`` rows, through the real writer, with checkpoints on close and
without; prints rows per second both ways and the median and 99th percentile of one
checkpoint (read the rows since the last one, sign, insert).

    .venv/bin/python scripts/bench/checkpoint.py [--rows 100000] [--playbacks 2000]
    .venv/bin/python scripts/bench/checkpoint.py --smoke     # seconds, for the test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from catalog.db import Database  # noqa: E402
from catalog.evidence.checkpoints import load_or_create_key, make_checkpoint
from catalog.evidence.ledger import Event, LedgerWriter, append
from catalog.settings import load_settings  # noqa: E402

LEDGER = "XC-012"


def open_db(folder: Path) -> Database:
    return Database.open(load_settings({"data_dir": str(folder)}, environ={}))


def fill(db: Database, count: int) -> None:
    for start in range(0, count, 10_000):
        with db.engine.begin() as connection:
            append(connection, LEDGER, [Event("note", {"n": n})
                                        for n in range(start, min(count, start + 10_000))])


def playbacks(db: Database, count: int, on_close: bool) -> tuple[float, list[float]]:
    """Rows per second for ``count`` playbacks (open, then close once the open is written),
    and the duration of each checkpoint signed."""
    key = load_or_create_key(db_folder(db) / "ledger-key.pem")
    signing: list[float] = []

    def after_commit(entries: list[object]) -> None:
        if on_close:
            started = time.perf_counter()
            with db.engine.begin() as connection:
                make_checkpoint(connection, LEDGER, key, "close")
            signing.append(time.perf_counter() - started)

    writer = LedgerWriter(db, LEDGER, after_commit=after_commit)
    started = time.perf_counter()
    for n in range(count):
        opened = writer.submit("playback.open", {"n": n}).result(30)
        writer.submit("playback.close", {"open_seq": opened.seq}).result(30)
    elapsed = time.perf_counter() - started
    writer.close()
    return 2 * count / elapsed, signing


def db_folder(db: Database) -> Path:
    return Path(str(db.engine.url.database)).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--playbacks", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.playbacks = 1000, 50
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp))
        fill(db, args.rows)
        plain, _ = playbacks(db, args.playbacks, on_close=False)
        signed, durations = playbacks(db, args.playbacks, on_close=True)
        db.close()
    ms = sorted(d * 1000 for d in durations)
    print(f"ledger of {args.rows} rows, {args.playbacks} playbacks each way (open + close, "
          "each waited for)")
    print(f"  without a checkpoint per close: {plain:,.0f} rows/s")
    print(f"  with a checkpoint per close:    {signed:,.0f} rows/s")
    print(f"  one checkpoint: median {statistics.median(ms):.2f} ms, "
          f"p99 {ms[int(len(ms) * 0.99) - 1]:.2f} ms")


if __name__ == "__main__":
    main()
