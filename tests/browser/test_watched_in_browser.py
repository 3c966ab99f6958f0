"""Watched seconds as Chromium plays (docs/ledger.md, "Watched seconds"): a page opened
without pressing play is no playback; 20 s of playing counts about 20 s, direct and HLS,
though the player fetched far more; an item that fails is recorded as failed, on the watch
page and in the TV mode, which says so and goes on."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from yj_browser import wait_until
from yj_testing import make_settings, running_server

from catalog import org, planning
from catalog.db import Database
from catalog.evidence.ledger import rows
from catalog.models import Item, OrgNode
from catalog.org import demo_org
from indexer.pipeline import Scanner

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]

SECONDS = 45
SOURCES = ["-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=10:duration={SECONDS}",
           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=22050:duration={SECONDS}"]
FILES = {
    "direct.mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                   "-c:a", "aac", "-movflags", "+faststart"],
    "converted.avi": ["-c:v", "mpeg4", "-vtag", "XVID", "-q:v", "8", "-c:a", "libmp3lame"],
    "gone.mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                 "-c:a", "aac", "-t", "3"],
}


@dataclass(frozen=True)
class Station:
    url: str
    db: Database
    items: dict[str, int]
    tv: str  # the TV mode's address, with the station's token
    session: int
    shots: Path


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    root = tmp_path_factory.mktemp("watched") / "课件"
    root.mkdir()
    for name, options in FILES.items():
        subprocess.run(["ffmpeg", "-v", "error", "-y", *SOURCES, *options, str(root / name)],
                       check=True)
    data = tmp_path_factory.mktemp("watched-data")
    settings = make_settings(data, f"sqlite:///{data}/catalog.sqlite3", station="XC-012",
                             playback_idle_seconds=0.5)
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    (root / "gone.mp4").unlink()  # catalogued, then lost: it fails when played
    with db.transaction() as session:
        nodes = demo_org.build(session)
        items = {i.rel_path: i.id for i in session.scalars(select(Item))}
        start = datetime.now(UTC) - timedelta(minutes=5)
        study = planning.create_session(session, nodes["东村党支部"], start,
                                        start + timedelta(hours=4), "收看秒数")
        planning.set_playlist(session, study, [items["gone.mp4"], items["direct.mp4"]])
        node = session.get_one(OrgNode, nodes["东村站点"].id)
        tv = f"/station/{node.id}?station_token={org.token_of(session, node)}"
        study_id = study.id
    with running_server(settings, db) as url:
        yield Station(url, db, items, tv, study_id, tmp_path_factory.mktemp("watched-shots"))
    db.close()


def playbacks(db: Database) -> dict[int, dict[str, Any]]:
    """open seq → the open row's data with the close row's merged in (once closed)."""
    found: dict[int, dict[str, Any]] = {}
    with db.engine.connect() as connection:
        for entry in rows(connection, "XC-012"):
            if entry.kind == "playback.open":
                found[entry.seq] = dict(entry.data)
            elif entry.kind == "playback.close":
                found[entry.data["open_seq"]].update(entry.data, closed=True)
    return found


def wait_for(db: Database, ready: Any, timeout: float = 20) -> dict[int, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = playbacks(db)
        if ready(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_twenty_seconds_of_playing_count_about_twenty(browser: Any, station: Station) -> None:
    before = set(playbacks(station.db))
    pages = {}
    for name in ("direct.mp4", "converted.avi"):
        page = browser.new_page(locale="zh-CN")
        page.goto(f"{station.url}/watch/{station.items[name]}")
        pages[name] = page
    pages["direct.mp4"].wait_for_timeout(2000)
    assert set(playbacks(station.db)) == before, "an opened page is no playback"
    for page in pages.values():
        page.evaluate("const v = document.getElementById('player'); v.muted = true; v.play()")
    for name, page in pages.items():
        wait_until(page, "document.getElementById('player').currentTime >= 20", 90_000)
        page.evaluate("document.getElementById('player').pause()")  # reports what it played
        fetched = page.evaluate(
            "(() => { const b = document.getElementById('player').buffered;"
            " return b.length ? b.end(b.length - 1) : 0; })()")
        page.screenshot(path=str(station.shots / f"watched-{name}.png"))
        page.goto("about:blank")  # leaving the page ends its playback
        page.close()
        print(f"{name}: buffered to {fetched:.1f} s when paused at 20 s")

    def closed(found: dict[int, dict[str, Any]]) -> bool:
        new = [p for s, p in found.items() if s not in before]
        return len(new) == 2 and all(p.get("closed") for p in new)

    found = wait_for(station.db, closed)
    new = {p["item_id"]: p for s, p in found.items() if s not in before}
    for name in ("direct.mp4", "converted.avi"):
        playback = new[station.items[name]]
        print(f"{name}: counted {playback['seconds']} s, sent {playback['sent_seconds']} s")
        assert playback["played"], playback  # the page reported
        assert 19 <= playback["seconds"] <= 23, playback
        assert playback["sent_seconds"] >= playback["seconds"]
        assert playback["failure"] is None and playback["ended_by"] == "page"


def test_an_item_that_fails_is_recorded_as_failed(browser: Any, station: Station) -> None:
    before = set(playbacks(station.db))
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{station.url}/watch/{station.items['gone.mp4']}")
    page.evaluate("document.getElementById('player').play().catch(() => {})")
    wait_until(page, "!document.getElementById('player-error').hidden", 20_000)
    page.screenshot(path=str(station.shots / "failed-watch.png"))
    page.close()
    found = wait_for(station.db, lambda f: any(p.get("closed") for s, p in f.items()
                                               if s not in before))
    (failed,) = [p for s, p in found.items() if s not in before]
    assert failed["item_id"] == station.items["gone.mp4"]
    assert failed["ended_by"] == "failed" and failed["failure"] == "unsupported"
    assert failed["seconds"] == 0


def test_the_tv_says_why_an_item_failed_and_goes_on(browser: Any, station: Station) -> None:
    before = set(playbacks(station.db))
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 720})
    page.goto(station.url + station.tv)
    page.locator(".tv-item").first.focus()
    page.keyboard.press("Enter")
    wait_until(page, "!document.getElementById('tv-error').hidden", 20_000)
    shown = page.locator("#tv-error").inner_text()
    page.screenshot(path=str(station.shots / "failed-tv.png"))
    # A few seconds later, the next item plays.
    wait_until(page, "window.yuanjiaoTv.index === 1 && "
                     "document.getElementById('tv-player').currentTime > 1", 30_000)
    page.goto("about:blank")
    page.close()
    assert "gone" in shown  # the title of the failed item is on the screen
    found = wait_for(station.db, lambda f: sum(1 for s, p in f.items() if s not in before
                                               and p.get("closed")) >= 2)
    new = [p for s, p in found.items() if s not in before]
    failed = [p for p in new if p.get("failure")]
    assert [(p["item_id"], p["session"]) for p in failed] == [
        (station.items["gone.mp4"], str(station.session))]
