"""Hand a byte source to ffprobe/ffmpeg as a local HTTP URL with Range support.

A DVD title or a VCD track is not a file, and extracting it would cost the disk space
stations do not have. ffmpeg reads HTTP with seeking (Range requests), so a tiny server
on 127.0.0.1 serves each registered source under an unguessable token for as long as a
probe or transcode needs it. Only sources registered by our own code are served.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from media.sources import ByteSource

CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


class _Handler(BaseHTTPRequestHandler):
    sources: ClassVar[dict[str, ByteSource]]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # ffmpeg makes many range requests; they are not news

    def _source(self) -> ByteSource | None:
        return self.sources.get(self.path.lstrip("/"))

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        source = self._source()
        if source is None:
            self.send_error(404)
            return
        size = source.size
        start, end = 0, size - 1
        match = _RANGE.match(self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(206 if match else 200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        if match:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if send_body:
            self._copy(source, start, end)

    def _copy(self, source: ByteSource, start: int, end: int) -> None:
        position = start
        try:
            while position <= end:
                data = source.read_at(position, min(CHUNK, end - position + 1))
                if not data:
                    break
                self.wfile.write(data)
                position += len(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # ffmpeg closes connections when it seeks elsewhere
        except OSError:
            self.close_connection = True  # a truncated image: ffmpeg sees a short read


class SourceFeed:
    """A loopback HTTP server for byte sources; start once, register as needed."""

    def __init__(self) -> None:
        self._sources: dict[str, ByteSource] = {}

        class FeedHandler(_Handler):
            sources = self._sources

        handler = FeedHandler
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="source-feed")
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @contextmanager
    def serve(self, source: ByteSource) -> Iterator[str]:
        """A URL for the source, valid inside the ``with`` block."""
        token = secrets.token_urlsafe(16)
        self._sources[token] = source
        try:
            yield f"http://127.0.0.1:{self.port}/{token}"
        finally:
            self._sources.pop(token, None)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


_shared: SourceFeed | None = None
_shared_lock = threading.Lock()


def shared_feed() -> SourceFeed:
    """One feed per process, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SourceFeed()
        return _shared
