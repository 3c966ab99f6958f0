"""Direct play: GET/HEAD /stream/{item_id} from any byte source with exact Range semantics.

The kernel sends the bytes where it can (web/server.py), else they are read 1 MiB at a time
in a worker thread: constant memory per stream either way. Every stream is announced to the app's
``stream_observer`` when it opens, as it progresses and when it ends: the playback
evidence ledger plugs in there.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from catalog import library
from catalog.errors import YuanjiaoError
from catalog.library.formats import mime_type
from catalog.messages import message
from media.items import SourceMissing, open_item_source
from media.sources import ByteSource, FileBacked
from web.i18n import pick_lang
from web.library.ranges import Decision, content_range, decide, precondition
from web.server import ZEROCOPY, ClientGone

VIEW = re.compile(r"[0-9a-f]{32}")
CHUNK = 1024 * 1024  # copied sends: Starlette's 64 KiB costs two thirds of the throughput
ZEROCOPY_CHUNK = 8 * CHUNK  # kernel sends: the observer hears of progress this often


class ItemGone(YuanjiaoError):
    status = 410


@dataclass
class StreamInfo:
    """What an observer learns about one response."""

    item_id: int
    client: str
    method: str  # direct | hls
    ranges: tuple[tuple[int, int], ...]
    size: int
    user_agent: str = ""
    title: str = ""
    # The media time the bytes 0..size cover: the item's duration for direct play, the
    # segment's times for HLS; None when the item has no duration (a document).
    span: tuple[float, float] | None = None
    # Who is watching, when known: request.state.member and .station, which web/auth.py
    # sets from the session cookie or the station token the requests carry.
    member: str | None = None
    station: str | None = None
    session: str | None = None  # the study session a station's TV mode is playing
    view: str | None = None  # the player page's id for its playback (web/evidence/view_reports.py)
    bytes_sent: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def view_param(request: Request) -> str | None:
    """``?view=…``: the player page's own id for its playback, 32 lowercase hex digits."""
    raw = request.query_params.get("view", "")
    return raw if VIEW.fullmatch(raw) else None


def session_param(request: Request) -> str | None:
    """``?session=N`` from the TV mode and exported playlists: which study session a
    stream belongs to, recorded with its playback. An export's token names its own
    session (web/auth.py), which no query can change."""
    forced = getattr(request.state, "session", None)
    if isinstance(forced, str):
        return forced
    raw = request.query_params.get("session", "")
    return raw if raw.isdigit() and len(raw) <= 12 else None


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
    title: str = ""
    span: tuple[float, float] | None = None
    method: str = "direct"


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
    title: str
    duration: float | None


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
            datetime.fromtimestamp(item.mtime_ns / 1e9, UTC), item.title, item.duration)
    cache.put(item_id, found)
    return found


def _load(request: Request, item_id: int) -> tuple[Representation, ByteSource]:
    located = _locate(request, item_id)
    try:
        source = open_item_source(located.root, located.rel_path_raw, located.locator)
    except (SourceMissing, OSError) as exc:
        raise ItemGone("item_gone", item_id=item_id) from exc
    span = (0.0, located.duration) if located.duration else None
    return Representation(item_id, source.size, located.media_type, located.etag,
                          located.modified, located.title, span), source


def _base_headers(rep: Representation) -> dict[str, str]:
    return {"accept-ranges": "bytes", "etag": rep.etag,
            "last-modified": format_datetime(rep.last_modified, usegmt=True)}


