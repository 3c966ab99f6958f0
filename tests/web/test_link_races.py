"""Check-then-use races (issue 13.5): while a catalogued file, or a sidecar, is swapped
between itself and a link to a secret outside the library root, in a tight loop, HLS
segments (encoded and copied), posters, subtitles (sidecar and embedded), key frame
indexes and direct streams served by the real app over HTTP carry 0 bytes of the secret,
in any response or any cache.

The swap is atomic (``rename`` over the name, the real file kept by a hard link), so the
name always exists and a server that checks a path and then opens it again loses the race
often (the security finding: 12-19 of 40 segments, and 5 of 5 subtitle requests).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest
from yj_testing import make_settings, running_app

from catalog import library
from catalog.db import Database
from catalog.settings import Settings
from indexer.pipeline import Scanner
from media.items import item_input
from media.keyframes import KeyframeIndex
from web.app import create_app

pytestmark = pytest.mark.ffmpeg

MARK = "SECRET-7f3a9c"
SECRET_TEXT = f"root:x:0:0:{MARK}:/root:/bin/bash\n1\n00:00:00,000 --> 00:00:09,000\n{MARK}\n"
SECRET_WIDTH = 208  # the genuine videos are 320 wide: a poster of the secret is 208 wide
ROUNDS_SECONDS = 12.0  # each test stops after this long, whatever its count
SRT = "1\n00:00:00,500 --> 00:00:02,000\n新农合报销比例\n\n"

# Swaps the name between the real file (kept as a hard link) and a link to the secret,
# with a random pause (up to ``dwell`` seconds) in each state, until told to stop or out
# of time;
# leaves the real file in place and prints how many swaps it made. A process of its own,
# so the server's threads are not starved of the GIL.
FLIPPER = r"""
import os, random, sys, time
path, secret, kept, seconds, stop, dwell = sys.argv[1:7]
link_tmp, file_tmp = path + ".flip-link", path + ".flip-file"
deadline = time.monotonic() + float(seconds)
flips = 0
try:
    while time.monotonic() < deadline and not os.path.exists(stop):
        os.symlink(secret, link_tmp)
        os.rename(link_tmp, path)
        time.sleep(random.random() * float(dwell))
        os.link(kept, file_tmp)
        os.rename(file_tmp, path)
        time.sleep(random.random() * float(dwell))
        flips += 1
finally:
    for leftover in (link_tmp, file_tmp):
        if os.path.lexists(leftover):
            os.unlink(leftover)
    if os.path.islink(path):
        os.link(kept, file_tmp)
        os.rename(file_tmp, path)
    print(flips)
"""


def ffmpeg(*argv: str | Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, argv)], check=True, timeout=120)


@dataclass(frozen=True)
class Served:
    url: str
    ids: dict[str, int]
    root: Path
    secret: Path
    secret_text: Path
    settings: Settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("races")
    outside = base / "outside"
    outside.mkdir()
    secret = outside / "secret.mp4"
    subs = outside / "subs.srt"
    subs.write_text(f"1\n00:00:00,000 --> 00:00:09,000\n{MARK}\n", encoding="utf-8")
    # The secret: a valid video of its own size, key frames and title (the title goes into
    # every MPEG-TS segment made from it), with a text stream at the same index as the
    # genuine embedded subtitles.
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={SECRET_WIDTH}x160:rate=25", "-f", "lavfi",
           "-i", "sine=f=900", "-i", subs, "-t", "12", "-map", "0", "-map", "1", "-map", "2",
           "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline",
           "-pix_fmt", "yuv420p", "-g", "35", "-c:a", "aac", "-c:s", "mov_text",
           "-metadata", f"title={MARK}", secret)
    secret_text = outside / "passwd"
    secret_text.write_text(SECRET_TEXT, encoding="utf-8")

    root = base / "库"
    root.mkdir()
    testsrc = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
               "sine=f=300"]
    ffmpeg(*testsrc, "-t", "24", "-c:v", "mpeg4", "-c:a", "mp3", "-metadata", "title=讲座",
           root / "讲座.avi")
    ffmpeg(*testsrc, "-t", "24", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
           "-sc_threshold", "0", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
           "-c:a", "aac", root / "h264.mkv")
    genuine_subs = base / "genuine.srt"
    genuine_subs.write_text("1\n00:00:01,000 --> 00:00:03,000\n内嵌字幕\n", encoding="utf-8")
    ffmpeg(*testsrc, "-i", genuine_subs, "-t", "6", "-map", "0", "-map", "1", "-map", "2",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-c:s", "mov_text", "-movflags", "+faststart", root / "课件.mp4")
    (root / "课件.srt").write_text(SRT, encoding="utf-8")

    data = base / "data"
    settings = make_settings(data, f"sqlite:///{data / 'catalog.sqlite3'}", hls_slots=2)
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.session() as session:
        ids = {i.rel_path: i.id for i in library.all_items(session)}
    assert set(ids) == {"讲座.avi", "h264.mkv", "课件.mp4"}
    app = create_app(settings, db)
    with running_app(app) as url:
        yield Served(url, ids, root, secret, secret_text, settings)
    db.close()


@contextmanager
def flipping(path: Path, secret: Path, tmp_path: Path, dwell: float = 0.002
             ) -> Iterator[None]:
    kept = path.with_name(f".{path.name}.kept")
    os.link(path, kept)
    stop = tmp_path / f"stop-{path.name}"
    flipper = subprocess.Popen([sys.executable, "-c", FLIPPER, str(path), str(secret),
                                str(kept), str(ROUNDS_SECONDS + 30), str(stop), str(dwell)],
                               stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.05)
        yield
    finally:
        stop.touch()
        out, _ = flipper.communicate(timeout=30)
        kept.unlink()
    assert not path.is_symlink()
    assert int(out) > 50, "the file was hardly swapped: the test proved nothing"


def rounds(count: int) -> Iterator[int]:
    """``count`` rounds, or fewer if time runs out."""
    deadline = time.monotonic() + ROUNDS_SECONDS
    for n in range(count):
        if time.monotonic() > deadline:
            return
        yield n


def jpeg_width(data: bytes) -> int:
    """The width in a JPEG's start-of-frame segment (ITU T.81 B.2.2)."""
    at = 2
    while at + 9 < len(data):
        marker, length = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[at + 7:at + 9], "big")
        at += 2 + length
    raise AssertionError("no frame header in the JPEG")


