"""Watched seconds over real HTTP (catalog/evidence/playbacks.py ``watched_seconds``): what was
sent, never more than the wall-clock span plus the buffer, lowered to what the player
page says it played; a failed item is recorded as failed with what was sent in its time."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from yj_testing import make_settings, running_server, sign_in

from catalog.db import Database
from catalog.evidence.ledger import rows
from catalog.evidence.playbacks import Spans, watched_seconds
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg

LONG = 600  # a ten-minute lecture: audio at 8 kb/s, made in about a second
VIEW = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Served:
    url: str
    db: Database
    item: dict[str, Any]


@pytest.fixture
def served(tmp_path: Path, db_url: str) -> Iterator[Served]:
    root = tmp_path / "课件"
    root.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=440:sample_rate=8000:duration={LONG}", "-ac", "1",
                    "-c:a", "libmp3lame", "-b:a", "8k", str(root / "十分钟讲座.mp3")],
                   check=True)
    settings = make_settings(tmp_path / "data", db_url, station="XC-012",
                             playback_idle_seconds=0.5)
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with running_server(settings, db) as url:
        item = httpx.get(f"{url}/api/items").json()["items"][0]
        assert abs(item["duration"] - LONG) < 1
        yield Served(url, db, item)
    db.close()


def closed_rows(db: Database, count: int) -> list[dict[str, Any]]:
    """The data of the ledger's ``playback.close`` rows, once there are ``count``."""
    deadline = time.monotonic() + 15
    while True:
        with db.engine.connect() as connection:
            found = [e.data for e in rows(connection, "XC-012") if e.kind == "playback.close"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_the_rule_itself() -> None:
    sent = Spans.of([(0, 600)])
    assert watched_seconds(sent, None, wall=0.4, buffer=30) == 30.4  # a burst
    assert watched_seconds(sent, None, wall=1000, buffer=30) == 600  # never past what was sent
    assert watched_seconds(sent, Spans.of([(0, 20)]), wall=21, buffer=30) == 20
    # What a page says it played counts only where media was sent.
    assert watched_seconds(Spans.of([(0, 12)]), Spans.of([(6, 60)]), 100, 30) == 6
    assert watched_seconds(Spans(), Spans.of([(0, 60)]), 100, 30) == 0


def test_a_whole_file_fetched_by_curl_counts_the_buffer_at_most(served: Served) -> None:
    done = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                           f"{served.url}/stream/{served.item['id']}"],
                          capture_output=True, text=True, check=True)
    status, size = done.stdout.split()
    assert status == "200" and int(size) == served.item["size"]
    (close,) = closed_rows(served.db, 1)
    assert close["sent_seconds"] == pytest.approx(LONG, abs=1)  # all of it was sent
    # The buffer plus the fraction of a second curl took: 30 in the log.
    assert close["wall_seconds"] < 0.5 and close["seconds"] <= 30 + close["wall_seconds"]
    assert close["failure"] is None and close["played"] is None
    with httpx.Client(base_url=served.url) as staff:
        sign_in(staff, served.db)
        (shown,) = staff.get("/api/playbacks").json()["playbacks"]
        csv_text = staff.get("/api/playbacks?format=csv").text
    assert shown["seconds"] == round(close["seconds"]) and shown["seconds"] <= 30
    assert f",{shown['seconds']}," in csv_text


def test_a_failed_hls_item_counts_what_was_sent_in_its_seconds(served: Served) -> None:
    item = served.item["id"]
    with httpx.Client(base_url=served.url, timeout=60) as player:
        listing = player.get(f"/hls/{item}/main.m3u8?view={VIEW}").text
        assert f"0.ts?view={VIEW}" in listing  # the segments carry the view id
        for index in (0, 1):
            assert player.get(f"/hls/{item}/{index}.ts?view={VIEW}").status_code == 200
        # The player played 8 s, then could not decode the rest.
        said = player.post(f"/api/views/{VIEW}", json={
            "item_id": item, "played": [[0, 8.0]], "failed": "decode", "method": "hls"})
    assert said.status_code == 202 and said.json() == {"recorded": True}
    (close,) = closed_rows(served.db, 1)
    assert close["ended_by"] == "failed" and close["failure"] == "decode"
    assert close["sent_seconds"] == 12.0 and close["seconds"] == pytest.approx(8.0)
    with httpx.Client(base_url=served.url) as staff:
        sign_in(staff, served.db)
        (shown,) = staff.get("/api/playbacks").json()["playbacks"]
    assert shown["failure"] == "decode" and shown["seconds"] == 8


def test_a_failure_before_any_media_is_recorded_at_zero_seconds(served: Served) -> None:
    item = served.item["id"]
    said = httpx.post(f"{served.url}/api/views/{VIEW}", json={
        "item_id": item, "played": [], "failed": "unsupported", "session": "7"})
    assert said.json() == {"recorded": True}
    (close,) = closed_rows(served.db, 1)
    assert close["failure"] == "unsupported" and close["seconds"] == 0
    with served.db.engine.connect() as connection:
        opened = [e.data for e in rows(connection, "XC-012") if e.kind == "playback.open"]
    assert [(o["item_id"], o["session"], o["title"]) for o in opened] == [
        (item, "7", served.item["title"])]


def test_a_report_without_a_playback_records_nothing(served: Served) -> None:
    said = httpx.post(f"{served.url}/api/views/{VIEW}",
                      json={"item_id": served.item["id"], "played": [[0, 5]]})
    assert said.json() == {"recorded": False}
    # Another item's view is not this one's.
    with httpx.Client(base_url=served.url) as player:
        player.get(f"/stream/{served.item['id']}?view={VIEW}", headers={"range": "bytes=0-99"})
        other = player.post(f"/api/views/{VIEW}", json={"item_id": 999, "played": [[0, 5]]})
        # The page's last report (it is closing) ends the playback at once.
        last = player.post(f"/api/views/{VIEW}", json={
            "item_id": served.item["id"], "played": [[0, 0.5]], "ended": True})
    assert other.json() == {"recorded": False} and last.json() == {"recorded": True}
    (close,) = closed_rows(served.db, 1)
    assert close["played"] == [[0, 0.5]] and close["ended_by"] == "page"
    assert close["seconds"] <= 0.5


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"item_id": "1"}', b'{"item_id": 1, "played": [[0]]}',
    b'{"item_id": 1, "played": [[0, 1e400]]}', b'{"item_id": 1, "played": "all"}',
    b'{"item_id": 1, "failed": "bored"}', b'{"item_id": 1, "session": "x1"}',
    b'{"item_id": true}',
])
def test_a_bad_report_is_a_400_with_its_own_key(served: Served, body: bytes) -> None:
    said = httpx.post(f"{served.url}/api/views/{VIEW}", content=body,
                      headers={"content-type": "application/json"})
    assert said.status_code == 400, said.text
    assert said.json()["error"] in ("bad_json", "bad_view_report")


def test_a_report_for_a_bad_view_or_a_huge_body_is_refused(served: Served) -> None:
    bad = httpx.post(f"{served.url}/api/views/NOT-A-VIEW", json={"item_id": 1})
    huge = httpx.post(f"{served.url}/api/views/{VIEW}", content=b"[" * (1 << 20))
    assert bad.status_code == 400 and bad.json()["error"] == "bad_view_report"
    assert huge.status_code == 413
