"""Posters and subtitles of an item, made by ffmpeg on first request and cached."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from catalog import library
from catalog.errors import NotFound
from media.items import SourceMissing, item_folder, item_input
from media.posters import make_poster
from media.subtitles import TEXT_CODECS, embedded_vtt, find_sidecars, sidecar_vtt
from web.library.streaming import ItemGone


@dataclass(frozen=True)
class MediaItem:
    id: int
    key: str
    kind: str
    duration: float | None
    root: str
    rel_path_raw: bytes
    locator: dict[str, Any]
    streams: list[dict[str, Any]]
    has_video: bool


def load_media_item(request: Request, item_id: int) -> MediaItem:
    with request.app.state.db.session() as session:
        item = library.get_item(session, item_id)
        return MediaItem(item.id, f"{item.id}-{item.fingerprint[:16]}", item.kind,
                         item.duration, item.root.path, bytes(item.rel_path_raw),
                         dict(item.locator), list(item.streams), bool(item.video_codec))


def _opener(item: MediaItem) -> Any:
    return partial(item_input, item.root, item.rel_path_raw, item.locator)


async def poster(request: Request) -> Response:
    item = await run_in_threadpool(load_media_item, request, request.path_params["item_id"])
    if not item.has_video:
        raise NotFound("not_playable", item_id=item.id, kind=item.kind)
    settings = request.app.state.settings
    target = settings.data_dir / "cache" / "posters" / f"{item.key}.jpg"
    try:
        path = await run_in_threadpool(make_poster, settings.ffmpeg, _opener(item),
                                       item.duration, target)
    except SourceMissing as exc:
        raise ItemGone("item_gone", item_id=item.id) from exc
    return FileResponse(path, media_type="image/jpeg",
                        headers={"cache-control": "public, max-age=86400"})


def subtitle_tracks(item: MediaItem) -> list[dict[str, Any]]:
    tracks: list[dict[str, Any]] = []
    if not item.locator:
        try:
            with item_folder(item.root, item.rel_path_raw) as (folder, name):
                sidecars = find_sidecars(folder, name)
        except SourceMissing:
            sidecars = []
        tracks += [{"id": f"s{n}", "label": s.label, "language": s.language}
                   for n, s in enumerate(sidecars)]
    tracks += [{"id": f"e{s['index']}", "label": s.get("title") or s.get("language") or
                f"#{s['index']}", "language": s.get("language", "")}
               for s in item.streams if s.get("type") == "subtitle"
               and s.get("codec") in TEXT_CODECS]
    return tracks


async def subtitle_list(request: Request) -> Response:
    item = await run_in_threadpool(load_media_item, request, request.path_params["item_id"])
    tracks = await run_in_threadpool(subtitle_tracks, item)
    for track in tracks:
        track["url"] = request.app.url_path_for("subtitle", item_id=item.id, track=track["id"])
    return JSONResponse({"subtitles": tracks})


def _vtt(item: MediaItem, track: str, ffmpeg: str) -> str:
    kind, number = track[:1], track[1:]
    if not number.isascii() or not number.isdigit() or len(number) > 4 \
            or kind not in {"s", "e"}:
        raise NotFound("page_not_found", path=track)
    if kind == "s":
        if item.locator:
            raise NotFound("page_not_found", path=track)
        with item_folder(item.root, item.rel_path_raw) as (folder, name):
            sidecars = find_sidecars(folder, name)
            if int(number) >= len(sidecars):
                raise NotFound("page_not_found", path=track)
            # Opened here once, never through a link: a sidecar listed a moment ago may
            # be a link to /etc/passwd by now.
            try:
                return sidecar_vtt(ffmpeg, folder, sidecars[int(number)])
            except FileNotFoundError as exc:  # OutsideRoot: a link or no longer a file
                raise NotFound("page_not_found", path=track) from exc
    if not any(s.get("index") == int(number) and s.get("type") == "subtitle"
               for s in item.streams):
        raise NotFound("page_not_found", path=track)
    return embedded_vtt(ffmpeg, _opener(item), int(number))


async def subtitle(request: Request) -> Response:
    item = await run_in_threadpool(load_media_item, request, request.path_params["item_id"])
    ffmpeg = request.app.state.settings.ffmpeg
    try:
        text = await run_in_threadpool(_vtt, item, request.path_params["track"], ffmpeg)
    except SourceMissing as exc:  # the item's file or folder is gone, or refused
        raise ItemGone("item_gone", item_id=item.id) from exc
    return Response(text, media_type="text/vtt; charset=utf-8")