def no_secret_in_caches(settings: Settings) -> None:
    cache = settings.data_dir / "cache"
    for path in cache.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert MARK.encode() not in data, f"the secret is cached in {path}"
            if path.suffix == ".jpg":
                assert jpeg_width(data) != SECRET_WIDTH, f"a poster of the secret: {path}"


def get(url: str) -> httpx.Response:
    for _ in range(20):  # the segment made ahead may hold the other slot for a moment
        response = httpx.get(url, timeout=60)
        if response.status_code != 503:
            return response
        time.sleep(0.1)
    return response


def test_hls_segments_made_while_the_file_is_swapped_hold_none_of_the_secret(
        served: Served, tmp_path: Path) -> None:
    item = served.ids["讲座.avi"]
    count = len([line for line in httpx.get(f"{served.url}/hls/{item}/main.m3u8").text
                 .splitlines() if line.endswith(".ts")])
    cache = served.settings.data_dir / "cache" / "hls"
    served_ok = 0
    with flipping(served.root / "讲座.avi", served.secret, tmp_path):
        for n in rounds(20):
            index = n % count
            for made in cache.glob(f"{item}-*/{index}.ts"):
                made.unlink()  # made again from the file, now
            response = get(f"{served.url}/hls/{item}/{index}.ts")
            assert response.status_code in (200, 404, 410), response.text
            assert MARK.encode() not in response.content
            served_ok += response.status_code == 200
    time.sleep(1)  # segments made ahead are finished
    no_secret_in_caches(served.settings)
    assert served_ok >= 1


def test_copied_hls_segments_and_key_frames_hold_none_of_the_secret(
        served: Served, tmp_path: Path) -> None:
    item = served.ids["h264.mkv"]
    playlist = httpx.get(f"{served.url}/hls/{item}/main.m3u8", timeout=60).text
    uris = [line for line in playlist.splitlines() if line.endswith(".ts")]
    assert uris and all(u.startswith("c") for u in uris), "the plan copies H.264"
    cache = served.settings.data_dir / "cache" / "hls"
    served_ok = 0
    with flipping(served.root / "h264.mkv", served.secret, tmp_path):
        for n in rounds(30):
            uri = uris[n % len(uris)]
            for made in cache.glob(f"{item}-*/{uri}"):
                made.unlink()
            response = get(f"{served.url}/hls/{item}/{uri}")
            assert response.status_code in (200, 404, 410), response.text
            assert MARK.encode() not in response.content
            served_ok += response.status_code == 200
    time.sleep(1)
    no_secret_in_caches(served.settings)
    assert served_ok >= 1


def test_key_frame_indexes_made_while_the_file_is_swapped_are_the_files_own(
        served: Served, tmp_path: Path) -> None:
    # What web/library/hls.py hands the index: the item's opener, as the catalog locates it.
    opener = partial(item_input, str(served.root), b"h264.mkv", {})
    index = KeyframeIndex(tmp_path / "keyframes")
    genuine = index.lookup("before", opener, wait=None)
    # Every 2 s over 24 s (the secret's come every 1.4 s over 12 s).
    assert genuine is not None and len(genuine) == 12
    assert {round(b - a, 3) for a, b in zip(genuine, genuine[1:], strict=False)} == {2.0}
    found = []
    try:
        with flipping(served.root / "h264.mkv", served.secret, tmp_path):
            for n in rounds(30):
                found.append(index.lookup(f"race-{n}", opener, wait=None))
    finally:
        index.close()
    assert all(times in (genuine, None) for times in found), found
    assert genuine in found


