"""`kill -9` of the server twenty times while playbacks pour in: every row the server
reported on its terminal is in the ledger, the chain verifies and seq has no gap, and each
start signs the tail the killed run left unsigned."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]

ROUNDS = 20


def test_every_reported_row_survives_kill_9(tmp_path: Path, demo_library: Path) -> None:
    root = tmp_path / "库"
    root.mkdir()
    for n, clip in enumerate(sorted((demo_library / "先进适用科技").glob("*.mp4"))):
        shutil.copy(clip, root / f"{n}.mp4")
    env = os.environ | {"YUANJIAO_DATA_DIR": str(tmp_path / "data"),
                        "YUANJIAO_STATION": "XC-012", "YUANJIAO_PLAYBACK_IDLE_SECONDS": "0.2",
                        "YUANJIAO_GUEST_VIEWING": "true"}
    cli = [sys.executable, "-m", "web.cli"]
    subprocess.run([*cli, "scan", "-q", str(root)], env=env, check=True, capture_output=True)
    rng = random.Random(9)
    reported: dict[int, str] = {}  # seq -> PLAY/END, as printed by the server
    port = 19000 + os.getpid() % 500
    for round_ in range(ROUNDS):
        log_path = tmp_path / f"server{round_}.log"
        with log_path.open("w") as log:
            server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        ids = _wait_for_items(base)
        stop = threading.Event()
        threads = [threading.Thread(target=_playbacks, args=(base, ids, f"{round_}-{n}", stop))
                   for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.5, 1.5))
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        stop.set()
        for thread in threads:
            thread.join(10)
        for kind, seq in re.findall(r"^(PLAY|END) .* ledger=#(\d+)$", log_path.read_text(),
                                    re.M):
            reported[int(seq)] = kind
    assert len(reported) > ROUNDS * 10, "too few playbacks to mean anything"
    with sqlite3.connect(tmp_path / "data" / "catalog.sqlite3") as connection:
        stored = dict(connection.execute(
            "SELECT seq, kind FROM ledger WHERE ledger = 'XC-012'").fetchall())
    kinds = {"PLAY": "playback.open", "END": "playback.close"}
    lost = {seq: kind for seq, kind in reported.items() if stored.get(seq) != kinds[kind]}
    assert lost == {}
    assert sorted(stored) == list(range(1, len(stored) + 1))
    # One more start: before anything else it signs what the last killed run left.
    head = max(stored)
    with (tmp_path / "last.log").open("w") as log:
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    _wait_for_items(f"http://127.0.0.1:{port}")
    server.send_signal(signal.SIGTERM)
    server.wait(30)
    with sqlite3.connect(tmp_path / "data" / "catalog.sqlite3") as connection:
        signed = connection.execute(
            "SELECT seq, reason FROM ledger_checkpoints WHERE ledger = 'XC-012' ORDER BY seq"
        ).fetchall()
    assert (head, "recovered") in signed, signed
    assert sum(reason == "recovered" for _, reason in signed) >= ROUNDS // 2
    assert "left unsigned by the last run" in (tmp_path / "last.log").read_text()
    verified = subprocess.run([*cli, "ledger", "verify"], env=env, capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"{ROUNDS} kills: {len(reported)} reported rows, {len(stored)} in the ledger, "
          "chain verified")


def _wait_for_items(base: str) -> list[int]:
    for _ in range(200):
        try:
            return [i["id"] for i in httpx.get(f"{base}/api/items").json()["items"]]
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def _playbacks(base: str, ids: list[int], name: str, stop: threading.Event) -> None:
    # Each request comes from a new "browser" (its own User-Agent): a playback each.
    count = 0
    with httpx.Client(base_url=base, timeout=5) as http:
        while not stop.is_set():
            count += 1
            try:
                http.get(f"/stream/{ids[count % len(ids)]}",
                         headers={"User-Agent": f"tv-{name}-{count}", "Range": "bytes=0-65535"})
            except httpx.TransportError:
                return  # the server is gone
