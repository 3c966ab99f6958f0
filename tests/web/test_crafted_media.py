"""Crafted media over the live server: an AVI smuggling a playlist in a GAB2 subtitle
chunk (the 2017 ffmpeg local-file-read trick) and playlists lying in the library.
Probing, posters, subtitles and HLS of each read no byte of the files they name and
make no connection to a canary port."""

from __future__ import annotations

import os
import socket
import struct
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


def _chunk(fcc: bytes, data: bytes) -> bytes:
    return fcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def gab2(payload: bytes) -> bytes:
    """A GAB2 subtitle packet as ffmpeg's AVI demuxer reads it (avidec.c, read_gab2_sub):
    magic, version 2, a UTF-16 name, a type and the embedded file."""
    name = "字幕".encode("utf-16le") + b"\0\0"
    return (b"GAB2\0" + struct.pack("<HI", 2, len(name)) + name
            + struct.pack("<HI", 4, len(payload)) + payload)


def with_gab2_stream(avi: bytes, payload: bytes) -> bytes:
    """``avi`` (as ffmpeg writes it) with one more stream, of text, whose only packet is
    ``payload`` in a GAB2 chunk."""
    assert avi[:4] == b"RIFF" and avi[8:12] == b"AVI "
    chunks: list[tuple[bytes, bytes]] = []
    position = 12
    while position + 8 <= len(avi):
        fcc, size = avi[position:position + 4], struct.unpack("<I", avi[position + 4:
                                                                         position + 8])[0]
        chunks.append((fcc, avi[position + 8:position + 8 + size]))
        position += 8 + size + (size & 1)
    packet = gab2(payload)
    hdrl = next(data for fcc, data in chunks if fcc == b"LIST" and data[:4] == b"hdrl")
    tag = b"%02dtx" % hdrl.count(b"strl")  # the new stream's number, then "tx"
    strh = (b"txts" + struct.pack("<IIHHIIIIIIII", 0, 0, 0, 0, 0, 1, 25, 0, 1, len(packet),
                                  0, 0) + struct.pack("<4h", 0, 0, 0, 0))
    strl = b"strl" + _chunk(b"strh", strh) + _chunk(b"strf", b"")
    out = b""
    for fcc, data in chunks:
        if fcc == b"LIST" and data[:4] == b"hdrl":
            avih_at = data.index(b"avih") + 8
            streams_at = avih_at + 24  # dwStreams
            streams = struct.unpack("<I", data[streams_at:streams_at + 4])[0]
            data = (data[:streams_at] + struct.pack("<I", streams + 1) + data[streams_at + 4:]
                    + _chunk(b"LIST", strl))
        elif fcc == b"LIST" and data[:4] == b"movi":
            movi_size = len(data)
            data = data + _chunk(tag, packet)
        elif fcc == b"idx1":
            # Offsets count from the "movi" tag: the new chunk sits where movi ended.
            data = data + tag + struct.pack("<III", 0x10, movi_size, len(packet))
        out += _chunk(fcc, data)
    return b"RIFF" + struct.pack("<I", len(out) + 4) + b"AVI " + out


@pytest.fixture
def canary() -> Iterator[tuple[socket.socket, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.5)
        yield sock, sock.getsockname()[1]


def test_the_crafting_is_real(tmp_path: Path, demo_library: Path) -> None:
    # The same AVI with a harmless SRT in the chunk: ffmpeg, left to itself, reads the
    # GAB2 packet and finds a subtitle in it. So the chunks below are the real trick.
    base = (demo_library / "政治理论/形势与政策报告会.avi").read_bytes()
    srt = "1\n00:00:00,000 --> 00:00:02,000\n学习\n\n".encode()
    (tmp_path / "srt.avi").write_bytes(with_gab2_stream(base, srt))
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                           "-of", "csv=p=0", str(tmp_path / "srt.avi")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["mpeg4", "mp3", "subrip"]


def test_crafted_files_read_nothing_and_connect_nowhere(
        tmp_path: Path, demo_library: Path, canary: tuple[socket.socket, int]) -> None:
    sock, port = canary
    # /etc/hostname as in the published trick, and a file of ours whose content cannot
    # turn up in a video by chance (a host name of two letters could).
    secret = f"YJ-SECRET-{os.urandom(12).hex()}".encode()
    (tmp_path / "secret.txt").write_bytes(secret)
    playlist = ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nfile:///etc/hostname\n"
                f"#EXTINF:1.0,\nfile://{tmp_path}/secret.txt\n"
                f"#EXTINF:1.0,\nhttp://127.0.0.1:{port}/x.ts\n#EXT-X-ENDLIST\n")
    concat = (f"ffconcat version 1.0\nfile /etc/hostname\nfile {tmp_path}/secret.txt\n"
              f"file http://127.0.0.1:{port}/y\n")
    root = tmp_path / "lib"
    root.mkdir()
    base = (demo_library / "政治理论/形势与政策报告会.avi").read_bytes()
    (root / "播放列表字幕.avi").write_bytes(with_gab2_stream(base, playlist.encode()))
    (root / "拼接字幕.avi").write_bytes(with_gab2_stream(base, concat.encode()))
    (root / "课件.m3u8").write_text(playlist)
    (root / "list.ffconcat").write_text(concat)
    (root / "伪装.avi").write_text(playlist)

    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'c.db'}")
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.session() as session:
        ids = {i.rel_path: i.id for i in library.all_items(session)}
    assert set(ids) == {"播放列表字幕.avi", "拼接字幕.avi"}  # playable; the rest refused
    bodies: list[bytes] = []
    with running_server(settings, db) as url, httpx.Client(base_url=url, timeout=120) as http:
        for item_id in ids.values():
            for path in (f"/api/items/{item_id}", f"/posters/{item_id}.jpg",
                         f"/api/items/{item_id}/subtitles", f"/hls/{item_id}/main.m3u8"):
                response = http.get(path)
                assert response.status_code == 200, path
                bodies.append(response.content)
            segments = [line for line in bodies[-1].decode().splitlines()
                        if line.endswith(".ts")]
            for segment in segments:
                response = http.get(f"/hls/{item_id}/{segment}")
                assert response.status_code == 200
                bodies.append(response.content)
            bodies.append(http.get(f"/stream/{item_id}").content)
    db.close()
    with pytest.raises(TimeoutError):
        sock.accept()
    assert [n for n, body in enumerate(bodies) if secret in body] == []
