"""A file name or title holding a newline, ESC or a bidi override reaches the terminal as
escapes: one PLAY line per playback, no cursor movement, nothing shown reversed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from yj_testing import make_settings, running_server

from catalog.db import Database
from catalog.messages import message
from catalog.terminal import json_line, printable
from indexer.pipeline import Scanner
from web.cli import cli

pytestmark = pytest.mark.ffmpeg

# A name that, printed raw, erases the line above and forges a second playback.
HOSTILE = "水稻\n\x1b[1A\x1b[2KPLAY  2027-01-01 08:00:00 station=FAKE item=1 \u202e4pm.exe\x9b"
CONTROLS = ("\n", "\x1b", "\u202e", "\x9b")


def test_printable_escapes_controls_and_keeps_chinese() -> None:
    assert printable("水稻\t种植\r\n\x1b[2K\x7f\u202etxt.exe\u2028") == (
        "水稻\\t种植\\r\\n\\x1b[2K\\x7f\\u202etxt.exe\\u2028")
    assert printable("《党课》第 3 讲 (2027)") == "《党课》第 3 讲 (2027)"
    line = json_line({"title": "a\x9b\u202eb\n"})
    assert line == '{"title": "a\\u009b\\u202eb\\n"}' and "\n" not in line
    # Message fields too; a number keeps its format specification.
    said = message("reindex_done", "en", count=3, seconds=HOSTILE)
    assert not any(c in said for c in CONTROLS) and "\\x1b[1A" in said


def test_a_hostile_file_name_is_one_escaped_line_everywhere(
        tmp_path: Path, db_url: str, demo_library: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=True)
    root = tmp_path / "库"
    root.mkdir()
    # Without its embedded title, so that the file name is the title.
    subprocess.run(["ffmpeg", "-v", "error", "-i", demo_library / "先进适用科技" / "rice.mp4",
                    "-map_metadata", "-1", "-c", "copy", root / f"{HOSTILE}.mp4"], check=True)
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    capsys.readouterr()
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        item = client.get("/api/items").json()["items"][0]
        # The catalog keeps the name's characters (its spaces folded into one).
        assert item["title"].startswith("水稻 \x1b[1A") and "\u202e" in item["title"]
        assert client.get(f"/stream/{item['id']}").status_code == 200
    out = capsys.readouterr().out
    plays = [line for line in out.splitlines() if line.startswith("PLAY")]
    assert len(plays) == 1, out
    assert plays[0].startswith("PLAY ") and "《水稻 \\x1b[1A\\x1b[2KPLAY 2027" in plays[0]
    assert "\\u202e4pm.exe\\x9b》" in plays[0]
    assert not any(c in out for c in CONTROLS[1:]), repr(out)
    argv = ["--data-dir", str(settings.data_dir), "--db", settings.db_url]
    for command in (["items"], ["items", "--json"]):
        shown = CliRunner().invoke(cli, [*argv, *command]).output
        assert "水稻" in shown and not any(c in shown for c in CONTROLS[1:]), repr(shown)
        assert not any(line.startswith("PLAY") for line in shown.splitlines()), shown
    db.close()
