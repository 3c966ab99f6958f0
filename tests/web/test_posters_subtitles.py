"""Posters and subtitles over real HTTP: GBK sidecars, embedded text streams, no links."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from yj_testing import make_settings, running_server

from catalog import library
from catalog.db import Database
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg

SRT = "1\r\n00:00:00,500 --> 00:00:02,000\r\n新农合报销比例\r\n\r\n"
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,水稻插秧要点
"""  # noqa: E501


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory,
           demo_library: Path) -> Iterator[tuple[str, dict[str, int]]]:
    root = tmp_path_factory.mktemp("subs") / "库"
    root.mkdir()
    shutil.copy(demo_library / "农村政策法规/新农合政策问答.mp4", root / "课件.mp4")
    (root / "课件.chs.srt").write_bytes(SRT.encode("gbk"))  # written on an old Windows PC
    (root / "课件.ass").write_text(ASS, encoding="utf-8")
    os.symlink("/etc/passwd", root / "课件.en.srt")  # a sidecar link is never read
    srt = root / "embedded.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\n内嵌字幕\n", encoding="utf-8")
    rice = demo_library / "先进适用科技/rice.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(rice), "-i", str(srt),
                    "-map", "0", "-map", "1", "-c", "copy", "-c:s", "mov_text",
                    str(root / "内嵌.mp4")], check=True)
    srt.unlink()
    shutil.copy(demo_library / "健康娱乐文化/黄梅戏选段.mp3", root / "audio.mp3")
    data = tmp_path_factory.mktemp("subs-data")
    settings = make_settings(data, f"sqlite:///{data / 'catalog.sqlite3'}")
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.session() as session:
        ids = {i.rel_path: i.id for i in library.all_items(session)}
    with running_server(settings, db) as url:
        yield url, ids
    db.close()


def test_sidecars_are_listed_and_links_are_not(served: tuple[str, dict[str, int]]) -> None:
    url, ids = served
    tracks = httpx.get(f"{url}/api/items/{ids['课件.mp4']}/subtitles").json()["subtitles"]
    assert [(t["label"], t["language"]) for t in tracks] == [("ass", "zh"), ("chs", "zh")]


def test_a_gbk_srt_becomes_utf8_webvtt(served: tuple[str, dict[str, int]]) -> None:
    url, ids = served
    tracks = httpx.get(f"{url}/api/items/{ids['课件.mp4']}/subtitles").json()["subtitles"]
    srt = next(t for t in tracks if t["label"] == "chs")
    vtt = httpx.get(url + srt["url"])
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert vtt.text.startswith("WEBVTT")
    assert "00:00:00.500 --> 00:00:02.000" in vtt.text and "新农合报销比例" in vtt.text


def test_an_ass_sidecar_is_converted_by_ffmpeg(served: tuple[str, dict[str, int]]) -> None:
    url, ids = served
    vtt = httpx.get(f"{url}/subtitles/{ids['课件.mp4']}/s0.vtt")
    assert vtt.status_code == 200 and "水稻插秧要点" in vtt.text
    assert "00:01.000 --> 00:02.500" in vtt.text


def test_an_embedded_text_stream_is_webvtt(served: tuple[str, dict[str, int]]) -> None:
    url, ids = served
    tracks = httpx.get(f"{url}/api/items/{ids['内嵌.mp4']}/subtitles").json()["subtitles"]
    assert len(tracks) == 1 and tracks[0]["id"].startswith("e")
    vtt = httpx.get(url + tracks[0]["url"])
    assert "内嵌字幕" in vtt.text and "00:01.000 --> 00:03.000" in vtt.text


@pytest.mark.parametrize("track", ["s9", "e0", "x1", "s-1"])
def test_unknown_tracks_are_404(served: tuple[str, dict[str, int]], track: str) -> None:
    url, ids = served
    response = httpx.get(f"{url}/subtitles/{ids['课件.mp4']}/{track}.vtt")
    assert response.status_code == 404 and b"root:" not in response.content


def test_posters_are_jpeg_and_cached(served: tuple[str, dict[str, int]]) -> None:
    url, ids = served
    first = httpx.get(f"{url}/posters/{ids['课件.mp4']}.jpg", timeout=60)
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    assert first.content[:2] == b"\xff\xd8"
    again = httpx.get(f"{url}/posters/{ids['课件.mp4']}.jpg")
    assert again.content == first.content
    assert httpx.get(f"{url}/posters/{ids['audio.mp3']}.jpg").status_code == 404


def test_the_watch_page_offers_poster_and_subtitles(served: tuple[str, dict[str, int]]) -> None:
    url, ids = served
    page = httpx.get(f"{url}/watch/{ids['课件.mp4']}", headers={"Accept-Language": "zh"}).text
    assert f'poster="/posters/{ids["课件.mp4"]}.jpg"' in page
    assert page.count('<track kind="subtitles"') == 2


