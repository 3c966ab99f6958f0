"""An inspector's machine: yuanjiao installed into a fresh virtual environment verifies an
export with no database, no server and no data directory, and catches an edit in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from yj_testing import make_settings

from catalog.db import Database
from catalog.evidence.checkpoints import (
    checkpoints,
    load_or_create_key,
    make_checkpoint,
    public_hex,
)
from catalog.evidence.ledger import Event, append_now, rows
from catalog.evidence.verify import write_export

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _pip_install(venv: Path, project: Path) -> None:
    """pip install into ``venv``; it downloads from the package registry (PyPI, or the index
    PIP_INDEX_URL or pip.conf name), so a registry out of reach is said as such."""
    pip = str(venv / "bin" / "pip")
    done = subprocess.run([pip, "install", "-q", str(project)], capture_output=True, text=True)
    if done.returncode == 0:
        return
    index = os.environ.get("PIP_INDEX_URL", "")
    for key in ("install.index-url", "global.index-url"):
        if not index:
            index = subprocess.run([pip, "config", "get", key], capture_output=True,
                                   text=True).stdout.strip()
    index = index or "https://pypi.org/simple"
    unreachable: Exception | None = None
    try:
        with urllib.request.urlopen(index.rstrip("/") + "/pip/", timeout=30):
            pass
    except (OSError, ValueError) as exc:
        unreachable = exc
    if unreachable is not None:
        message = (f"needs the package registry: pip cannot reach its index {index} "
                   f"({unreachable}); it is where pip installs yuanjiao's dependencies from")
        if os.environ.get("CI"):
            pytest.fail(message)  # CI has the registry: ./scripts/test installs from it
        pytest.skip(message)
    pytest.fail(f"pip install {project} failed:\n{done.stdout}{done.stderr}")


def test_a_fresh_install_verifies_an_export_offline(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "station", f"sqlite:///{tmp_path / 'station.db'}")
    db = Database.open(settings)
    key = load_or_create_key(settings.ledger_key_path)
    append_now(db, "XC-012", [Event("playback.open", {"title": f"第{n}讲"}) for n in range(50)])
    with db.engine.begin() as connection:
        make_checkpoint(connection, "XC-012", key)
    export = tmp_path / "XC-012.jsonl"
    with db.engine.connect() as connection, export.open("w", encoding="utf-8") as out:
        write_export(out, "XC-012", public_hex(key.public_key()), rows(connection, "XC-012"),
                     checkpoints(connection, "XC-012"))
    db.close()
    lines = export.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[10])
    row["payload"] = row["payload"].replace("第9讲", "第99讲")
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join([*lines[:10], json.dumps(row, ensure_ascii=False),
                                 *lines[11:]]) + "\n", encoding="utf-8")

    venv = tmp_path / "inspector-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    _pip_install(venv, REPO)
    home = tmp_path / "inspector-home"
    home.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    good = subprocess.run([str(venv / "bin" / "yuanjiao"), "ledger", "verify", "--export",
                           str(export)], cwd=home, env=env, capture_output=True, text=True)
    bad = subprocess.run([str(venv / "bin" / "yuanjiao"), "ledger", "verify", "--export",
                          str(forged)], cwd=home, env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "50 条记录" in good.stdout
    assert bad.returncode == 1 and "第 10 条" in bad.stderr, bad.stdout + bad.stderr
    assert list(home.iterdir()) == []  # nothing made: no database, no data folder
