"""An inspector's machine: yuanjiao installed into a fresh virtual environment verifies an
export with no database, no server and no data directory, and catches an edit in it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from yj_testing import make_settings

from catalog.checkpoints import checkpoints, load_or_create_key, make_checkpoint, public_hex
from catalog.db import Database
from catalog.ledger import Event, append_now, rows
from catalog.verify import write_export

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


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
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(REPO)], check=True,
                   capture_output=True)
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
