#!/usr/bin/env python3
"""Streaming benchmark: yuanjiao's direct play against nginx (sendfile) on the same file,
time to first byte, and HLS time to first segment against ffmpeg alone.

    .venv/bin/python scripts/bench/stream.py [--seconds 8] [--size-mib 64]
    .venv/bin/python scripts/bench/stream.py --smoke     # seconds, for the test

Needs nginx and wrk (apt-get install nginx-light wrk). Everything listens on 127.0.0.1
and stops by itself, on free ports. Prints figures only. One server process each: uvicorn
runs one process, so nginx gets one worker too. yuanjiao lets guests watch here
(guest_viewing), as on a station's LAN: the figures are of serving, not of signing in
(scripts/bench/auth.py measures that); every answer must be a 2xx, or the run stops.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from disc import build_dvd, extract_vob  # noqa: E402

from media.ffmpeg import descriptor_input, remux_segment_argv, segment_argv  # noqa: E402

MIB = 1 << 20
RANDOM_RANGE_LUA = """
math.randomseed(7)
request = function()
  local first = math.random(0, {last_start})
  return wrk.format("GET", nil, {{Range = "bytes=" .. first .. "-" .. (first + 1048575)}})
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def yuanjiao_server(library: Path, data: Path, port: int) -> Iterator[tuple[int, str]]:
    env = os.environ | {"YUANJIAO_DATA_DIR": str(data), "YUANJIAO_GUEST_VIEWING": "true"}
    cli = [sys.executable, "-m", "web.cli"]
    subprocess.run([*cli, "scan", "-q", str(library)], env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        items = _wait_json(f"{base}/api/items?per_page=200")["items"]
        yield proc.pid, base
    finally:
        proc.terminate()
        proc.wait(10)
    del items


def _wait_json(url: str) -> dict:  # type: ignore[type-arg]
    started = time.monotonic()  # a busy machine (the test suite) starts slowly
    while time.monotonic() - started < 60:
        try:
            return httpx.get(url).json()  # type: ignore[no-any-return]
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def nginx_server(folder: Path, port: int, work: Path) -> Iterator[int]:
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  server {{ listen 127.0.0.1:{port}; root {folder}; }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()  # a busy machine (the test suite) starts slowly
    while True:
        try:
            probe = httpx.get(f"http://127.0.0.1:{port}/big.mp4", headers={"Range": "bytes=0-0"})
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() - started > 60:
                raise RuntimeError(f"nginx did not start: {work}/error.log") from None
            time.sleep(0.1)
    assert probe.status_code == 206, f"nginx answered {probe.status_code}"
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                              text=True).stdout.split()
    try:
        yield int(children[0]) if children else proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def wrk(url: str, connections: int, seconds: int, script: Path | None = None
        ) -> tuple[float, int]:
    """(MiB/s, bytes read)."""
    argv = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    if script:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    # Refused requests (a 401 once accounts landed) are small and fast: never figures.
    assert "Non-2xx" not in out, f"{url} answered errors:\n{out}"
    read = re.search(r"requests in [\d.]+\w+, ([\d.]+)(\w+) read", out)
    assert read, out
    units = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
    total = int(float(read.group(1)) * units[read.group(2)])
    return total / seconds / MIB, total


def ttfb(url: str, size: int, count: int = 200) -> tuple[float, float]:
    import random

    rng = random.Random(11)
    times = []
    with httpx.Client() as client:
        for _ in range(count):
            first = rng.randrange(0, size - MIB)
            started = time.perf_counter()
            with client.stream("GET", url, headers={"Range": f"bytes={first}-"}) as response:
                assert response.status_code == 206, f"{url} answered {response.status_code}"
                next(response.iter_raw(1))
                times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99) - 1] * 1000


