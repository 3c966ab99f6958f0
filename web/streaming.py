"""Direct play: GET/HEAD /stream/{item_id} from any byte source with exact Range semantics.

Bytes are read 1 MiB at a time in a worker thread (constant memory per stream; Starlette's
64 KiB FileResponse chunks cost throughput). Every stream is announced to the app's
``stream_observer`` when it opens, as it progresses and when it ends: the playback
evidence ledger plugs in there.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from catalog import library
from catalog.errors import YuanjiaoError
from catalog.formats import mime_type
from media.items import SourceMissing, open_item_source
from media.sources import ByteSource
from web.ranges import Decision, content_range, decide

CHUNK = 1024 * 1024


class ItemGone(YuanjiaoError):
    status = 410


@dataclass
class StreamInfo:
    """What an observer learns about one response."""

    item_id: int
    client: str
    method: str  # direct
    ranges: tuple[tuple[int, int], ...]
    size: int
    user_agent: str = ""
    bytes_sent: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class StreamObserver(Protocol):
    def opened(self, stream: StreamInfo) -> None: ...
    def progressed(self, stream: StreamInfo, first: int, last: int) -> None: ...
    def closed(self, stream: StreamInfo) -> None: ...


class NoObserver:
    def opened(self, stream: StreamInfo) -> None: ...
    def progressed(self, stream: StreamInfo, first: int, last: int) -> None: ...
    def closed(self, stream: StreamInfo) -> None: ...


@dataclass(frozen=True)
class Representation:
    item_id: int
    size: int
    media_type: str
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class Located:
    """What serving an item needs from the catalog, kept briefly in memory: a player
    sends many range requests for one item, and each would otherwise query the database."""

    root: str
    rel_path_raw: bytes
    locator: dict[str, Any]
    media_type: str
    etag: str
    modified: datetime


class LocatedCache:
    TTL_SECONDS = 10.0  # a rescan's changes show within this time
    MAX_ITEMS = 4096

    def __init__(self) -> None:
        self._entries: dict[int, tuple[float, Located]] = {}

    def get(self, item_id: int) -> Located | None:
        found = self._entries.get(item_id)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, item_id: int, located: Located) -> None:
        if len(self._entries) >= self.MAX_ITEMS:
            self._entries.clear()
        self._entries[item_id] = (time.monotonic() + self.TTL_SECONDS, located)


def _locate(request: Request, item_id: int) -> Located:
    cache: LocatedCache = request.app.state.located
    found = cache.get(item_id)
    if found is not None:
        return found
    with request.app.state.db.session() as session:
        item = library.get_item(session, item_id)
        found = Located(
            item.root.path, bytes(item.rel_path_raw), dict(item.locator),
            mime_type(item.container, item.kind, item.rel_path),
            # Strong validator: the content fingerprint and size change with the bytes.
            f'"{item.fingerprint[:20]}-{item.size:x}"',
            datetime.fromtimestamp(item.mtime_ns / 1e9, UTC))
    cache.put(item_id, found)
    return found


def _load(request: Request, item_id: int) -> tuple[Representation, ByteSource]:
    located = _locate(request, item_id)
    try:
        source = open_item_source(located.root, located.rel_path_raw, located.locator)
    except (SourceMissing, OSError) as exc:
        raise ItemGone("item_gone", item_id=item_id) from exc
    return Representation(item_id, source.size, located.media_type, located.etag,
                          located.modified), source


def _not_modified(request: Request, rep: Representation) -> bool:
    asked = request.headers.get("if-none-match")
    if asked is None:
        return False
    # §13.1.2: weak comparison for If-None-Match.
    tags = {t.strip().removeprefix("W/") for t in asked.split(",")}
    return "*" in tags or rep.etag in tags


def _base_headers(rep: Representation) -> dict[str, str]:
    return {"accept-ranges": "bytes", "etag": rep.etag,
            "last-modified": format_datetime(rep.last_modified, usegmt=True)}


async def stream_item(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    rep, source = await run_in_threadpool(_load, request, item_id)
    return await respond(request, rep, source)


async def respond(request: Request, rep: Representation, source: ByteSource) -> Response:
    """The response for a GET or HEAD of ``source`` (which it closes when done)."""
    headers = _base_headers(rep)
    if _not_modified(request, rep):
        await run_in_threadpool(source.close)
        return Response(status_code=304, headers=headers)
    decision = decide(request.headers.get("range"), rep.size, request.headers.get("if-range"),
                      rep.etag, rep.last_modified)
    if decision.status == 416:
        await run_in_threadpool(source.close)
        headers["content-range"] = f"bytes */{rep.size}"
        return Response(status_code=416, headers=headers)
    body, length, media_type = _layout(decision, rep, headers)
    headers["content-length"] = str(length)
    info = StreamInfo(rep.item_id, request.client.host if request.client else "", "direct",
                      decision.ranges or ((0, rep.size - 1),) if rep.size else (), rep.size,
                      request.headers.get("user-agent", ""))
    send_body = request.method != "HEAD"
    # A HEAD sends no media: it is no playback.
    observer: StreamObserver = request.app.state.stream_observer if send_body else NoObserver()
    return StreamingResponse(
        _send(source, body if send_body else [], info, observer),
        status_code=decision.status, headers=headers, media_type=media_type)


Part = tuple[bytes, int, int]  # (preamble, first, last); first > last means no bytes


def _layout(decision: Decision, rep: Representation, headers: dict[str, str]
            ) -> tuple[list[Part], int, str]:
    if decision.whole:
        return [(b"", 0, rep.size - 1)], rep.size, rep.media_type
    if len(decision.ranges) == 1:
        first, last = decision.ranges[0]
        headers["content-range"] = content_range(first, last, rep.size)
        return [(b"", first, last)], last - first + 1, rep.media_type
    boundary = secrets.token_hex(16)
    parts: list[Part] = []
    for first, last in decision.ranges:
        preamble = (f"\r\n--{boundary}\r\nContent-Type: {rep.media_type}\r\n"
                    f"Content-Range: {content_range(first, last, rep.size)}\r\n\r\n").encode()
        parts.append((preamble, first, last))
    parts.append((f"\r\n--{boundary}--\r\n".encode(), 0, -1))
    length = sum(len(p) + max(0, last - first + 1) for p, first, last in parts)
    return parts, length, f"multipart/byteranges; boundary={boundary}"


async def _send(source: ByteSource, parts: list[Part], info: StreamInfo,
                observer: StreamObserver) -> AsyncIterator[bytes]:
    observer.opened(info)
    try:
        for preamble, first, last in parts:
            if preamble:
                yield preamble
            position = first
            while position <= last:
                data = await anyio.to_thread.run_sync(source.read_at, position,
                                                      min(CHUNK, last - position + 1))
                if not data:
                    return  # the file shrank under us; the client sees a short body
                yield data
                info.bytes_sent += len(data)
                observer.progressed(info, position, position + len(data) - 1)
                position += len(data)
    finally:
        observer.closed(info)
        source.close()  # closing a descriptor does not block

