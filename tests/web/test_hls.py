"""HLS over real HTTP: whole durations for DVD titles, VCD tracks and AVI; segments in
any order; bounded transcode slots; nothing left running."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from yj_testing import make_settings, running_server

from catalog import library
from catalog.db import Database
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg


@dataclass(frozen=True)
class Served:
    url: str
    ids: dict[str, int]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_library: Path,
           disc_images: Any) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("hls") / "库"
    root.mkdir()
    shutil.copy(demo_library / "政治理论/形势与政策报告会.avi", root / "报告会.avi")
    shutil.copy(disc_images.dvd_iso, root / "dvd.iso")
    shutil.copy(disc_images.vcd_cue, root / "vcd.cue")
    shutil.copy(disc_images.folder / "vcd.bin", root / "vcd.bin")
    data = tmp_path_factory.mktemp("hls-data")
    settings = make_settings(data, f"sqlite:///{data / 'catalog.sqlite3'}", hls_slots=1)
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.session() as session:
        items = list(library.all_items(session))
    ids = {
        "avi": next(i.id for i in items if i.rel_path == "报告会.avi"),
        "dvd_title": next(i.id for i in items if i.rel_path.startswith("dvd.iso")
                          and i.disc_index == 1),
        "vcd_track": next(i.id for i in items if i.rel_path.startswith("vcd.cue")
                          and i.disc_index == 1),
        "dvd_title_2": next(i.id for i in items if i.rel_path.startswith("dvd.iso")
                            and i.disc_index == 2),
    }
    with running_server(settings, db) as url:
        yield Served(url, ids)
    db.close()


def ffprobe_json(url: str, *entries: str) -> dict[str, Any]:
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", ":".join(entries),
                           "-of", "json", url], capture_output=True, check=True, timeout=120)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "seconds"), [("dvd_title", 12), ("vcd_track", 6),
                                               ("avi", 4.5)])
def test_ffmpeg_reads_the_whole_duration_from_the_playlist(served: Served, name: str,
                                                           seconds: float) -> None:
    url = f"{served.url}/hls/{served.ids[name]}/main.m3u8"
    playlist = httpx.get(url)
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert playlist.text.startswith("#EXTM3U") and "#EXT-X-ENDLIST" in playlist.text
    # Decode every segment, as a player would, and count the seconds of video.
    done = subprocess.run(["ffmpeg", "-v", "error", "-i", url, "-map", "0:v:0", "-f", "null",
                           "-"], capture_output=True, text=True, check=True, timeout=180)
    assert done.returncode == 0
    probed = ffprobe_json(url, "format=duration")
    assert float(probed["format"]["duration"]) == pytest.approx(seconds, abs=1)


def test_a_segment_in_the_middle_can_come_first(served: Served) -> None:
    base = f"{served.url}/hls/{served.ids['dvd_title']}"
    second = httpx.get(f"{base}/1.ts", timeout=60)
    assert second.status_code == 200 and second.headers["content-type"] == "video/mp2t"
    path = Path(f"/tmp/yj-seg-{served.ids['dvd_title']}.ts")
    path.write_bytes(second.content)
    try:
        packets = ffprobe_json(str(path), "stream=codec_name,start_time", "format=duration")
    finally:
        path.unlink()
    codecs = {s["codec_name"] for s in packets["streams"]}
    assert codecs == {"h264", "aac"}
    video_start = min(float(s["start_time"]) for s in packets["streams"])
    assert video_start == pytest.approx(6.0, abs=0.2)  # its own place in the timeline
    assert float(packets["format"]["duration"]) == pytest.approx(6.0, abs=0.3)


def test_segments_out_of_range_and_documents_are_404(served: Served) -> None:
    base = f"{served.url}/hls/{served.ids['avi']}"
    assert httpx.get(f"{base}/99.ts").status_code == 404
    assert httpx.get(f"{served.url}/hls/999999/main.m3u8").status_code == 404


def test_beyond_the_slots_the_answer_is_503_with_retry_after(served: Served) -> None:
    # This server has one slot; both segments of a title nobody asked for yet, at once:
    # one is made, the other is told to come back (an encode takes far longer than the
    # few milliseconds between the two requests).
    base = f"{served.url}/hls/{served.ids['dvd_title_2']}"
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda n: httpx.get(f"{base}/{n}.ts", timeout=60), range(2)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 503]
    for busy in (a for a in answers if a.status_code == 503):
        assert busy.headers["retry-after"] == "5" and "服务器正忙" in busy.text


def test_no_ffmpeg_is_left_running(served: Served) -> None:
    httpx.get(f"{served.url}/hls/{served.ids['avi']}/0.ts", timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        running = subprocess.run(["pgrep", "-f", "ffmpeg -nostdin -v error -y"],
                                 capture_output=True, text=True).stdout.split()
        if not running:
            return
        time.sleep(0.5)
    raise AssertionError(f"ffmpeg still running: {running}")
