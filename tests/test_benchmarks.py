"""Every benchmark still runs (issue 13: scripts/bench/stream.py stopped working when
accounts landed, and nobody noticed). Each ``scripts/bench/*.py``, found by glob so that a
new one is covered too, runs as a child process with ``--smoke`` (its smallest sizes): it
must exit 0 and print figures. Figures are not compared with anything: benchmarks side by
side on a busy test machine measure nothing, and machines differ too much anyway."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((REPO / "scripts" / "bench").glob("*.py"))
# What the benchmarks run besides Python: ./scripts/test installs them all.
TOOLS = {"ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "dvdauthor": "dvdauthor",
         "genisoimage": "genisoimage", "7z": "p7zip-full", "nginx": "nginx-light",
         "wrk": "wrk"}
# A number with its unit: "274 ms", "0.11 s", "1116 MiB/s", "13,863 rows/s", "1.34x".
FIGURE = re.compile(r"\d(?:\.\d+)?\s?(?:ms|s|MiB/s|rows/s|req/s|x)\b")
LONGEST = ("stream.py", "ledger.py")  # about 25 s and 18 s alone; the others 0.1-8 s
# nginx lives in /usr/sbin, which an ordinary user's PATH often lacks.
PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

pytestmark = [pytest.mark.ffmpeg, pytest.mark.slow]


def _need_tools() -> None:
    missing = sorted({package for tool, package in TOOLS.items()
                      if shutil.which(tool, path=PATH) is None})
    if missing:
        message = (f"the benchmarks need {', '.join(missing)}: apt-get install "
                   f"{' '.join(missing)} (./scripts/test installs them)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def finished() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every benchmark's run, three at a time: they wait on servers, sleeps and children
    as much as they compute (about 60 s in all on two busy cores, 66 s one by one)."""
    _need_tools()

    def run(script: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(script), "--smoke"], cwd=REPO,
                              env=os.environ | {"PATH": PATH}, capture_output=True,
                              text=True, timeout=300)

    # The longest first, so the short ones fill in beside them.
    order = sorted(SCRIPTS, key=lambda s: s.name not in LONGEST)
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip([s.name for s in order], pool.map(run, order), strict=True))


def test_the_benchmarks_are_found() -> None:
    assert {"stream.py", "ledger.py", "scan.py"} <= {s.name for s in SCRIPTS}


@pytest.mark.parametrize("name", [s.name for s in SCRIPTS])
def test_a_benchmark_runs_and_prints_figures(
        finished: dict[str, subprocess.CompletedProcess[str]], name: str) -> None:
    done = finished[name]
    assert done.returncode == 0, f"{name} --smoke failed:\n{done.stdout}\n{done.stderr}"
    assert FIGURE.search(done.stdout), f"{name} printed no figures:\n{done.stdout}"
