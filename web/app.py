"""The Starlette application: state made in the lifespan, named routes, one error handler."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from catalog.db import Database
from catalog.evidence import Evidence
from catalog.settings import Settings
from indexer.search_index import SearchIndex
from media.keyframes import KeyframeIndex
from media.transcode import Transcoder
from web import hls, media_views, playback_log, search_views, streaming, views
from web.errors import EXCEPTION_HANDLERS
from web.i18n import LangMiddleware
from web.playback_log import PlaybackObserver, TerminalLines

HERE = Path(__file__).parent
logger = logging.getLogger("yuanjiao")


async def _sweep(evidence: Evidence) -> None:
    """Close idle playbacks; a second's delay on an idle window of a minute is nothing."""
    while True:
        await asyncio.sleep(1.0)
        evidence.tracker.sweep()


def create_app(settings: Settings, database: Database | None = None) -> Starlette:
    """The app for these settings. The database opens (and migrates) at start-up."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = database or Database.open(settings)
        app.state.db = db
        transcoder = Transcoder(settings.data_dir / "cache" / "hls", settings.ffmpeg,
                                settings.effective_hls_slots, settings.hls_cache_mb << 20,
                                settings.transcode_timeout)
        transcoder.reset_cache()
        app.state.transcoder = transcoder
        # Kept across restarts, unlike segments: an index costs a pass over the file.
        app.state.keyframes = KeyframeIndex(settings.data_dir / "cache" / "keyframes",
                                            settings.ffprobe)
        evidence = await run_in_threadpool(
            Evidence, db, settings, TerminalLines(settings.log_format, settings.timezone))
        app.state.evidence = evidence
        app.state.search = search = SearchIndex(settings.data_dir / "search-index")
        rebuilding = None
        if not await run_in_threadpool(search.open):
            # Searches answer from the catalog (slower, no pinyin) until it is back.
            logger.warning("search index missing or unreadable: rebuilding it from the "
                           "catalog in the background")
            rebuilding = threading.Thread(target=search.rebuild, args=(db,),
                                          name="search-rebuild", daemon=True)
            rebuilding.start()
        app.state.stream_observer = PlaybackObserver(evidence.tracker)
        sweeper = asyncio.create_task(_sweep(evidence))
        try:
            yield
        finally:
            sweeper.cancel()
            if rebuilding is not None:  # it reads the database, which closes below
                await run_in_threadpool(rebuilding.join, 60)
            search.close()
            app.state.stream_observer = streaming.NoObserver()
            await run_in_threadpool(evidence.close)
            app.state.keyframes.close()
            transcoder.close()
            if database is None:
                db.close()

    routes = [
        Route("/", views.catalog_page, name="catalog"),
        Route("/items/{item_id:int}", views.item_page, name="item"),
        Route("/watch/{item_id:int}", views.watch_page, name="watch"),
        Route("/scan-errors", views.scan_errors_page, name="scan_errors"),
        Route("/api/items", views.api_items, name="api_items"),
        Route("/api/items/{item_id:int}", views.api_item, name="api_item"),
        Route("/api/scan-errors", views.api_scan_errors, name="api_scan_errors"),
        Route("/api/discs", views.api_discs, name="api_discs"),
        Route("/stream/{item_id:int}", streaming.stream_item, methods=["GET", "HEAD"],
              name="stream"),
        Route("/hls/{item_id:int}/main.m3u8", hls.playlist, name="hls_playlist"),
        Route("/hls/{item_id:int}/{index:int}.ts", hls.segment, methods=["GET", "HEAD"],
              name="hls_segment"),
        Route("/hls/{item_id:int}/c{index:int}.ts", hls.segment, methods=["GET", "HEAD"],
              name="hls_copied_segment"),
        Route("/posters/{item_id:int}.jpg", media_views.poster, name="poster"),
        Route("/api/items/{item_id:int}/subtitles", media_views.subtitle_list,
              name="api_subtitles"),
        Route("/subtitles/{item_id:int}/{track}.vtt", media_views.subtitle, name="subtitle"),
        Route("/search", search_views.search_page, name="search"),
        Route("/api/search", search_views.api_search, name="api_search"),
        Route("/playbacks", playback_log.playbacks_page, name="playbacks"),
        Route("/api/playbacks", playback_log.api_playbacks, name="api_playbacks"),
        Route("/healthz", views.healthz, name="healthz"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS,
                    middleware=[LangMiddleware.as_middleware()])
    app.state.settings = settings
    app.state.stream_observer = streaming.NoObserver()
    app.state.located = streaming.LocatedCache()
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    return app
