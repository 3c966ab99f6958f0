#!/usr/bin/env python3
"""Scan benchmark: how fast `Scanner.scan` catalogues a library, against plain ffprobe.

    .venv/bin/python scripts/bench/scan.py [--clips 200] [--files 10000] [--workers 0]
    .venv/bin/python scripts/bench/scan.py --smoke     # seconds, for the test

Prints figures only; it never asserts a timing (machines differ too much for that).

1. Makes N distinct small clips (mixed containers) with ffmpeg, in parallel, cached under
   /tmp so reruns skip it. Generation time is not part of any measurement.
2. A sequential loop of `ffprobe -v error -show_format -show_streams -of json FILE`.
3. A cold `Scanner.scan` of the same clips into a fresh SQLite data dir, and the same for
   probe_workers = 1..4 to find the best default.
4. A rescan of many unchanged catalogued files (copies of a few clips in nested folders).
5. Peak memory per scenario: every measured run is a fresh subprocess of this script
   (`--scenario ...`), so ru_maxrss belongs to that run alone.

Each timing is the median of --repeats runs; the 200-clip runs are interleaved round by
round so the loop and the scan it is compared with see the same background load. Files
are warm in the page cache for both, so the comparison is of CPU and process cost, not disk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# Bump when the clip recipe changes, so a stale cache is never measured.
RECIPE_VERSION = 1
CACHE_ROOT = Path(tempfile.gettempdir()) / "yuanjiao-bench-scan"
RESULT_MARK = "BENCH-RESULT "
COMPLETE_MARK = ".complete"
FILES_PER_FOLDER = 100
SWEEP_WORKERS = (1, 2, 3, 4)
# Container and codec mix of station downloads: (extension, media.demo.ENCODINGS key).
CONTAINERS = (
    ("mp4", "mp4-h264"),
    ("mkv", "mkv-h264"),
    ("avi", "avi-mpeg4"),
    ("flv", "flv"),
    ("mp3", "mp3"),
)
PATTERNS = ("testsrc2", "smptebars", "rgbtestsrc", "testsrc", "pal75bars", "yuvtestsrc")


def _use_repo_packages() -> None:
    # Works from a checkout even when the venv lacks the editable install.
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


# --- clip generation (not measured) ---------------------------------------------------


@dataclass(frozen=True)
class ClipSpec:
    number: int
    extension: str
    encoding: str
    pattern: str
    tone: int
    duration: float

    @property
    def name(self) -> str:
        return f"clip-{self.number:04d}.{self.extension}"


def clip_specs(count: int) -> list[ClipSpec]:
    """Distinct content per clip (pattern, tone, length all vary) so fingerprints differ."""
    specs = []
    for number in range(count):
        extension, encoding = CONTAINERS[number % len(CONTAINERS)]
        specs.append(ClipSpec(number, extension, encoding, PATTERNS[number % len(PATTERNS)],
                              tone=220 + 7 * number, duration=2.0 + 0.25 * (number % 7)))
    return specs


def _encode_clip(spec: ClipSpec, directory: Path) -> None:
    _use_repo_packages()
    from media.demo import ENCODINGS  # the codec mix the demo library already uses

    video = ["-f", "lavfi", "-i",
             f"{spec.pattern}=size=160x120:rate=15:duration={spec.duration}"]
    audio = ["-f", "lavfi", "-i",
             f"sine=frequency={spec.tone}:sample_rate=44100:duration={spec.duration}"]
    sources = audio if spec.encoding == "mp3" else video + audio
    partial = directory / f".partial-{spec.name}"
    # One encoder thread per job: the pool already keeps every core busy.
    argv = ["ffmpeg", "-v", "error", "-y", *sources, *ENCODINGS[spec.encoding],
            "-threads", "1", "-t", str(spec.duration), "-f", _muxer(spec.extension),
            str(partial)]
    subprocess.run(argv, check=True)
    partial.rename(directory / spec.name)


def _muxer(extension: str) -> str:
    # The partial file's name hides the extension from ffmpeg, so name the muxer.
    return {"mkv": "matroska"}.get(extension, extension)


def ensure_clips(count: int) -> tuple[Path, float]:
    """The clip folder (made now or reused from an earlier run) and seconds spent making it."""
    directory = CACHE_ROOT / f"clips-v{RECIPE_VERSION}-{count}"
    if (directory / COMPLETE_MARK).exists():
        return directory, 0.0
    started = time.perf_counter()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for future in [pool.submit(_encode_clip, s, directory) for s in clip_specs(count)]:
            future.result()
    (directory / COMPLETE_MARK).touch()
    return directory, time.perf_counter() - started


def media_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))


def ensure_tree(files: int, clips: Path) -> tuple[Path, float]:
    """`files` copies of one clip per container, FILES_PER_FOLDER to a folder.

    Real copies (not hardlinks) so every path has its own inode, as in a real library;
    every copy is its own catalogue item even though copies of one clip share a
    fingerprint.
    """
    directory = CACHE_ROOT / f"tree-v{RECIPE_VERSION}-{files}"
    if (directory / COMPLETE_MARK).exists():
        return directory, 0.0
    started = time.perf_counter()
    shutil.rmtree(directory, ignore_errors=True)
    sources = [clips / s.name for s in clip_specs(len(CONTAINERS))]
    for number in range(files):
        source = sources[number % len(sources)]
        folder = directory / f"folder-{number // FILES_PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / f"lesson-{number:05d}{source.suffix}")
    (directory / COMPLETE_MARK).touch()
    return directory, time.perf_counter() - started


# --- scenarios: each runs in its own process -------------------------------------------


def _peak_memory() -> dict[str, int]:
    # Linux reports ru_maxrss in KiB. RUSAGE_CHILDREN's is the largest single child, not a
    # sum; a child counts the Python pages it shared before exec, so in the scanner's
    # process it is never below the scanner's own size at the time of the spawn.
    return {
        "maxrss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "maxrss_children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def _cpu_seconds() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def timed(work: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """Wall and CPU seconds of `work` alone (not imports or database setup).

    CPU time barely moves when other work shares the machine, unlike wall time, so it
    shows where the effort goes: the scanner's Python threads or the ffprobe processes.
    """
    own_before, children_before = _cpu_seconds()
    started = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - started
    own_after, children_after = _cpu_seconds()
    return value, {"seconds": seconds, "cpu_self_s": own_after - own_before,
                   "cpu_children_s": children_after - children_before}


PROBE_ARGV = ("ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json")


def _probe(path: Path) -> None:
    # Output is captured as the scanner captures it; printing it would time the terminal.
    done = subprocess.run([*PROBE_ARGV, str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffprobe failed on {path}: {done.stderr[-300:]!r}")


def scenario_loop(directory: Path) -> dict[str, Any]:
    files = media_files(directory)
    _, times = timed(lambda: [_probe(path) for path in files])
    return {"files": len(files)} | times


def scenario_pool(directory: Path, workers: int) -> dict[str, Any]:
    """Plain ffprobe in a thread pool: the ceiling any parallel scanner can reach here."""
    files = media_files(directory)
    workers = workers or os.cpu_count() or 1

    def run() -> None:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_probe, files))

    _, times = timed(run)
    return {"files": len(files), "workers": workers} | times


def scenario_scan(directory: Path, data_dir: Path, workers: int) -> dict[str, Any]:
    _use_repo_packages()
    from catalog.db import Database
    from catalog.settings import load_settings
    from indexer.pipeline import Scanner

    # An empty environment: a developer's YUANJIAO_DB_URL must not send the benchmark to
    # their PostgreSQL, nor a YUANJIAO_CONFIG change what is measured.
    settings = load_settings({"data_dir": str(data_dir), "db_url": "",
                              "probe_workers": workers}, environ={})
    opened = time.perf_counter()
    db = Database.open(settings)
    open_seconds = time.perf_counter() - opened
    try:
        result, times = timed(lambda: Scanner(db, settings).scan([directory]))
    finally:
        db.close()
    return {"files": len(media_files(directory)), "open_seconds": open_seconds,
            "counts": dict(result.counts), "workers": settings.effective_probe_workers} | times


def run_scenario(args: argparse.Namespace) -> None:
    directory = Path(args.dir)
    if args.scenario == "loop":
        figures = scenario_loop(directory)
    elif args.scenario == "pool":
        figures = scenario_pool(directory, args.workers)
    elif args.scenario == "cold":
        with tempfile.TemporaryDirectory(prefix="yuanjiao-bench-data-") as data_dir:
            figures = scenario_scan(directory, Path(data_dir), args.workers)
    else:  # "scan": into a given data dir, kept for the next run (first scan, rescans)
        figures = scenario_scan(directory, Path(args.data), args.workers)
    load = {"load1": os.getloadavg()[0]}
    print(RESULT_MARK + json.dumps(figures | _peak_memory() | load), flush=True)


# --- orchestration ---------------------------------------------------------------------


def run_child(scenario: str, directory: Path, workers: int = 0,
              data: Path | None = None) -> dict[str, Any]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--scenario", scenario,
            "--dir", str(directory), "--workers", str(workers)]
    if data is not None:
        argv += ["--data", str(data)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        sys.exit(f"scenario {scenario} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return dict(json.loads(lines[-1][len(RESULT_MARK):]))


@dataclass
class Measured:
    """Repeated runs of one scenario: median timing, peak memory."""

    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def files(self) -> int:
        return int(self.runs[0]["files"])

    @property
    def seconds(self) -> float:
        return statistics.median(r["seconds"] for r in self.runs)

    @property
    def rate(self) -> float:
        return self.files / self.seconds

    def rates(self) -> list[float]:
        return [r["files"] / r["seconds"] for r in self.runs]

    def median(self, key: str) -> float:
        return statistics.median(float(r[key]) for r in self.runs)

    def peak(self, key: str) -> int:
        return max(int(r[key]) for r in self.runs)

    def counts(self, key: str) -> list[int]:
        return [int(r["counts"].get(key, 0)) for r in self.runs]

    def spread(self) -> str:
        return ", ".join(f"{r['seconds']:.2f}" for r in self.runs)


def paired_ratio(measured: Measured, baseline: Measured) -> float:
    """Median of per-round speed ratios.

    Rounds run the loop and the scans back to back, so each pair saw about the same
    background load; a ratio of medians would mix quiet and busy minutes.
    """
    pairs = zip(measured.rates(), baseline.rates(), strict=True)
    return statistics.median(m / b for m, b in pairs)


def machine_lines() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    ffprobe = subprocess.run(["ffprobe", "-version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    ffprobe = re.sub(r" Copyright.*", "", ffprobe)
    return [f"nproc: {nproc}", f"cpu: {cpu}", f"python: {platform.python_version()}",
            f"ffprobe: {ffprobe}", f"date: {date.today().isoformat()}", load_line()]


def load_line() -> str:
    # Wall-clock figures mean little if something else holds the cores; say so.
    one, five, fifteen = os.getloadavg()
    return f"load average: {one:.2f} {five:.2f} {fifteen:.2f}"


def _ms(value: float) -> str:
    # A rescan spends microseconds per file; keep them visible.
    return f"{value:.1f}" if value >= 1 else f"{value:.3f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    for row in (header, ["-" * w for w in widths], *rows):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
              + " |")


@dataclass
class Results:
    loop: Measured = field(default_factory=Measured)
    pool: Measured = field(default_factory=Measured)
    cold: Measured = field(default_factory=Measured)
    sweep: dict[int, Measured] = field(default_factory=dict)
    first: Measured = field(default_factory=Measured)
    rescan: Measured = field(default_factory=Measured)


def _record(label: str, into: Measured, figures: dict[str, Any]) -> None:
    into.runs.append(figures)
    print(f"  {label}: {figures['seconds']:.2f} s (load {figures['load1']:.2f})", flush=True)


def run_rounds(args: argparse.Namespace, clips: Path, results: Results) -> None:
    """The 200-clip scenarios, interleaved round by round (see paired_ratio)."""
    sweep = () if args.no_sweep else SWEEP_WORKERS
    results.sweep = {w: Measured() for w in sweep}
    for number in range(1, args.repeats + 1):
        print(f"round {number}/{args.repeats}", flush=True)
        _record("ffprobe loop", results.loop, run_child("loop", clips))
        _record("ffprobe pool", results.pool, run_child("pool", clips, args.workers))
        _record(f"cold scan workers={args.workers}", results.cold,
                run_child("cold", clips, args.workers))
        for workers in sweep:
            _record(f"cold scan workers={workers}", results.sweep[workers],
                    run_child("cold", clips, workers))


def run_rescans(args: argparse.Namespace, tree: Path, results: Results) -> None:
    with tempfile.TemporaryDirectory(prefix="yuanjiao-bench-data-") as data:
        print(f"first scan of {args.files} files (probes every file) ...", flush=True)
        _record("first scan", results.first, run_child("scan", tree, args.workers, Path(data)))
        print(f"rescan of {args.files} unchanged files x{args.repeats} ...", flush=True)
        for _ in range(args.repeats):
            _record("rescan", results.rescan, run_child("scan", tree, args.workers, Path(data)))


def bench(args: argparse.Namespace) -> None:
    print("machine")
    for line in machine_lines():
        print("  " + line)
    clips, made = ensure_clips(args.clips)
    print(f"\nclips: {len(media_files(clips))} in {clips} "
          + (f"(made in {made:.1f} s)" if made else "(cached)"))
    tree, copied = ensure_tree(args.files, clips)
    print(f"tree: {args.files} copies in {tree} "
          + (f"(copied in {copied:.1f} s)" if copied else "(cached)"), flush=True)
    results = Results()
    run_rounds(args, clips, results)
    run_rescans(args, tree, results)
    report(results)


def _row(label: str, m: Measured, baseline: Measured | None) -> list[str]:
    ratio = f"{paired_ratio(m, baseline):.2f}x" if baseline is not None else "-"
    rate = f"{m.rate:.0f}" if m.rate >= 100 else f"{m.rate:.1f}"
    cpu_self = _ms(m.median("cpu_self_s") * 1000 / m.files)
    cpu_children = _ms(m.median("cpu_children_s") * 1000 / m.files)
    return [label, f"{m.seconds:.2f}", rate, ratio, cpu_self, cpu_children,
            _mib(m.peak("maxrss_self_kib")), _mib(m.peak("maxrss_children_kib")),
            f"{m.median('load1'):.1f}"]


def report(r: Results) -> None:
    workers = r.cold.runs[0]["workers"]
    rows = [
        _row(f"ffprobe loop, {r.loop.files} clips, sequential", r.loop, None),
        _row(f"ffprobe thread pool, {r.pool.files} clips, {r.pool.runs[0]['workers']} threads",
             r.pool, r.loop),
        _row(f"cold scan, {r.cold.files} clips, probe_workers={workers}", r.cold, r.loop),
        _row(f"first scan, {r.first.files} copies, probe_workers={workers}", r.first, None),
        _row(f"rescan, {r.rescan.files} unchanged", r.rescan, None),
    ]
    header = ["scenario", "s (median)", "files/s", "vs loop", "CPU ms/file py",
              "CPU ms/file children", "peak RSS", "peak RSS children", "load"]
    print_table("Scan figures", header, rows)

    if r.sweep:
        sweep_rows = [[str(w), f"{m.seconds:.2f}", f"{m.rate:.1f}",
                       f"{paired_ratio(m, r.loop):.2f}x", m.spread()]
                      for w, m in r.sweep.items()]
        print_table(f"probe_workers sweep (cold scan of {r.loop.files} clips)",
                    ["probe_workers", "s (median)", "files/s", "vs loop", "runs (s)"],
                    sweep_rows)
        ratios = {w: paired_ratio(m, r.loop) for w, m in r.sweep.items()}
        best = max(ratios, key=lambda w: ratios[w])
        # Runs differ by several percent, so a near tie is not a reason to change a default.
        close = [str(w) for w, ratio in ratios.items() if ratio >= 0.95 * ratios[best]]
        print(f"best probe_workers: {best} (nproc {os.cpu_count()}); "
              f"within 5% of it: {', '.join(close)}")

    print("\nchecks (figures, not assertions)")
    print(f"  scan/loop ratio: {paired_ratio(r.cold, r.loop):.2f}x (target >= 1.7x on 2 cores); "
          f"plain ffprobe pool/loop: {paired_ratio(r.pool, r.loop):.2f}x")
    print(f"  loop runs (s): {r.loop.spread()}; cold scan runs (s): {r.cold.spread()}")
    print(f"  rescan seconds: {r.rescan.seconds:.2f} (target < 2 s); runs: {r.rescan.spread()}")
    print(f"  rescan probed: {r.rescan.counts('probed')} (must be 0); "
          f"unchanged: {r.rescan.counts('unchanged')}")
    print(f"  first scan: {r.first.seconds:.1f} s, counts {r.first.runs[0]['counts']}")
    print(f"  cold scan counts: {r.cold.runs[0]['counts']}")
    print("  database open + migrate (not in scan time): "
          f"{r.cold.median('open_seconds'):.2f} s")
    print(f"  {load_line()} (at the end)")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=200, help="distinct clips to scan")
    parser.add_argument("--files", type=int, default=10_000, help="files in the rescan tree")
    parser.add_argument("--workers", type=int, default=0,
                        help="probe_workers for the main runs (0 = cpu count)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--no-sweep", action="store_true",
                        help="skip the probe_workers = 1..4 sweep")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    # Internal: one measured run in this process (used by the parent for clean peak RSS).
    parser.add_argument("--scenario", choices=("loop", "pool", "cold", "scan"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.clips, args.files, args.repeats, args.no_sweep = len(CONTAINERS), 20, 1, True
    if args.clips < len(CONTAINERS):
        parser.error(f"--clips must be at least {len(CONTAINERS)} (one per container)")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.scenario:
        run_scenario(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
