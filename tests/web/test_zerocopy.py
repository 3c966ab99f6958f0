"""Zero-copy sends (web/server.py): sendfile into real sockets, and the range responder
over real HTTP through the server ``yuanjiao serve`` runs, byte-exact."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from test_ranges_property import assert_range_answer, headers, pattern
from yj_testing import running_app

from media.sources import FileSource, Segment, SegmentSource
from web import server
from web.library.streaming import NoObserver, Representation, StreamInfo, respond
from web.server import ZEROCOPY, ClientGone, sendfile_all

# --- sendfile_all on a socket pair -------------------------------------------------------


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    yield ours, theirs
    ours.close()
    theirs.close()


def receive_all(sock: socket.socket, count: int) -> bytes:
    got = bytearray()
    while len(got) < count:
        chunk = sock.recv(count - len(got))
        if not chunk:
            break
        got += chunk
    return bytes(got)


def test_sendfile_sends_the_slice_even_when_the_socket_fills(
        pair: tuple[socket.socket, socket.socket], tmp_path: Path) -> None:
    data = os.urandom(3 << 20)  # far more than a socket buffer holds
    (tmp_path / "f").write_bytes(data)
    ours, theirs = pair
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(receive_all(theirs, 2 << 20)))
    reader.start()
    with FileSource(tmp_path / "f") as source:
        fd, offset, count = source.runs(12345, 2 << 20)[0]
        assert sendfile_all(ours.fileno(), fd, offset, count) == count
    reader.join(10)
    assert received == [data[12345:12345 + (2 << 20)]]


def test_sendfile_reports_a_file_that_ends_early(pair: tuple[socket.socket, socket.socket],
                                                 tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 1000)
    ours, theirs = pair
    with FileSource(tmp_path / "f") as source:
        fd = source.runs(0, 1)[0][0]
        os.truncate(tmp_path / "f", 600)
        assert sendfile_all(ours.fileno(), fd, 0, 1000) == 600
    assert receive_all(theirs, 600) == b"x" * 600


def test_sendfile_raises_client_gone_when_the_peer_closes(
        pair: tuple[socket.socket, socket.socket], tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"y" * (4 << 20))
    ours, theirs = pair
    theirs.close()
    with FileSource(tmp_path / "f") as source, pytest.raises(ClientGone):
        sendfile_all(ours.fileno(), source.runs(0, 1)[0][0], 0, 4 << 20)


def test_sendfile_gives_up_on_a_client_that_stops_reading(
        pair: tuple[socket.socket, socket.socket], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "SEND_STALL_SECONDS", 0.3)
    (tmp_path / "f").write_bytes(b"z" * (8 << 20))
    ours, _theirs = pair  # never read
    started = time.monotonic()
    with FileSource(tmp_path / "f") as source, pytest.raises(ClientGone, match="stopped"):
        sendfile_all(ours.fileno(), source.runs(0, 1)[0][0], 0, 8 << 20)
    assert time.monotonic() - started < 5


# --- the responder over real HTTP, zero-copy ---------------------------------------------

FILES = Path(tempfile.mkdtemp(prefix="yj-zerocopy-"))


def file_of(size: int) -> Path:
    path = FILES / f"{size}.bin"
    if not path.exists():
        path.write_bytes(pattern(size))
    return path


def segments_of(size: int) -> SegmentSource:
    """``pattern(size)`` scattered over two files, the way an ISO or a DVD title is."""
    left, right = FILES / "left.bin", FILES / "right.bin"
    if not left.exists():
        left.write_bytes(b"\xee" * 5000 + pattern(3000))
        right.write_bytes(b"\xdd" * 7000 + pattern(3000))
    half = size // 2
    return SegmentSource([Segment(os.fsencode(left), 5000, half),
                          Segment(os.fsencode(right), 7000 + half, size - half)])


class Recorder:
    def __init__(self) -> None:
        self.closed_streams: list[StreamInfo] = []

    def opened(self, stream: StreamInfo) -> None: ...
    def progressed(self, stream: StreamInfo, first: int, last: int) -> None: ...

    def closed(self, stream: StreamInfo) -> None:
        self.closed_streams.append(stream)


async def serve_file(request: Request) -> Response:
    size = request.path_params["size"]
    source: Any = (segments_of(size) if request.path_params["kind"] == "segments"
                   else FileSource(file_of(size)))
    rep = Representation(1, source.size, "video/mp4", '"x"', datetime(2020, 1, 1, tzinfo=UTC))
    return await respond(request, rep, source)


class CopiedSource:
    """A source the kernel cannot send (like a de-framed VCD track): bytes are copied."""

    def __init__(self, path: Path) -> None:
        self._file = FileSource(path)
        self.size = self._file.size
        self.read_at = self._file.read_at
        self.close = self._file.close


async def serve_big(request: Request) -> Response:
    source: Any = (CopiedSource(request.app.state.big) if "copied" in request.query_params
                   else FileSource(request.app.state.big))
    rep = Representation(2, source.size, "video/mp4", '"b"', datetime(2020, 1, 1, tzinfo=UTC))
    return await respond(request, rep, source)


async def extensions(request: Request) -> Response:
    return JSONResponse(sorted(request.scope.get("extensions", {})))


app = Starlette(routes=[Route("/{kind}/{size:int}", serve_file, methods=["GET", "HEAD"]),
                        Route("/big", serve_big), Route("/extensions", extensions)])
app.state.stream_observer = NoObserver()


@pytest.fixture(scope="module")
def live() -> Iterator[httpx.Client]:
    with running_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_the_server_offers_zerocopy_sends(live: httpx.Client) -> None:
    assert ZEROCOPY in live.get("/extensions").json()


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=0, max_value=3000), header=headers,
       kind=st.sampled_from(["file", "segments"]))
def test_zerocopy_answers_match_the_source(live: httpx.Client, size: int, header: str,
                                           kind: str) -> None:
    # On the wire a field value has no surrounding whitespace (RFC 9110 §5.5).
    response = live.get(f"/{kind}/{size}", headers={"Range": header.strip(" ")})
    assert_range_answer(response.status_code, response.headers, response.content,
                        pattern(size))


def test_head_sends_headers_only(live: httpx.Client) -> None:
    response = live.head("/file/2000", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.headers["content-length"] == "10"
    assert response.content == b""


@pytest.fixture
def big(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "big.bin"
    with path.open("wb") as out:
        for _ in range(64):
            out.write(os.urandom(1 << 20))
    app.state.big = path
    yield path


@pytest.mark.parametrize("path", ["/big", "/big?copied"])
def test_a_client_that_leaves_ends_the_stream(live: httpx.Client, big: Path, path: str) -> None:
    recorder = Recorder()
    app.state.stream_observer = recorder
    try:
        with live.stream("GET", path) as response:
            chunks = response.iter_raw(64 * 1024)
            first = next(chunks)
        # Leaving the with-block closed the connection after 64 KiB.
        deadline = time.monotonic() + 10
        while not recorder.closed_streams and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        app.state.stream_observer = NoObserver()
    assert first == big.read_bytes()[:len(first)]
    assert len(recorder.closed_streams) == 1
    # Counted: what reached the socket before the client left, not the whole file, and
    # not nothing either (the interrupted send still reports its part).
    assert len(first) <= recorder.closed_streams[0].bytes_sent < big.stat().st_size
    assert live.get("/file/100").content == pattern(100)  # the server serves on


def test_a_file_that_shrinks_mid_stream_closes_the_connection(live: httpx.Client,
                                                              big: Path) -> None:
    with live.stream("GET", "/big") as response:
        assert response.headers["content-length"] == str(64 << 20)
        chunks = response.iter_raw(1 << 20)
        received = len(next(chunks))
        os.truncate(big, 20 << 20)
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in chunks:
                received += len(chunk)
    assert received < 64 << 20