async def stream_item(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    rep, source = await run_in_threadpool(_load, request, item_id)
    return await respond(request, rep, source)


def unrecorded(request: Request) -> Response | None:
    """A 503 while the ledger cannot be written (``refuse_unrecorded``): a stream the
    evidence does not hold is not served (fail closed)."""
    evidence = getattr(request.app.state, "evidence", None)
    if evidence is None or not request.app.state.settings.refuse_unrecorded:
        return None
    state = evidence.state
    if not state.failing:
        return None
    text = message("ledger_failing_refused", pick_lang(request), error=state.error)
    return Response(text, status_code=503, media_type="text/plain; charset=utf-8",
                    headers={"retry-after": "10"})


async def respond(request: Request, rep: Representation, source: ByteSource) -> Response:
    """The response for a GET or HEAD of ``source`` (which it closes when done)."""
    if request.method != "HEAD" and (refused := unrecorded(request)) is not None:
        await run_in_threadpool(source.close)
        return refused
    headers = _base_headers(rep)
    if (status := precondition(request.method, request.headers, rep.etag,
                               rep.last_modified)) is not None:
        await run_in_threadpool(source.close)
        return Response(status_code=status, headers=headers)
    decision = decide(request.headers.get("range"), rep.size, request.headers.get("if-range"),
                      rep.etag, rep.last_modified)
    if decision.status == 416:
        await run_in_threadpool(source.close)
        headers["content-range"] = f"bytes */{rep.size}"
        return Response(status_code=416, headers=headers)
    body, length, media_type = _layout(decision, rep, headers)
    headers["content-length"] = str(length)
    info = StreamInfo(rep.item_id, request.client.host if request.client else "", rep.method,
                      decision.ranges or ((0, rep.size - 1),) if rep.size else (), rep.size,
                      request.headers.get("user-agent", ""), rep.title, rep.span,
                      getattr(request.state, "member", None),
                      station=getattr(request.state, "station", None),
                      session=session_param(request), view=view_param(request))
    # A HEAD sends no media: it is no playback.
    observer: StreamObserver = (request.app.state.stream_observer
                                if request.method != "HEAD" else NoObserver())
    return SourceResponse(source, body, info, observer, decision.status, headers, media_type)


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


class SourceResponse(Response):
    """Sends parts of a byte source. Where the server offers zero-copy sends (web/server.py)
    and the bytes lie unchanged in files, the kernel sends them; otherwise they are read
    1 MiB at a time in a worker thread. Memory per stream stays constant either way."""

    def __init__(self, source: ByteSource, parts: list[Part], info: StreamInfo,
                 observer: StreamObserver, status_code: int, headers: dict[str, str],
                 media_type: str) -> None:
        super().__init__(None, status_code, headers, media_type)
        self.source, self.parts, self.info, self.observer = source, parts, info, observer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            zerocopy = ZEROCOPY in scope.get("extensions", {}) and isinstance(self.source,
                                                                              FileBacked)
            if zerocopy:
                await self._send_parts(send, zerocopy=True)
            else:
                await self._send_parts_watching(send, receive)
        except ClientGone:
            pass  # the connection is closed; nothing more to say to anyone
        finally:
            self.source.close()  # closing a descriptor does not block

    async def _send_parts_watching(self, send: Any, receive: Any) -> None:
        # Without the zero-copy server, send() cannot tell that the client left (ASGI
        # before 2.4), so a listener stops the copying when it does.
        async with anyio.create_task_group() as group:
            async def stop_on_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(stop_on_disconnect)
            await self._send_parts(send, zerocopy=False)
            group.cancel_scope.cancel()

    async def _send_parts(self, send: Any, zerocopy: bool) -> None:
        info, observer = self.info, self.observer
        observer.opened(info)
        try:
            for preamble, first, last in self.parts:
                if preamble:
                    await send({"type": "http.response.body", "body": preamble,
                                "more_body": True})
                position = first
                while position <= last:
                    if zerocopy:
                        try:
                            sent = await self._send_runs(send, position, last)
                        except ClientGone as gone:
                            # What reached the socket before the client left counts.
                            if gone.sent:
                                info.bytes_sent += gone.sent
                                observer.progressed(info, position, position + gone.sent - 1)
                            raise
                    else:
                        sent = await self._send_copy(send, position, last)
                    if not sent:
                        raise ClientGone("the source ended before the promised length")
                    info.bytes_sent += sent
                    observer.progressed(info, position, position + sent - 1)
                    position += sent
            await send({"type": "http.response.body", "body": b""})
        finally:
            observer.closed(info)

    async def _send_runs(self, send: Any, position: int, last: int) -> int:
        assert isinstance(self.source, FileBacked)
        sent = 0
        for fd, offset, count in self.source.runs(position, min(ZEROCOPY_CHUNK,
                                                               last - position + 1)):
            try:
                await send({"type": ZEROCOPY, "file": fd, "offset": offset, "count": count,
                            "more_body": True})
            except ClientGone as gone:
                gone.sent += sent  # the runs of this chunk already sent
                raise
            sent += count
        return sent

    async def _send_copy(self, send: Any, position: int, last: int) -> int:
        data = await anyio.to_thread.run_sync(self.source.read_at, position,
                                              min(CHUNK, last - position + 1))
        if data:
            await send({"type": "http.response.body", "body": data, "more_body": True})
        return len(data)
