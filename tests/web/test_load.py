"""Forty clients streaming forty items at once for 20 s: the server's memory stays bounded."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]

CLIENTS = 40
SECONDS = 20.0
MEMORY_BOUND_MB = 300  # the bound we state: the whole server process, 40 streams


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_forty_clients_stay_within_the_memory_bound(tmp_path: Path, demo_library: Path) -> None:
    root = tmp_path / "库"
    root.mkdir()
    clip = demo_library / "农村政策法规/新农合政策问答.mp4"
    for n in range(CLIENTS):
        shutil.copy(clip, root / f"第{n:02d}课.mp4")
    env = os.environ | {"YUANJIAO_DATA_DIR": str(tmp_path / "data")}
    cli = [sys.executable, "-m", "web.cli"]
    subprocess.run([*cli, "scan", "-q", str(root)], env=env, check=True, capture_output=True)
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                ids = [i["id"] for i in httpx.get(f"{base}/api/items?per_page=200").json()
                       ["items"]]
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert len(ids) == CLIENTS
        peak, sent, errors = _run_clients(base, ids, server.pid)
    finally:
        server.terminate()
        server.wait(10)
    print(f"{CLIENTS} clients for {SECONDS:.0f} s: {sent / 2**20:.0f} MiB sent, "
          f"server peak RSS {peak:.0f} MB")
    assert errors == [] and sent > 0
    assert peak < MEMORY_BOUND_MB


def _run_clients(base: str, ids: list[int], pid: int) -> tuple[float, int, list[str]]:
    stop = time.monotonic() + SECONDS
    sent = [0]
    errors: list[str] = []
    lock = threading.Lock()

    def client(item_id: int) -> None:
        rng = random.Random(item_id)
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < stop:
                if rng.random() < 0.5:
                    response = http.get(f"/stream/{item_id}")  # the whole file
                else:
                    start = rng.randrange(0, 300_000)
                    response = http.get(f"/stream/{item_id}",
                                        headers={"Range": f"bytes={start}-{start + 65535}"})
                with lock:
                    if response.status_code not in {200, 206}:
                        errors.append(f"{item_id}: {response.status_code}")
                    sent[0] += len(response.content)

    threads = [threading.Thread(target=client, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    peak = 0.0
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.2)
    return peak, sent[0], errors