def first_segment_seconds(url: str, server_pid: int, cache: Path, runs: int = 3,
                          settle: float = 1.0) -> float:
    """Median of ``runs`` first fetches of a segment, its cached copy removed before each,
    each started when no ffmpeg of the server runs (the segment made ahead by the previous
    fetch must not share the CPU) and the machine had a moment to settle."""
    times = []
    for _ in range(runs):
        while subprocess.run(["pgrep", "-P", str(server_pid), "ffmpeg"],
                             capture_output=True).returncode == 0:
            time.sleep(0.05)
        for made in cache.rglob("*.ts"):
            made.unlink()
        time.sleep(settle)
        started = time.perf_counter()
        response = httpx.get(url, timeout=120)
        assert response.status_code == 200, response.status_code
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ffmpeg_alone(source: Path, out: Path, remux_end: float | None = None) -> float:
    """ffmpeg making the same segment from an open descriptor, as yuanjiao hands it."""
    fd = os.open(source, os.O_RDONLY)
    try:
        given = descriptor_input(fd)
        if remux_end is None:
            argv = segment_argv("ffmpeg", given, 0.0, 6.0, str(out))
        else:
            argv = remux_segment_argv("ffmpeg", given, 0.0, remux_end, str(out),
                                      copy_audio=True)
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, pass_fds=given.fds)
        return time.perf_counter() - started
    finally:
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--hls-only", action="store_true",
                        help="only the HLS first-segment figures (no wrk, no nginx runs)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    # Clip lengths, wrk clients, and runs of each figure.
    smoke = (8, (1,), 1, 0.2)
    clip, clients, runs, settle = smoke if args.smoke else (30, (1, 16, 64), 3, 1.0)
    if args.smoke:
        args.seconds, args.size_mib = 1, 8
    for tool in ("nginx", "wrk", "ffmpeg", "dvdauthor", "genisoimage"):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool}: apt-get install nginx-light wrk ffmpeg dvdauthor genisoimage")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # nginx's worker runs as an unprivileged user
        library = work / "library"
        library.mkdir()
        media = library / "big.mp4"
        # An MP4 header (so the item is catalogued) followed by filler up to the size.
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "libx264",
                        "-preset", "ultrafast", "-movflags", "+faststart", str(media)],
                       check=True)
        with media.open("ab") as f:
            f.truncate(args.size_mib * MIB)  # mdat-free trailing bytes; fine for serving
        size = media.stat().st_size
        avi = library / "lesson.avi"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        f"testsrc2=size=720x576:rate=25:duration={clip}", "-f", "lavfi", "-i",
                        f"sine=duration={clip}", "-c:v", "mpeg4", "-q:v", "4", "-c:a", "libmp3lame",
                        str(avi)], check=True)
        shutil.copy(build_dvd(clip), library / "dvd.iso")
        vob = extract_vob(build_dvd(clip))
        mkv = library / "lecture.mkv"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        f"testsrc2=size=1280x720:rate=25:duration={clip}", "-f", "lavfi", "-i",
                        f"sine=duration={clip}", "-c:v", "libx264", "-preset", "veryfast",
                        "-g", "50", "-c:a", "aac", str(mkv)], check=True)
        script = work / "ranges.lua"
        script.write_text(RANDOM_RANGE_LUA.format(last_start=size - MIB))
        results: list[tuple[str, int, float, float]] = []
        cpu: dict[str, float] = {}
        nginx_port = free_port()
        with yuanjiao_server(library, work / "data", free_port()) as (pid, base), \
                nginx_server(library, nginx_port, work) as nginx_pid:
            items = {i["path"]: i["id"] for i in
                     httpx.get(f"{base}/api/items?per_page=200").json()["items"]}
            ours = f"{base}/stream/{items['big.mp4']}"
            theirs = f"http://127.0.0.1:{nginx_port}/big.mp4"
            for mode, lua in () if args.hls_only else (("whole file", None),
                                                        ("random 1 MiB", script)):
                for connections in clients:
                    rates = []
                    for name, url, server_pid in (("yuanjiao", ours, pid),
                                                  ("nginx", theirs, nginx_pid)):
                        before = cpu_seconds(server_pid)
                        rate, total = wrk(url, connections, args.seconds, lua)
                        used = cpu_seconds(server_pid) - before
                        cpu[name] = cpu.get(name, 0.0) + used / (total / (1 << 30))
                        rates.append(rate)
                    results.append((mode, connections, rates[0], rates[1]))
            count = 20 if args.smoke else 200
            p50, p99 = ttfb(ours, size, count) if not args.hls_only else (0.0, 0.0)
            n50, n99 = ttfb(theirs, size, count) if not args.hls_only else (0.0, 0.0)
            hls_cache = work / "data" / "cache" / "hls"
            avi_first = first_segment_seconds(f"{base}/hls/{items['lesson.avi']}/0.ts", pid,
                                              hls_cache, runs, settle)
            dvd_id = next(i for p, i in items.items() if p.startswith("dvd.iso"))
            dvd_first = first_segment_seconds(f"{base}/hls/{dvd_id}/0.ts", pid, hls_cache,
                                              runs, settle)
            # Copied H.264: the first player also waits for the key frame index.
            started = time.perf_counter()
            playlist = httpx.get(f"{base}/hls/{items['lecture.mkv']}/main.m3u8").text
            index_s = time.perf_counter() - started
            copied = first_segment_seconds(f"{base}/hls/{items['lecture.mkv']}/c0.ts", pid,
                                           hls_cache, runs, settle)
            first_end = float(playlist.split("#EXTINF:")[1].split(",")[0])
        alone = statistics.median(ffmpeg_alone(avi, work / f"alone{n}.ts")
                                  for n in range(runs))
        dvd_alone = statistics.median(ffmpeg_alone(vob, work / f"dvd{n}.ts")
                                      for n in range(runs))
        copy_alone = statistics.median(ffmpeg_alone(mkv, work / f"copy{n}.ts", first_end)
                                       for n in range(runs))
    print(f"file {size / MIB:.0f} MiB, wrk -t2, {args.seconds} s per run, "
          f"{os.cpu_count()} cores")
    print(f"{'mode':<14}{'clients':>8}{'yuanjiao MiB/s':>16}{'nginx MiB/s':>13}{'ratio':>7}")
    for mode, connections, ours_rate, nginx_rate in results:
        print(f"{mode:<14}{connections:>8}{ours_rate:>16.0f}{nginx_rate:>13.0f}"
              f"{ours_rate / nginx_rate:>7.2f}")
    runs = len(results) or 1
    cpu = cpu or {"yuanjiao": 0.0, "nginx": 0.0}
    print(f"server CPU s per GiB (mean over runs): yuanjiao {cpu['yuanjiao'] / runs:.2f}, "
          f"nginx {cpu['nginx'] / runs:.2f}")
    print(f"time to first byte, random range: yuanjiao p50 {p50:.1f} ms p99 {p99:.1f} ms; "
          f"nginx p50 {n50:.1f} ms p99 {n99:.1f} ms")
    print(f"HLS first segment of a 720x576 MPEG-4 AVI: {avi_first:.2f} s through yuanjiao, "
          f"{alone:.2f} s ffmpeg alone ({avi_first / alone:.2f}x)")
    print(f"HLS first segment of a 720x576 DVD title (in the ISO): {dvd_first:.2f} s through "
          f"yuanjiao, {dvd_alone:.2f} s ffmpeg alone on the extracted VOB "
          f"({dvd_first / dvd_alone:.2f}x)")
    print(f"HLS copied H.264 720p MKV: key frame index with the first playlist {index_s:.2f} s; "
          f"first segment {copied:.2f} s through yuanjiao, {copy_alone:.2f} s ffmpeg alone "
          f"({copied / copy_alone:.2f}x)")


if __name__ == "__main__":
    main()
