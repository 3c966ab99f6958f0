#!/usr/bin/env python3
"""Disc benchmark: reading a DVD title in place against reading the extracted VOB.

    .venv/bin/python scripts/bench/disc.py [--seconds 120] [--repeats 5]
    .venv/bin/python scripts/bench/disc.py --smoke     # seconds, for the test

Builds (once, cached under /tmp) a DVD ISO whose one title lasts --seconds, then in the
same run measures:
1. sequential 1 MiB reads of the title through its SegmentSource (inside the ISO) against
   a FileSource over the same VOB extracted with 7z;
2. random 1 MiB reads (same offsets for both);
3. the time to scan the ISO into a fresh catalog (read IFOs, probe the title).
Prints figures only. Both sides read warm from the page cache (each is read once before
timing), so the comparison is of our code's overhead, not of the disk.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from catalog.db import Database  # noqa: E402
from catalog.settings import load_settings  # noqa: E402
from indexer.pipeline import Scanner  # noqa: E402
from media.discs import open_entry, read_disc  # noqa: E402
from media.sources import ByteSource, FileSource  # noqa: E402

MIB = 1024 * 1024
CACHE = Path(tempfile.gettempdir()) / "yuanjiao-bench-disc"


def run(*argv: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in argv], check=True, capture_output=True,
                   env=None if env is None else os.environ | env)


def build_dvd(seconds: int) -> Path:
    """The cached DVD ISO, built in a folder of this process's own and renamed into place,
    so runs at the same time (the benchmark test, someone's own run) never see half."""
    folder = CACHE / f"dvd-{seconds}s"
    iso = folder / "bench.iso"
    if iso.exists():
        return iso
    building = CACHE / f".dvd-{seconds}s-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    clip = building / "clip.mpg"
    run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
        f"testsrc2=size=720x576:rate=25:duration={seconds}", "-f", "lavfi", "-i",
        f"sine=duration={seconds}", "-target", "pal-dvd", "-b:v", "5000k", clip)
    (building / "dvd.xml").write_text(
        f'<dvdauthor><vmgm/><titleset><titles><pgc><vob file="{clip}"/></pgc>'
        "</titles></titleset></dvdauthor>")
    pal = {"VIDEO_FORMAT": "PAL"}
    run("dvdauthor", "-o", building / "dvd", "-x", building / "dvd.xml", env=pal)
    run("dvdauthor", "-o", building / "dvd", "-T", env=pal)
    run("genisoimage", "-quiet", "-dvd-video", "-V", "BENCH", "-o", building / "bench.iso",
        building / "dvd")
    if not iso.exists():
        shutil.rmtree(folder, ignore_errors=True)  # what an interrupted build left
        with contextlib.suppress(OSError):  # another run's build got there first
            building.rename(folder)
    shutil.rmtree(building, ignore_errors=True)
    return iso


def extract_vob(iso: Path) -> Path:
    target = iso.parent / "VTS_01_1.VOB"
    if not target.exists():
        data = subprocess.run(["7z", "e", "-so", str(iso), "VIDEO_TS/VTS_01_1.VOB"],
                              check=True, capture_output=True).stdout
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        partial.write_bytes(data)
        partial.replace(target)
    return target


def same_footing(*paths: Path) -> list[Path]:
    """Fresh copies written the same way. How a file entered the page cache changes how
    fast it is read back (genisoimage's small writes read at a third of the speed of
    one large write on this kernel), which would be measured instead of our code."""
    copies = []
    for path in paths:
        copy = path.with_name("same-" + path.name)
        shutil.copyfile(path, copy)
        copies.append(copy)
    return copies


def sequential(source: ByteSource) -> None:
    for offset in range(0, source.size, MIB):
        source.read_at(offset, MIB)


def random_reads(offsets: list[int]) -> Callable[[ByteSource], None]:
    def read(source: ByteSource) -> None:
        for offset in offsets:
            source.read_at(offset, MIB)

    return read


def throughput(source: ByteSource, work: Callable[[ByteSource], None], volume: int,
               repeats: int) -> float:
    work(source)  # warm the page cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work(source)
        times.append(time.perf_counter() - started)
    return volume / statistics.median(times) / MIB


def scan_seconds(iso: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "discs"
            root.mkdir()
            os.link(iso, root / "bench.iso")
            settings = load_settings({"data_dir": str(Path(tmp) / "data")}, environ={})
            db = Database.open(settings)
            started = time.perf_counter()
            Scanner(db, settings).scan([root])
            times.append(time.perf_counter() - started)
            db.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.repeats = 10, 1
    iso, vob = same_footing(built := build_dvd(args.seconds), extract_vob(built))
    entry = read_disc(os.fsencode(iso)).entries[0]
    rng = random.Random(7)
    with closing(open_entry(os.fsencode(iso), entry.locator)) as title, \
            closing(FileSource(vob)) as extracted:
        size = title.size
        offsets = [rng.randrange(0, max(1, size - MIB)) for _ in range(200)]
        rows = [
            ("sequential 1 MiB", sequential, size),
            ("random 1 MiB x200", random_reads(offsets), 200 * MIB),
        ]
        print(f"machine: {platform.node()} {os.cpu_count()} cores, Python "
              f"{platform.python_version()}; title {size / MIB:.1f} MiB "
              f"({args.seconds} s of PAL DVD video), median of {args.repeats}")
        print(f"{'read':<20} {'in ISO MiB/s':>14} {'extracted MiB/s':>16} {'ratio':>7}")
        for name, work, volume in rows:
            inside = throughput(title, work, volume, args.repeats)
            outside = throughput(extracted, work, volume, args.repeats)
            print(f"{name:<20} {inside:>14.0f} {outside:>16.0f} {inside / outside:>7.2f}")
    print(f"scan of the ISO (IFOs + one ffprobe): {scan_seconds(iso, args.repeats):.2f} s")


if __name__ == "__main__":
    main()
