"""HLS for what browsers cannot play directly: a VOD playlist naming every segment, and
segments made by ffmpeg when asked (media/transcode.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from catalog import library
from catalog.errors import NotFound
from media.hls import Segment, media_playlist, segment_plan
from media.items import SourceMissing, item_input
from media.sources import FileSource
from media.transcode import RETRY_AFTER_SECONDS, TranscodeBusy, Transcoder
from web.i18n import pick_lang
from web.streaming import ItemGone, Representation, respond

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


@dataclass(frozen=True)
class HlsItem:
    id: int
    key: str  # cache folder: changes when the item's bytes change
    root: str
    rel_path_raw: bytes
    locator: dict[str, Any]
    audio_only: bool
    segments: list[Segment]


def _load(request: Request, item_id: int) -> HlsItem:
    with request.app.state.db.session() as session:
        item = library.get_item(session, item_id)
        if item.kind not in {"video", "audio"} or not item.duration:
            raise NotFound("not_playable", item_id=item_id, kind=item.kind)
        return HlsItem(item.id, f"{item.id}-{item.fingerprint[:16]}", item.root.path,
                       bytes(item.rel_path_raw), dict(item.locator), item.kind == "audio",
                       segment_plan(item.duration))


async def playlist(request: Request) -> Response:
    item = await run_in_threadpool(_load, request, request.path_params["item_id"])
    return Response(media_playlist(item.segments), media_type=PLAYLIST_TYPE,
                    headers={"cache-control": "no-cache"})


def _make(transcoder: Transcoder, item: HlsItem, index: int) -> Path:
    opener = partial(item_input, item.root, item.rel_path_raw, item.locator)
    try:
        path = transcoder.segment(item.key, opener, item.segments[index], item.audio_only)
    except SourceMissing as exc:
        raise ItemGone("item_gone", item_id=item.id) from exc
    if index + 1 < len(item.segments):
        transcoder.make_ahead(item.key, opener, item.segments[index + 1], item.audio_only)
    return path


async def segment(request: Request) -> Response:
    item = await run_in_threadpool(_load, request, request.path_params["item_id"])
    index = request.path_params["index"]
    if not 0 <= index < len(item.segments):
        raise NotFound("segment_not_found", item_id=item.id, index=index,
                       count=len(item.segments))
    transcoder: Transcoder = request.app.state.transcoder
    try:
        path = await run_in_threadpool(_make, transcoder, item, index)
    except TranscodeBusy as exc:
        # Players retry after Retry-After; the text is for people reading the response.
        return Response(exc.message(pick_lang(request)), status_code=503,
                        media_type="text/plain; charset=utf-8",
                        headers={"retry-after": str(RETRY_AFTER_SECONDS)})
    source = FileSource(path)
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    rep = Representation(item.id, source.size, "video/mp2t", f'"{item.key}-{index}"', modified)
    return await respond(request, rep, source)
