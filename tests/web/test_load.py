"""Forty clients streaming forty items at once for 20 s, half direct and half through HLS
transcodes: the server's memory stays bounded, a transcode beyond the slots is told to
come back later, and no ffmpeg outlives the clients by 30 s. Every playback is in the
ledger once, with the seconds actually delivered, and has its two terminal lines."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from yj_testing import TEST_PASSWORD, sign_in

from catalog.evidence.playbacks import Spans

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]

CLIENTS = 40
SECONDS = 20.0
BUFFER_SECONDS = 30.0  # the default playback_buffer_seconds
MEMORY_BOUND_MB = 300  # the bound we state: the whole server process, 40 streams


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # it has just ended
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_forty_clients_stay_within_the_memory_bound(tmp_path: Path, demo_library: Path) -> None:
    root = tmp_path / "库"
    root.mkdir()
    clip = demo_library / "农村政策法规/新农合政策问答.mp4"
    for n in range(CLIENTS // 2):
        shutil.copy(clip, root / f"第{n:02d}课.mp4")
    # A minute of MPEG-4 in AVI: browsers cannot play it, so it is transcoded.
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine", "-t", "60",
                    "-c:v", "mpeg4", "-q:v", "6", "-c:a", "libmp3lame", "-shortest",
                    str(tmp_path / "long.avi")], check=True)
    for n in range(CLIENTS // 2 + 1):  # one more for the client beyond the slots
        shutil.copy(tmp_path / "long.avi", root / f"报告{n:02d}.avi")
    env = os.environ | {"YUANJIAO_DATA_DIR": str(tmp_path / "data"),
                        "YUANJIAO_STATION": "XC-012", "YUANJIAO_PLAYBACK_IDLE_SECONDS": "20",
                        "YUANJIAO_GUEST_VIEWING": "true"}
    cli = [sys.executable, "-m", "web.cli"]
    subprocess.run([*cli, "scan", "-q", str(root)], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "user", "add", "checker", "--role", "inspector", "--password",
                    TEST_PASSWORD], env=env, check=True, capture_output=True)
    port = 18000 + os.getpid() % 1000
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                items = httpx.get(f"{base}/api/items?per_page=200").json()["items"]
                break
            except httpx.TransportError:
                time.sleep(0.1)
        direct = [i["id"] for i in items if i["path"].endswith(".mp4")]
        transcoded = sorted(i["id"] for i in items if i["path"].endswith(".avi"))
        assert len(direct) + len(transcoded) == CLIENTS + 1
        result = _run_clients(base, direct, transcoded[:-1], transcoded[-1], server.pid)
        left = _ffmpeg_left_after(server.pid, 30)
        # Past the idle window: every playback has closed. The window is wide because a
        # client starved of CPU on a busy machine must not look like one that left.
        time.sleep(22)
        with httpx.Client(base_url=base) as inspector:
            sign_in(inspector, None, "checker")
            playbacks = inspector.get("/api/playbacks").json()["playbacks"]
    finally:
        server.terminate()
        server.wait(10)
    print(f"{CLIENTS} clients for {SECONDS:.0f} s: {result.sent / 2**20:.0f} MiB sent, "
          f"{result.segments} HLS segments, server peak RSS {result.peak:.0f} MB "
          f"(ffmpeg children at most {result.peak_children:.0f} MB together)")
    assert result.errors == [], (tmp_path / "server.log").read_text()[-3000:]
    assert result.sent > 0 and result.segments > 0
    assert result.peak < MEMORY_BOUND_MB
    assert result.busy is not None, "no transcode was ever refused beyond the slots"
    assert result.busy.headers["retry-after"] == "5" and "服务器正忙" in result.busy.text
    assert left == [], f"ffmpeg still running 30 s after the clients left: {left}"
    _check_playbacks(playbacks, result, {i["id"]: i for i in items},
                     (tmp_path / "server.log").read_text(), env,
                     _walls(tmp_path / "data" / "catalog.sqlite3"))


def _walls(database: Path) -> dict[int, float]:
    """Each close row's wall-clock span: watched seconds never pass it by more than
    playback_buffer_seconds, whatever was delivered (catalog/evidence/playbacks.py)."""
    from sqlalchemy import create_engine

    from catalog.evidence.ledger import rows

    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        found = {e.data["item_id"]: e.data["wall_seconds"]
                 for e in rows(connection, "XC-012") if e.kind == "playback.close"}
    engine.dispose()
    return found


def _check_playbacks(playbacks: list[dict[str, Any]], result: Result,
                     items: dict[int, dict[str, Any]], log: str, env: dict[str, str],
                     walls: dict[int, float]) -> None:
    by_item: dict[int, list[dict[str, Any]]] = {}
    for playback in playbacks:
        by_item.setdefault(playback["item_id"], []).append(playback)
    assert sorted(by_item) == sorted(result.delivered)  # one playback per item, no other
    worst = 0.0
    for item_id, delivered in result.delivered.items():
        assert len(by_item[item_id]) == 1, by_item[item_id]
        playback = by_item[item_id][0]
        item = items[item_id]
        if isinstance(delivered, Spans) and item["path"].endswith(".mp4"):
            expected = delivered.total / item["size"] * item["duration"]
        else:
            expected = delivered.total
        expected = min(expected, walls[item_id] + BUFFER_SECONDS)
        worst = max(worst, abs(playback["seconds"] - expected))
        assert playback["closed_at"] and playback["ended_by"] == "idle"
    assert worst <= 2, f"seconds differ from what was delivered by up to {worst:.1f} s"
    opens = re.findall(r"^PLAY .* item=(\d+) .* ledger=#(\d+)$", log, re.M)
    closes = re.findall(r"^END  .* item=(\d+) .* seconds=\d+ ledger=#(\d+)$", log, re.M)
    assert sorted(int(i) for i, _ in opens) == sorted(result.delivered)
    assert sorted(int(i) for i, _ in closes) == sorted(result.delivered)
    assert {int(s) for _, s in opens} == {p["seq"] for p in playbacks}
    assert {int(s) for _, s in closes} == {p["close_seq"] for p in playbacks}
    verified = subprocess.run([sys.executable, "-m", "web.cli", "ledger", "verify"], env=env,
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"{len(playbacks)} playbacks in the ledger; seconds within {worst:.2f} s of what "
          "was delivered")


@dataclass
class Result:
    sent: int = 0
    segments: int = 0
    peak: float = 0.0
    peak_children: float = 0.0
    errors: list[str] = field(default_factory=list)
    busy: httpx.Response | None = None
    # item -> what its client received: byte spans (direct) or segment time spans (HLS)
    delivered: dict[int, Spans] = field(default_factory=dict)


def _segment_times(playlist: str) -> list[tuple[float, float]]:
    times, start = [], 0.0
    for line in playlist.splitlines():
        if line.startswith("#EXTINF:"):
            length = float(line[8:].rstrip(","))
            times.append((start, start + length))
            start += length
    return times


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _ffmpeg_left_after(pid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        left = [p for p in _children(pid) if _command(p) == "ffmpeg"]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _run_clients(base: str, direct: list[int], transcoded: list[int], beyond: int,
                 pid: int) -> Result:
    stop = time.monotonic() + SECONDS
    result = Result()
    lock = threading.Lock()

    def direct_client(item_id: int) -> None:
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
                        result.errors.append(f"{item_id}: {response.status_code}")
                    result.sent += len(response.content)
                    first = 0 if response.status_code == 200 else start
                    result.delivered.setdefault(item_id, Spans()).add(
                        first, first + len(response.content))

    def hls_client(item_id: int) -> None:
        # A player buffering ahead: segment after segment, waiting when told to.
        with httpx.Client(base_url=base, timeout=60) as http:
            times = _segment_times(http.get(f"/hls/{item_id}/main.m3u8").text)
            index = 0
            while time.monotonic() < stop and index < 10:
                response = http.get(f"/hls/{item_id}/{index}.ts")
                with lock:
                    if response.status_code == 200:
                        result.segments += 1
                        result.sent += len(response.content)
                        result.delivered.setdefault(item_id, Spans()).add(*times[index])
                        index += 1
                    elif response.status_code != 503:
                        result.errors.append(f"hls {item_id}: {response.status_code}")
                if response.status_code == 503:
                    time.sleep(0.5)

    def one_more(item_id: int) -> None:
        # Beyond the forty: asks for segments of its own item until the slots are full.
        with httpx.Client(base_url=base, timeout=60) as http:
            times = _segment_times(http.get(f"/hls/{item_id}/main.m3u8").text)
            for index in range(10):
                if time.monotonic() > stop:
                    return
                response = http.get(f"/hls/{item_id}/{index}.ts")
                if response.status_code == 503:
                    result.busy = response
                    return
                with lock:
                    result.delivered.setdefault(item_id, Spans()).add(*times[index])
                time.sleep(0.2)

    threads = [threading.Thread(target=direct_client, args=(i,)) for i in direct]
    threads += [threading.Thread(target=hls_client, args=(i,)) for i in transcoded]
    for thread in threads:
        thread.start()
    time.sleep(2)  # the transcodes are under way
    extra = threading.Thread(target=one_more, args=(beyond,))
    extra.start()
    threads.append(extra)
    while any(t.is_alive() for t in threads):
        result.peak = max(result.peak, rss_mb(pid))
        result.peak_children = max(result.peak_children,
                                   sum(rss_mb(c) for c in _children(pid)))
        time.sleep(0.2)
    return result
