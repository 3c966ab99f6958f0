"""What a player page says about its own playback: POST /api/views/{view}.

Each player page (watch page, each item of the TV mode) makes a random view id and puts it
on every media request, so the server's playback for that page is known by it. The page
reports what it has played (its ``played`` ranges) every 15 s while open, and when the
item fails, why; its last report (page closed, next item) ends the playback. A report
can only lower the watched seconds (catalog/evidence/playbacks.py), and a failure closes the
playback at once, marked failed; a failure before any media was sent is still recorded, as
a playback of 0 seconds, so the TV's skipped items are in the log.

No CSRF token is asked for (web/access.py): the view id is 128 random bits only the page
knows, and what a forged report could do is lower a count or mark a playback failed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import library
from catalog.errors import BadRequest, TooLarge
from catalog.evidence.playbacks import FAILURES, PlaybackTracker
from web.library.streaming import VIEW

MAX_BODY = 64 << 10
MAX_RANGES = 500


async def _body(request: Request) -> dict[str, Any]:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge("body_too_large", limit_mb=1)
        chunks.append(chunk)
    try:
        found = json.loads(b"".join(chunks) or b"null")
    except (ValueError, RecursionError) as exc:
        raise BadRequest("bad_json") from exc
    if not isinstance(found, dict):
        raise BadRequest("bad_json")
    return found


def _ranges(value: object) -> list[tuple[float, float]]:
    if not isinstance(value, list) or len(value) > MAX_RANGES:
        raise BadRequest("bad_view_report", field="played")
    ranges = []
    for pair in value:
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(x, int | float) and not isinstance(x, bool)
                           and math.isfinite(x) and 0 <= x < 10**7 for x in pair)):
            raise BadRequest("bad_view_report", field="played")
        ranges.append((float(pair[0]), float(pair[1])))
    return ranges


@dataclass(frozen=True)
class Report:
    item_id: int
    played: list[tuple[float, float]]
    failure: str | None
    method: str
    session: str | None
    ended: bool  # the page is closing, or moving on to another item


def _parse(body: dict[str, Any]) -> Report:
    item_id = body.get("item_id")
    if not isinstance(item_id, int) or isinstance(item_id, bool) or not 0 < item_id < 2**31:
        raise BadRequest("bad_view_report", field="item_id")
    failure = body.get("failed")
    if failure is not None and failure not in FAILURES:
        raise BadRequest("bad_view_report", field="failed")
    session = body.get("session")
    if session is not None and not (isinstance(session, str) and session.isascii()
                                    and session.isdigit() and len(session) <= 12):
        raise BadRequest("bad_view_report", field="session")
    method = "hls" if body.get("method") == "hls" else "direct"
    return Report(item_id, _ranges(body.get("played", [])), failure, method, session,
                  body.get("ended") is True)


def _title(request: Request, item_id: int) -> str:
    with request.app.state.db.session() as session:
        return library.get_item(session, item_id).title  # a 404 for an unknown item


async def view_report(request: Request) -> Response:
    view = request.path_params["view"]
    if not VIEW.fullmatch(view):
        raise BadRequest("bad_view_report", field="view")
    report = _parse(await _body(request))
    tracker: PlaybackTracker = request.app.state.evidence.tracker
    if tracker.reported(view, report.item_id, report.played, report.failure, report.ended):
        return JSONResponse({"recorded": True}, status_code=202)
    if report.failure is None:  # the playback closed already (idle), or never opened
        return JSONResponse({"recorded": False}, status_code=202)
    # Failed before any media was asked for (an unsupported format, a refused playlist):
    # the attempt is recorded all the same, at 0 seconds.
    title = await run_in_threadpool(_title, request, report.item_id)
    state = request.state
    playback = tracker.started(request.client.host if request.client else "",
                               request.headers.get("user-agent", ""), report.item_id,
                               title, report.method, getattr(state, "member", None),
                               getattr(state, "station", None), report.session, view)
    tracker.finished(playback)
    tracker.reported(view, report.item_id, [], report.failure)
    return JSONResponse({"recorded": True}, status_code=202)
