"""The HTTP server: uvicorn's httptools protocol plus the ASGI zero-copy send extension.

Direct play is bulk file bytes. Pushed through Python (read into a buffer, write to the
socket) they cost about seven times nginx's CPU per GiB and one process stops near
1.2 GiB/s; the kernel's ``sendfile`` moves page-cache pages to the socket without a copy.
ASGI defines the extension for this (``http.response.zerocopy``: a file, an offset and a
count) but uvicorn does not implement it, so this module does, in a subclass of its
httptools protocol. The app falls back to ordinary body messages on a server without it
(Starlette's TestClient, another ASGI server).

``sendfile`` runs in a worker thread so that a read from a slow disk never blocks the
event loop. The thread sends through a duplicate of the socket's descriptor: if the
connection drops meanwhile, the event loop closes its descriptor and the number may be
reused for a new connection, but the duplicate still names the old socket.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import re
import select
from typing import Any

import anyio
import uvicorn
from anyio.lowlevel import RunVar
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

ZEROCOPY = "http.response.zerocopy"
logger = logging.getLogger(__name__)
SEND_STALL_SECONDS = 60.0  # a client that reads nothing for this long is dropped
_THREADS = 256  # blocked senders cost a thread each, little else


class ClientGone(OSError):
    """The client closed the connection (ASGI 2.4 asks servers to raise an OSError).
    ``sent`` counts the bytes of the interrupted send that did reach the socket."""

    sent = 0


def sendfile_all(sock_fd: int, file_fd: int, offset: int, count: int) -> int:
    """Send ``count`` bytes of ``file_fd`` from ``offset`` to a non-blocking socket.

    Returns the bytes sent: fewer than ``count`` only if the file ended early. Raises
    ClientGone when the peer went away or stopped reading for SEND_STALL_SECONDS.
    """
    poller = select.poll()
    poller.register(sock_fd, select.POLLOUT)
    sent_total = 0
    while sent_total < count:
        try:
            sent = os.sendfile(sock_fd, file_fd, offset + sent_total, count - sent_total)
        except BlockingIOError:
            if not poller.poll(SEND_STALL_SECONDS * 1000):
                gone = ClientGone(errno.ETIMEDOUT, "the client stopped reading")
                gone.sent = sent_total
                raise gone from None
            continue
        except (BrokenPipeError, ConnectionResetError) as exc:
            gone = ClientGone(exc.errno, "the client closed the connection")
            gone.sent = sent_total
            raise gone from exc
        if sent == 0:
            break  # end of file: the file shrank under us
        sent_total += sent
    return sent_total


class ZeroCopyProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, offering ``http.response.zerocopy`` to the app."""

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        super()._start_asgi_task(cycle, _ZeroCopyApp(app, cycle))


class _ZeroCopyApp:
    def __init__(self, app: Any, cycle: RequestResponseCycle) -> None:
        self.app = app
        self.cycle = cycle

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("extensions", {})[ZEROCOPY] = {}
        cycle = self.cycle

        async def send_with_zerocopy(message: Any) -> None:
            if message["type"] != ZEROCOPY:
                await send(message)
                return
            if cycle.disconnected:
                raise ClientGone(errno.EPIPE, "the client closed the connection")
            if not cycle.response_started or cycle.chunked_encoding is not False:
                raise RuntimeError("zerocopy needs a started response with Content-Length")
            count = int(message["count"])
            if count > cycle.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            await _written(cycle.transport)
            file = message["file"]
            file_fd = file if isinstance(file, int) else file.fileno()
            sock_fd = os.dup(cycle.transport.get_extra_info("socket").fileno())
            try:
                sent = await anyio.to_thread.run_sync(
                    sendfile_all, sock_fd, file_fd, int(message.get("offset", 0)), count,
                    limiter=_limiter())
            except ClientGone:
                # uvicorn learns of the drop only when the loop sees the socket close;
                # said now, it does not log the unfinished response as an app error.
                cycle.disconnected = True
                cycle.transport.close()
                raise
            finally:
                os.close(sock_fd)
            cycle.expected_content_length -= sent
            if sent < count:
                # The promised length cannot be kept: closing tells the client so.
                logger.warning("%s ended %d bytes early; connection closed",
                               scope.get("path"), count - sent)
                cycle.disconnected = True
                cycle.transport.close()
                gone = ClientGone(errno.EPIPE, "the file ended before the promised length")
                gone.sent = sent
                raise gone
            await send({"type": "http.response.body", "body": b"",
                        "more_body": message.get("more_body", False)})

        await self.app(scope, receive, send_with_zerocopy)


async def _written(transport: asyncio.WriteTransport) -> None:
    """Wait until the transport has handed everything it buffered to the socket (headers,
    a multipart preamble), so that sendfile's bytes follow them in order."""
    waited = 0.0
    while transport.get_write_buffer_size():
        if transport.is_closing() or waited > SEND_STALL_SECONDS:
            raise ClientGone(errno.EPIPE, "the client closed the connection")
        await asyncio.sleep(0.002)
        waited += 0.002


_sender_threads: RunVar[anyio.CapacityLimiter] = RunVar("yuanjiao_sender_threads")


def _limiter() -> anyio.CapacityLimiter:
    # Not anyio's default limiter (40 threads): a stream holds its thread while the client
    # reads, and 40 slow clients must not stall every other thread hop of the app.
    try:
        return _sender_threads.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(_THREADS)
        _sender_threads.set(limiter)
        return limiter


def server_config(app: Any, host: str, port: int, trusted_proxies: tuple[str, ...] = (),
                  **more: Any) -> uvicorn.Config:
    """The uvicorn configuration ``yuanjiao serve`` and the live-server tests use.

    X-Forwarded-For is believed only from ``trusted_proxies``: uvicorn's default trusts
    127.0.0.1, and then anyone could claim any address (login throttling and the
    playback records go by it).
    """
    more.setdefault("proxy_headers", bool(trusted_proxies))
    if trusted_proxies:
        more.setdefault("forwarded_allow_ips", ",".join(trusted_proxies))
    # The subclass leans on uvicorn internals (pyproject pins the versions it was built
    # on); should a release change them, serve without zero-copy rather than not at all.
    protocol: Any = ZeroCopyProtocol if _fits_uvicorn() else "httptools"
    if protocol == "httptools":
        logger.warning("uvicorn %s lacks what zero-copy sends need; copying instead",
                       uvicorn.__version__)
    return uvicorn.Config(app, host=host, port=port, http=protocol, **more)


def _fits_uvicorn() -> bool:
    import inspect

    used = ("transport", "disconnected", "response_started", "chunked_encoding",
            "expected_content_length")
    made = inspect.getsource(RequestResponseCycle.__init__)
    return (hasattr(HttpToolsProtocol, "_start_asgi_task")
            and all(re.search(rf"self\.{name}\b[^=\n]*=", made) for name in used))
