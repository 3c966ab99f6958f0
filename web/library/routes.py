"""The library area's routes; who may call each is declared in web/access.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.library import catalog_views, hls, media_views, rescan, search_views, streaming
from web.routing import route

routes: list[BaseRoute] = [
    route("/", catalog_views.catalog_page, name="catalog"),
    route("/items/{item_id:int}", catalog_views.item_page, name="item"),
    route("/watch/{item_id:int}", catalog_views.watch_page, name="watch"),
    route("/scan-errors", catalog_views.scan_errors_page, name="scan_errors"),
    route("/api/items", catalog_views.api_items, name="api_items"),
    route("/api/items/{item_id:int}", catalog_views.api_item, name="api_item"),
    route("/api/scan-errors", catalog_views.api_scan_errors, name="api_scan_errors"),
    route("/api/discs", catalog_views.api_discs, name="api_discs"),
    route("/stream/{item_id:int}", streaming.stream_item, methods=["GET", "HEAD"], name="stream"),
    route("/hls/{item_id:int}/main.m3u8", hls.playlist, name="hls_playlist"),
    route("/hls/{item_id:int}/{index:int}.ts", hls.segment, methods=["GET", "HEAD"],
          name="hls_segment"),
    route("/hls/{item_id:int}/c{index:int}.ts", hls.segment, methods=["GET", "HEAD"],
          name="hls_copied_segment"),
    route("/posters/{item_id:int}.jpg", media_views.poster, name="poster"),
    route("/api/items/{item_id:int}/subtitles", media_views.subtitle_list, name="api_subtitles"),
    route("/subtitles/{item_id:int}/{track}.vtt", media_views.subtitle, name="subtitle"),
    route("/search", search_views.search_page, name="search"),
    route("/api/search", search_views.api_search, name="api_search"),
    route("/stations/{node_id:int}/rescan", rescan.station_rescan,
          name="station_rescan", methods=["GET", "POST"]),
]
