"""Every format the scanner accepts plays in Chromium, on the watch page and in the TV
mode: currentTime passes 2 s, and a seek to the middle plays on from there. Converted
items go through hls.js (Chromium says it plays HLS itself, then fails on these streams).
Screenshots of each are kept in the test's directory (printed at the end)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from yj_browser import wait_until
from yj_testing import make_settings, running_server

from catalog import org, planning
from catalog.db import Database
from catalog.models import Item, OrgNode
from catalog.org import demo_org
from indexer.pipeline import Scanner

pytestmark = [pytest.mark.ffmpeg, pytest.mark.browser]

SECONDS = 6
SOURCES = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={SECONDS}",
           "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={SECONDS}"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
# File name → ffmpeg's output options: the formats station downloads come in.
FORMATS = {
    "mp4-h264.mp4": [*X264, "-c:a", "aac", "-movflags", "+faststart"],
    "mp4-mpeg4-asp.mp4": ["-c:v", "mpeg4", "-q:v", "6", "-c:a", "aac"],
    "mkv-h264.mkv": [*X264, "-c:a", "libmp3lame"],
    "flv-h264.flv": [*X264, "-c:a", "aac"],
    "flv-flv1.flv": ["-c:v", "flv", "-q:v", "6", "-c:a", "libmp3lame", "-ar", "44100"],
    "avi-xvid.avi": ["-c:v", "mpeg4", "-vtag", "XVID", "-q:v", "6", "-c:a", "libmp3lame"],
    "wmv.wmv": ["-c:v", "wmv2", "-q:v", "6", "-c:a", "wmav2"],
    "mpeg1.mpg": ["-c:v", "mpeg1video", "-q:v", "6", "-c:a", "mp2", "-f", "mpeg"],
    "mpeg2-ps.mpg": ["-c:v", "mpeg2video", "-q:v", "6", "-c:a", "mp2", "-f", "vob"],
    "rm-rv20.rm": ["-c:v", "rv20", "-q:v", "6", "-c:a", "ac3", "-b:a", "64k"],
    "mp3.mp3": ["-vn", "-c:a", "libmp3lame", "-b:a", "64k"],
}


@dataclass(frozen=True)
class Corpus:
    url: str
    items: dict[str, dict[str, Any]]  # a label → the item's JSON
    station: int
    token: str
    shots: Path


def _label(item: dict[str, Any]) -> str:
    if item.get("disc"):
        return "dvd-title" if "dvd" in item["path"].lower() else "vcd-track"
    return item["path"].rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, disc_images: Any) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("formats") / "课件"
    root.mkdir()
    for name, options in FORMATS.items():
        subprocess.run(["ffmpeg", "-v", "error", "-y",
                        *(SOURCES[4:] if name.endswith(".mp3") else SOURCES), *options,
                        "-t", str(SECONDS), str(root / name)], check=True)
    shutil.copy(disc_images.dvd_iso, root / "dvd.iso")
    for part in ("vcd.cue", "vcd.bin"):
        shutil.copy(disc_images.folder / part, root / part)
    data = tmp_path_factory.mktemp("formats-data")
    settings = make_settings(data, f"sqlite:///{data}/catalog.sqlite3", guest_viewing=True,
                             playback_idle_seconds=0.5)
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        ids = list(session.scalars(select(Item.id).order_by(Item.id)))
        start = datetime.now(UTC) - timedelta(minutes=5)
        study = planning.create_session(session, nodes["东村党支部"], start,
                                        start + timedelta(hours=4), "格式检查")
        planning.set_playlist(session, study, ids)
        station = session.get_one(OrgNode, nodes["东村站点"].id)
        token = org.token_of(session, station) or ""
        station_id = station.id
    with running_server(settings, db) as url:
        listed = httpx.get(f"{url}/api/items", params={"per_page": 200}).json()["items"]
        items: dict[str, dict[str, Any]] = {}
        for item in sorted(listed, key=lambda i: -(i["duration"] or 0)):
            items.setdefault(_label(item), item)  # a disc's longest title or track
        yield Corpus(url, items, station_id, token, tmp_path_factory.mktemp("shots"))
    db.close()


EXPECTED = [*FORMATS, "dvd-title", "vcd-track"]


def test_the_corpus_holds_every_format(corpus: Corpus) -> None:
    assert sorted(corpus.items) == sorted(EXPECTED), sorted(corpus.items)
    converted = [n for n, i in corpus.items.items() if not i["browser_playable"]]
    assert len(converted) >= 8, converted  # most of them go through HLS


def _plays_and_seeks(page: Any, player: str, label: str, shots: Path) -> None:
    video = f"document.getElementById('{player}')"
    page.evaluate(f"{video}.muted = true; {video}.play()")
    wait_until(page, f"{video}.currentTime > 2", 60_000)
    middle = page.evaluate(f"{video}.duration") / 2
    page.evaluate(f"{video}.currentTime = {middle}")
    wait_until(page, f"{video}.currentTime > {middle + 0.5} && !{video}.seeking", 60_000)
    page.screenshot(path=str(shots / f"{label}.png"))


@pytest.mark.parametrize("label", EXPECTED)
def test_it_plays_on_the_watch_page(browser: Any, corpus: Corpus, label: str) -> None:
    item = corpus.items[label]
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{corpus.url}/watch/{item['id']}")
    _plays_and_seeks(page, "player", f"watch-{label}", corpus.shots)
    assert page.locator("#player-error").is_hidden()
    if not item["browser_playable"]:
        assert page.evaluate("!!window.yuanjiaoHls"), "a converted item plays through hls.js"
    page.close()


def test_each_plays_in_the_tv_mode(browser: Any, corpus: Corpus) -> None:
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 720})
    page.goto(f"{corpus.url}/station/{corpus.station}?station_token={corpus.token}")
    buttons = page.locator(".tv-item")
    labels = {str(i["id"]): label for label, i in corpus.items.items()}
    played = []
    for index in range(buttons.count()):
        item_id = buttons.nth(index).get_attribute("data-id")
        if item_id not in labels:
            continue  # a disc's other titles
        buttons.nth(index).focus()
        page.keyboard.press("Enter")
        wait_until(page, f"window.yuanjiaoTv && window.yuanjiaoTv.index === {index}")
        _plays_and_seeks(page, "tv-player", f"tv-{labels[item_id]}", corpus.shots)
        assert page.evaluate("window.yuanjiaoTv.failures.length") == 0
        played.append(labels[item_id])
        page.keyboard.press("Escape")
    page.close()
    assert sorted(played) == sorted(EXPECTED)
    print(f"screenshots: {corpus.shots}")
