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
    # H.264 a browser decodes, in containers it does not play: copied, not encoded. The
    # baseline profile tells copies apart (the encoder here makes main profile).
    for name, audio in [("h264-aac.mkv", "aac"), ("h264-mp3.flv", "libmp3lame")]:
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                        "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=f=300",
                        "-t", "20", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
                        "-sc_threshold", "0", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
                        "-c:a", audio, "-ar", "44100", "-shortest", str(root / name)],
                       check=True)
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
        "mkv": next(i.id for i in items if i.rel_path == "h264-aac.mkv"),
        "flv": next(i.id for i in items if i.rel_path == "h264-mp3.flv"),
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


def frames(url: str) -> list[tuple[float, bool]]:
    """(time, key frame?) of every video packet ffprobe reads at ``url``."""
    done = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "packet=pts_time,flags", "-of", "csv=p=0", url],
                          capture_output=True, text=True, check=True, timeout=120)
    rows = [line.split(",") for line in done.stdout.splitlines() if line.strip()]
    return [(float(t), "K" in flags) for t, flags, *_ in rows]


@pytest.mark.parametrize("name", ["mkv", "flv"])
def test_browser_h264_is_copied_in_segments_on_its_key_frames(served: Served,
                                                              name: str) -> None:
    base = f"{served.url}/hls/{served.ids[name]}"
    playlist = httpx.get(f"{base}/main.m3u8", timeout=30).text
    uris = [line for line in playlist.splitlines() if line.endswith(".ts")]
    lengths = [float(line[8:-1]) for line in playlist.splitlines()
               if line.startswith("#EXTINF:")]
    assert uris == [f"c{n}.ts" for n in range(len(uris))]
    assert len(uris) == 4 and sum(lengths) == pytest.approx(20, abs=0.1)
    # Every frame of the file, once, in order: nothing lost or doubled at the seams.
    whole = frames(f"{base}/main.m3u8")
    source = frames(f"{served.url}/stream/{served.ids[name]}")
    assert len(whole) == len(source) == 500
    # A segment fetched first: starts on a key frame, at its place, copied (baseline).
    third = httpx.get(f"{base}/c2.ts", timeout=60)
    assert third.status_code == 200
    path = Path(f"/tmp/yj-copied-{name}.ts")
    path.write_bytes(third.content)
    try:
        packets = frames(str(path))
        probed = ffprobe_json(str(path), "stream=codec_name,profile")
    finally:
        path.unlink()
    start = sum(lengths[:2])
    assert packets[0][1] and packets[0][0] == pytest.approx(start, abs=0.05)
    assert len(packets) == round(lengths[2] * 25)
    video = next(s for s in probed["streams"] if s["codec_name"] == "h264")
    assert video["profile"] in {"Baseline", "Constrained Baseline"}
    assert {s["codec_name"] for s in probed["streams"]} == {"h264", "aac"}


def test_copied_segments_exist_only_for_what_can_be_copied(served: Served) -> None:
    # (Encoded segments stay available for every item: a player given the encoded
    # playlist while the key frame index was still being made keeps asking for them.)
    assert httpx.get(f"{served.url}/hls/{served.ids['avi']}/c0.ts").status_code == 404
