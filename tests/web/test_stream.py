"""Direct play over real HTTP: RFC 9110 ranges, validators and HEAD, from files and from
inside disc images, byte-exact."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
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
    ids: dict[str, int]  # name -> item id
    bodies: dict[str, bytes]  # name -> the item's exact bytes


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, demo_library: Path,
           disc_images: Any) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("stream") / "库"
    root.mkdir()
    shutil.copy(demo_library / "先进适用科技/rice.mp4", root / "水稻.mp4")
    shutil.copy(demo_library / "健康娱乐文化/黄梅戏选段.mp3", root / "黄梅戏.mp3")
    (root / "tiny.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    shutil.copy(disc_images.data_iso, root / "资料盘.iso")
    shutil.copy(disc_images.dvd_iso, root / "dvd.iso")
    data = tmp_path_factory.mktemp("stream-data")
    settings = make_settings(data, f"sqlite:///{data / 'catalog.sqlite3'}")
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.session() as session:
        items = {i.rel_path: i for i in library.all_items(session)}
    ids = {
        "mp4": items["水稻.mp4"].id,
        "mp3": items["黄梅戏.mp3"].id,
        "pdf": items["tiny.pdf"].id,
        "iso_file": next(i.id for p, i in items.items() if p.endswith("新农合政策问答.mp4")),
        "dvd_title": next(i.id for i in items.values() if i.disc_index == 2
                          and i.rel_path.startswith("dvd.iso")),
    }
    bodies = {
        "mp4": (root / "水稻.mp4").read_bytes(),
        "mp3": (root / "黄梅戏.mp3").read_bytes(),
        "pdf": (root / "tiny.pdf").read_bytes(),
        "iso_file": (disc_images.data_files / "课件/政策/新农合政策问答.mp4").read_bytes(),
    }
    with running_server(settings, db) as url:
        with httpx.Client(base_url=url) as client:
            bodies["dvd_title"] = client.get(f"/stream/{ids['dvd_title']}").content
        yield Served(url, ids, bodies)
    db.close()


def fetch(served: Served, name: str, method: str = "GET", **headers: str) -> httpx.Response:
    with httpx.Client(base_url=served.url) as client:
        return client.request(method, f"/stream/{served.ids[name]}", headers=headers)


N = "N"  # stands for the item's size in the table below

# (item, Range header, status, expected (first, last) or None for the whole body)
CASES: list[tuple[str, str | None, int, tuple[int, int | str] | None]] = [
    ("mp4", None, 200, None),
    ("mp4", "bytes=0-0", 206, (0, 0)),
    ("mp4", "bytes=0-99", 206, (0, 99)),
    ("mp4", "bytes=100-199", 206, (100, 199)),
    ("mp4", "bytes=1000-", 206, (1000, N)),
    ("mp4", "bytes=-500", 206, (-500, N)),
    ("mp4", "bytes=-99999999", 206, (0, N)),  # a suffix longer than the file: all of it
    ("mp4", "bytes=0-99999999", 206, (0, N)),  # a last position past the end is clamped
    ("mp4", "bytes=99999999-", 416, None),
    ("mp4", "bytes=-0", 416, None),
    ("mp4", "items=0-10", 200, None),  # unknown unit: ignored
    ("mp4", "bytes=10-5", 200, None),  # invalid: ignored, not 400
    ("mp4", "bytes=abc", 200, None),
    ("mp4", "bytes=", 200, None),
    ("mp4", "bytes=0-9,5-14", 206, (0, 14)),  # overlapping ranges are merged
    ("mp4", "bytes=0-9,10-19", 206, (0, 19)),  # adjacent too
    ("mp4", "BYTES=0-9", 206, (0, 9)),  # the unit is case-insensitive
    ("mp4", "bytes=0-9, ,20-29", 206, None),  # empty list elements are allowed (multipart)
    ("mp3", "bytes=0-0", 206, (0, 0)),
    ("mp3", "bytes=-1", 206, (-1, N)),
    ("pdf", "bytes=0-4", 206, (0, 4)),
    ("iso_file", None, 200, None),
    ("iso_file", "bytes=0-1023", 206, (0, 1023)),
    ("iso_file", "bytes=-2048", 206, (-2048, N)),
    ("iso_file", "bytes=300000-", 206, (300000, N)),
    ("dvd_title", "bytes=0-2047", 206, (0, 2047)),
    ("dvd_title", "bytes=1000000-1100000", 206, (1000000, 1100000)),
    ("dvd_title", "bytes=99999999-", 416, None),
]


@pytest.mark.parametrize(("name", "range_header", "status", "span"), CASES)
def test_range_cases(served: Served, name: str, range_header: str | None, status: int,
                     span: tuple[int, int | str] | None) -> None:
    body = served.bodies[name]
    size = len(body)
    response = fetch(served, name, **({"Range": range_header} if range_header else {}))
    assert response.status_code == status
    assert response.headers["accept-ranges"] == "bytes"
    if status == 416:
        assert response.headers["content-range"] == f"bytes */{size}"
        assert response.content == b""
        return
    assert int(response.headers["content-length"]) == len(response.content)
    if status == 200:
        assert response.content == body and "content-range" not in response.headers
        return
    if span is None:  # multipart: checked in its own test
        assert response.headers["content-type"].startswith("multipart/byteranges")
        return
    first = span[0] if span[0] >= 0 else size + span[0]
    last = size - 1 if span[1] == N else int(span[1])
    assert response.headers["content-range"] == f"bytes {first}-{last}/{size}"
    assert response.content == body[first:last + 1]


def parse_multipart(response: httpx.Response) -> list[tuple[str, bytes]]:
    boundary = re.search(r"boundary=(\S+)", response.headers["content-type"]).group(1)
    parts = []
    for chunk in response.content.split(f"--{boundary}".encode())[1:-1]:
        head, _, data = chunk.partition(b"\r\n\r\n")
        content_range = re.search(rb"Content-Range: (bytes \S+)", head).group(1).decode()
        parts.append((content_range, data[:-2]))  # the CRLF before the next boundary
    return parts


def test_multiple_ranges_are_multipart_byteranges(served: Served) -> None:
    body = served.bodies["iso_file"]
    response = fetch(served, "iso_file", Range="bytes=0-9,100-199,-5")
    assert response.status_code == 206
    assert int(response.headers["content-length"]) == len(response.content)
    size = len(body)
    assert parse_multipart(response) == [
        (f"bytes 0-9/{size}", body[0:10]),
        (f"bytes 100-199/{size}", body[100:200]),
        (f"bytes {size - 5}-{size - 1}/{size}", body[-5:]),
    ]


def test_parts_come_in_the_order_they_were_asked(served: Served) -> None:
    """RFC 9110 §14.6: parts in the order of the header; overlapping ones merged into the
    place of the first of them."""
    body = served.bodies["iso_file"]
    size = len(body)
    response = fetch(served, "iso_file", Range="bytes=-5,100-199,0-9,150-249")
    assert parse_multipart(response) == [
        (f"bytes {size - 5}-{size - 1}/{size}", body[-5:]),
        (f"bytes 100-249/{size}", body[100:250]),
        (f"bytes 0-9/{size}", body[0:10]),
    ]


def test_a_thousand_ranges_are_answered_whole(served: Served) -> None:
    header = "bytes=" + ",".join(f"{n * 10}-{n * 10 + 1}" for n in range(1000))
    response = fetch(served, "mp4", Range=header)
    assert response.status_code == 200 and response.content == served.bodies["mp4"]


def test_head_has_the_headers_and_no_body(served: Served) -> None:
    whole = fetch(served, "mp4", "HEAD")
    assert whole.status_code == 200 and whole.content == b""
    assert int(whole.headers["content-length"]) == len(served.bodies["mp4"])
    assert whole.headers["content-type"] == "video/mp4"
    part = fetch(served, "mp4", "HEAD", Range="bytes=10-19")
    assert part.status_code == 206 and part.headers["content-length"] == "10"
    assert part.headers["content-range"].startswith("bytes 10-19/")


@pytest.mark.parametrize(("name", "media_type"), [
    ("mp4", "video/mp4"), ("mp3", "audio/mpeg"), ("pdf", "application/pdf"),
    ("iso_file", "video/mp4"), ("dvd_title", "video/mpeg")])
def test_content_types_come_from_the_probe(served: Served, name: str, media_type: str) -> None:
    assert fetch(served, name, "HEAD").headers["content-type"] == media_type


def test_if_range_with_the_current_etag_or_date_honours_the_range(served: Served) -> None:
    head = fetch(served, "mp4", "HEAD")
    etag, modified = head.headers["etag"], head.headers["last-modified"]
    assert etag.startswith('"')  # strong
    for validator in (etag, modified):
        response = fetch(served, "mp4", Range="bytes=0-9", **{"If-Range": validator})
        assert response.status_code == 206 and len(response.content) == 10


@pytest.mark.parametrize("validator", [
    '"stale-etag"', "W/\"whatever\"",
    format_datetime(datetime(2001, 1, 1, tzinfo=UTC), usegmt=True), "not a date"])
def test_if_range_that_does_not_match_sends_the_whole_body(served: Served,
                                                           validator: str) -> None:
    response = fetch(served, "mp4", Range="bytes=0-9", **{"If-Range": validator})
    assert response.status_code == 200 and response.content == served.bodies["mp4"]


def test_if_none_match_gives_304(served: Served) -> None:
    etag = fetch(served, "mp4", "HEAD").headers["etag"]
    response = fetch(served, "mp4", **{"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""


def test_preconditions_are_answered_in_the_rfcs_order(served: Served) -> None:
    """RFC 9110 §13.2.2: If-Match, else If-Unmodified-Since (412 when they fail); then
    If-None-Match, else If-Modified-Since (304 for GET and HEAD); then Range."""
    head = fetch(served, "mp4", "HEAD")
    etag, modified = head.headers["etag"], head.headers["last-modified"]
    mtime = parsedate_to_datetime(modified)
    before = format_datetime(mtime - timedelta(seconds=1), usegmt=True)
    after = format_datetime(mtime + timedelta(days=1), usegmt=True)
    body = served.bodies["mp4"]
    cases = [
        ({"If-Match": '"other"'}, 412), ({"If-Match": f'"x", {etag}'}, 200),
        ({"If-Match": "*"}, 200), ({"If-Match": f"W/{etag}"}, 412),  # strong comparison
        ({"If-Unmodified-Since": before}, 412), ({"If-Unmodified-Since": modified}, 200),
        ({"If-Unmodified-Since": "not a date"}, 200),  # invalid: ignored
        ({"If-Match": etag, "If-Unmodified-Since": before}, 200),  # If-Match wins
        ({"If-None-Match": f"W/{etag}"}, 304), ({"If-None-Match": '"other"'}, 200),
        ({"If-Modified-Since": modified}, 304), ({"If-Modified-Since": after}, 304),
        ({"If-Modified-Since": before}, 200), ({"If-Modified-Since": "Tuesday"}, 200),
        ({"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),  # INM wins
        ({"If-Match": '"other"', "If-None-Match": etag}, 412),
        ({"If-Modified-Since": modified.replace("GMT", "-0000")}, 304),
    ]
    for headers, status in cases:
        response = fetch(served, "mp4", Range="bytes=0-9", **headers)
        got = 206 if status == 200 else status
        assert response.status_code == got, headers
        if got == 206:
            assert response.content == body[:10], headers
        else:
            assert response.content == b"" and response.headers["etag"] == etag, headers


@pytest.mark.parametrize("path", ["/stream/999999", "/stream/0", "/stream/2147483648",
                                  "/stream/..%2F..%2Fetc%2Fpasswd", "/stream/abc"])
def test_unknown_ids_are_404_without_a_byte_of_anything(served: Served, path: str) -> None:
    with httpx.Client(base_url=served.url) as client:
        response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert b"root:" not in response.content and b"Traceback" not in response.content


def test_curl_and_ffprobe_read_the_live_stream(served: Served, tmp_path: Path) -> None:
    url = f"{served.url}/stream/{served.ids['iso_file']}"
    out = tmp_path / "part"
    subprocess.run(["curl", "-s", "-r", "100-199", "-o", str(out), url], check=True)
    assert out.read_bytes() == served.bodies["iso_file"][100:200]
    # Resuming a partial download continues it with an open-ended range. The partial
    # file is 1000 zero bytes, so a tool that fetched everything again would be caught.
    body = served.bodies["iso_file"]
    tools = [["curl", "-s", "-C", "-", "-o"]]
    if shutil.which("wget"):  # Debian has it; the real thing when it is there
        tools.append(["wget", "-q", "-c", "-O"])
    for argv in tools:
        resume = tmp_path / f"resume-{argv[0]}.mp4"
        resume.write_bytes(bytes(1000))
        subprocess.run([*argv, str(resume), url], check=True)
        assert resume.read_bytes() == bytes(1000) + body[1000:], argv[0]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "csv=p=0", f"{served.url}/stream/{served.ids['dvd_title']}"],
                           capture_output=True, text=True, check=True)
    assert float(probe.stdout) == pytest.approx(7, abs=1)


def test_a_vanished_file_is_410_gone(tmp_path: Path, demo_library: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    shutil.copy(demo_library / "先进适用科技/rice.mp4", root / "a.mp4")
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    os.remove(root / "a.mp4")
    os.symlink("/etc/passwd", root / "a.mp4")  # replaced by a link leaving the library
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        response = client.get("/stream/1", headers={"Accept": "application/json"})
        page = client.get("/stream/1", headers={"Accept-Language": "zh-CN"})
    db.close()
    assert response.status_code == 410 and response.json()["error"] == "item_gone"
    assert b"root:" not in response.content
    assert page.status_code == 410 and "重新扫描" in page.text


def test_a_vob_replaced_by_a_link_leaving_the_library_is_410(tmp_path: Path,
                                                            disc_images: Any) -> None:
    # The check is made on each file a DVD title opens, not only on the disc's folder.
    root = tmp_path / "lib"
    root.mkdir()
    shutil.copytree(disc_images.video_ts, root / "光盘" / "VIDEO_TS")
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.session() as session:
        title = next(i for i in library.all_items(session) if i.disc_index == 1)
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        assert client.get(f"/stream/{title.id}", headers={"Range": "bytes=0-9"}
                          ).status_code == 206
        vob = root / "光盘" / "VIDEO_TS" / "VTS_01_1.VOB"
        os.remove(vob)
        os.symlink("/etc/passwd", vob)
        response = client.get(f"/stream/{title.id}", headers={"Accept": "application/json"})
    db.close()
    assert response.status_code == 410 and response.json()["error"] == "item_gone"
    assert b"root:" not in response.content
