"""HLS for what browsers cannot play directly: a VOD playlist naming every segment, and
segments made by ffmpeg when asked (media/transcode.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from catalog import library
from catalog.errors import NotFound
from media.hls import Segment, media_playlist, segment_plan
from media.items import SourceMissing, item_input
from media.keyframes import KeyframeIndex, can_copy_audio, can_copy_video, copy_plan
from media.sources import FileSource
from media.transcode import RETRY_AFTER_SECONDS, Remux, TranscodeBusy, Transcoder
from web.i18n import pick_lang
from web.library.streaming import ItemGone, Representation, respond, unrecorded

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


# How long a first playlist request waits for a new item's key frame index before its
# player is given encoded segments (the index goes on in the background for later ones).
KEYFRAME_WAIT_SECONDS = 3.0


@dataclass(frozen=True)
class HlsItem:
    id: int
    key: str  # cache folder: changes when the item's bytes change
    root: str
    rel_path_raw: bytes
    locator: dict[str, Any]
    audio_only: bool
    segments: list[Segment]
    copy_audio: bool = False
    remuxed: bool = False  # H.264 copied, segments on its key frames
    title: str = ""

    def opener(self) -> partial[Any]:
        return partial(item_input, self.root, self.rel_path_raw, self.locator)

    def remux(self, index: int) -> Remux | None:
        if not self.remuxed:
            return None
        end = self.segments[index + 1].start if index + 1 < len(self.segments) else None
        return Remux(self.copy_audio, end)


def _load(request: Request, item_id: int, remuxed: bool | None = None) -> HlsItem:
    """The item's HLS plan: remuxed when its video is browser H.264 and the key frames
    are known (``remuxed`` None: whichever is available now; True/False: that plan)."""
    with request.app.state.db.session() as session:
        item = library.get_item(session, item_id)
        if item.kind not in {"video", "audio"} or not item.duration:
            raise NotFound("not_playable", item_id=item_id, kind=item.kind)
        found = HlsItem(item.id, f"{item.id}-{item.fingerprint[:16]}", item.root.path,
                        bytes(item.rel_path_raw), dict(item.locator), item.kind == "audio",
                        segment_plan(item.duration), can_copy_audio(item.streams),
                        title=item.title)
        duration, streams = item.duration, list(item.streams)
    if remuxed is False or item.kind != "video" or not can_copy_video(streams):
        return found
    index: KeyframeIndex = request.app.state.keyframes
    keyframes = index.lookup(found.key, found.opener(),
                             wait=None if remuxed else KEYFRAME_WAIT_SECONDS)
    plan = copy_plan(keyframes or [], duration)
    return found if plan is None else replace(found, segments=plan, remuxed=True)


CARRIED = ("station_token", "export", "session", "view")


async def playlist(request: Request) -> Response:
    item = await run_in_threadpool(_load, request, request.path_params["item_id"])
    uri = "c{index}.ts" if item.remuxed else "{index}.ts"
    # Segments are asked for by URIs relative to the playlist: a station's token and a
    # session asked of the playlist must reach them too.
    carried = {k: v for k, v in request.query_params.items()
               if k in CARRIED and v.replace("-", "").replace("_", "").isalnum()}
    if carried:
        uri += "?" + urlencode(carried)
    return Response(media_playlist(item.segments, uri), media_type=PLAYLIST_TYPE,
                    headers={"cache-control": "no-cache"})


def _make(transcoder: Transcoder, item: HlsItem, index: int) -> Path:
    opener = item.opener()
    try:
        path = transcoder.segment(item.key, opener, item.segments[index], item.audio_only,
                                  remux=item.remux(index))
    except SourceMissing as exc:
        raise ItemGone("item_gone", item_id=item.id) from exc
    if index + 1 < len(item.segments):
        transcoder.make_ahead(item.key, opener, item.segments[index + 1], item.audio_only,
                              remux=item.remux(index + 1))
    return path


async def segment(request: Request) -> Response:
    """An encoded segment (``{n}.ts``) or a copied one (``c{n}.ts``)."""
    remuxed = request.url.path.rsplit("/", 1)[-1].startswith("c")
    item = await run_in_threadpool(_load, request, request.path_params["item_id"], remuxed)
    index = request.path_params["index"]
    if remuxed != item.remuxed or not 0 <= index < len(item.segments):
        raise NotFound("segment_not_found", item_id=item.id, index=index,
                       count=len(item.segments))
    if (refused := unrecorded(request)) is not None:  # before ffmpeg spends a minute
        return refused
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
    etag = f'"{item.key}-{"c" if item.remuxed else ""}{index}"'
    part = item.segments[index]
    rep = Representation(item.id, source.size, "video/mp2t", etag, modified, item.title,
                         (part.start, part.start + part.duration), "hls")
    return await respond(request, rep, source)