def test_posters_made_while_the_file_is_swapped_are_the_files_own(
        served: Served, tmp_path: Path) -> None:
    item = served.ids["课件.mp4"]
    posters = served.settings.data_dir / "cache" / "posters"
    served_ok = 0
    with flipping(served.root / "课件.mp4", served.secret, tmp_path):
        for _ in rounds(20):
            for made in posters.glob(f"{item}-*.jpg"):
                made.unlink()
            response = httpx.get(f"{served.url}/posters/{item}.jpg", timeout=60)
            assert response.status_code in (200, 404, 410), response.text
            if response.status_code == 200:
                assert jpeg_width(response.content) == 320
                served_ok += 1
    no_secret_in_caches(served.settings)
    assert served_ok >= 1


def test_sidecar_subtitles_swapped_for_a_link_never_read_it(served: Served,
                                                           tmp_path: Path) -> None:
    item = served.ids["课件.mp4"]
    listed = httpx.get(f"{served.url}/api/items/{item}/subtitles").json()["subtitles"]
    assert [t["id"] for t in listed] == ["s0", "e2"]
    served_ok = 0
    # No pause: the sidecar is listed, then read, microseconds apart in one request.
    with flipping(served.root / "课件.srt", served.secret_text, tmp_path, dwell=0), \
            httpx.Client(base_url=served.url) as client:
        for _ in rounds(200):
            response = client.get(f"/subtitles/{item}/s0.vtt")
            assert MARK not in response.text and "root:" not in response.text
            assert response.status_code in (200, 404, 410), response.text
            served_ok += "新农合报销比例" in response.text
    assert served_ok >= 1


def test_embedded_subtitles_read_while_the_file_is_swapped_are_the_files_own(
        served: Served, tmp_path: Path) -> None:
    item = served.ids["课件.mp4"]
    url = f"{served.url}/subtitles/{item}/e2.vtt"
    assert "内嵌字幕" in httpx.get(url, timeout=60).text
    served_ok = 0
    with flipping(served.root / "课件.mp4", served.secret, tmp_path):
        for _ in rounds(40):
            response = httpx.get(url, timeout=60)
            assert MARK not in response.text
            assert response.status_code in (200, 404, 410), response.text
            served_ok += "内嵌字幕" in response.text
    assert served_ok >= 1


def test_direct_streams_while_the_file_is_swapped_are_the_files_own_bytes(
        served: Served, tmp_path: Path) -> None:
    item = served.ids["课件.mp4"]
    genuine = (served.root / "课件.mp4").read_bytes()
    chooser = random.Random(13)
    served_ok = 0
    with flipping(served.root / "课件.mp4", served.secret, tmp_path), \
            httpx.Client(base_url=served.url) as client:
        for n in rounds(300):
            start = chooser.randrange(len(genuine))
            end = min(len(genuine) - 1, start + chooser.randrange(1, 200_000))
            headers = {"Range": f"bytes={start}-{end}"} if n % 5 else {}
            response = client.get(f"/stream/{item}", headers=headers)
            assert response.status_code in (200, 206, 404, 410), response.text
            if response.status_code == 206:
                assert response.content == genuine[start:end + 1]
            elif response.status_code == 200:
                assert response.content == genuine
            assert MARK.encode() not in response.content
            served_ok += response.status_code in (200, 206)
    assert served_ok >= 1


def test_a_file_that_stays_a_link_out_is_gone_for_every_use(served: Served) -> None:
    # Swapped once and left so (the steady state of the race above): refused everywhere.
    path = served.root / "课件.mp4"
    kept = path.with_name(".课件.mp4.kept")
    os.link(path, kept)
    try:
        os.symlink(served.secret, path.with_name("课件.mp4.link"))
        os.rename(path.with_name("课件.mp4.link"), path)
        item = served.ids["课件.mp4"]
        for url in (f"/stream/{item}", f"/subtitles/{item}/e2.vtt"):
            response = httpx.get(served.url + url, timeout=60)
            assert response.status_code == 410 and MARK.encode() not in response.content
        shutil.rmtree(served.settings.data_dir / "cache" / "posters", ignore_errors=True)
        response = httpx.get(f"{served.url}/posters/{item}.jpg", timeout=60)
        assert response.status_code == 410
    finally:
        os.rename(kept, path)
