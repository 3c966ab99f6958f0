"""The Starlette application: state made in the lifespan, the areas' routes composed, one
error handler."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.templating import Jinja2Templates

from catalog import verification
from catalog.db import Database
from catalog.evidence.service import Evidence
from catalog.settings import Settings
from indexer.search_index import SearchIndex
from media.keyframes import KeyframeIndex
from media.transcode import Transcoder
from web import routing as shared
from web.attendance import page_views as attendance_pages
from web.attendance import routes as attendance_routes
from web.attendance.makeup_watch import MakeupWatch, chained
from web.attendance.service import attendance_in
from web.auth import AuthMiddleware
from web.errors import EXCEPTION_HANDLERS
from web.evidence import routes as evidence_routes
from web.evidence.playback_log import PlaybackObserver, TerminalLines
from web.i18n import LangMiddleware, install_jinja_i18n
from web.library import rescan, streaming
from web.library import routes as library_routes
from web.org import routes as org_routes
from web.planning import routes as planning_routes
from web.records import page_views as record_pages
from web.records import routes as record_routes
from web.reports import routes as report_routes
from web.security_headers import SecurityHeadersMiddleware

HERE = Path(__file__).parent
logger = logging.getLogger("yuanjiao")


async def _sweep(evidence: Evidence) -> None:
    """Close idle playbacks; a second's delay on an idle window of a minute is nothing."""
    while True:
        await asyncio.sleep(1.0)
        evidence.tracker.sweep()


def _first_start(db: Database, settings: Settings) -> None:
    from catalog.org.accounts import bootstrap_admin

    with db.transaction() as session:
        password = bootstrap_admin(session, settings.city_name)
    if password is not None:
        # Printed once and never stored: the admin must change it at the first login.
        print(f"\n首次启动：已创建管理员账号 admin，一次性密码 {password}\n"
              f"First start: created the account admin with the one-time password "
              f"{password}\n登录后须立即修改 / change it at the first login.\n", flush=True)


def create_app(settings: Settings, database: Database | None = None) -> Starlette:
    """The app for these settings. The database opens (and migrates) at start-up."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = database or Database.open(settings)
        app.state.db = db
        app.state.rescans = rescan.Rescans()
        await run_in_threadpool(_first_start, db, settings)
        transcoder = Transcoder(settings.data_dir / "cache" / "hls", settings.ffmpeg,
                                settings.effective_hls_slots, settings.hls_cache_mb << 20,
                                settings.transcode_timeout)
        transcoder.reset_cache()
        app.state.transcoder = transcoder
        # Kept across restarts, unlike segments: an index costs a pass over the file.
        app.state.keyframes = KeyframeIndex(settings.data_dir / "cache" / "keyframes",
                                            settings.ffprobe)
        # Make-ups are recorded as the playbacks that complete them close (issue 16.5).
        makeups = MakeupWatch(attendance_in(app.state))
        evidence = await run_in_threadpool(
            Evidence, db, settings,
            chained(TerminalLines(settings.log_format, settings.timezone), makeups.announced),
            verification.projectors())
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
            await run_in_threadpool(app.state.rescans.close)  # it writes to the database
            if rebuilding is not None:  # it reads the database, which closes below
                await run_in_threadpool(rebuilding.join, 60)
            search.close()
            app.state.stream_observer = streaming.NoObserver()
            # Before the ledger: it writes through it (a make-up the last closes complete
            # is still counted, from its playback rows; only its own row waits).
            await run_in_threadpool(makeups.close)
            await run_in_threadpool(evidence.close)
            app.state.keyframes.close()
            transcoder.close()
            if database is None:
                db.close()

    # Each area declares its routes beside its views; web/access.py says who may call them.
    routes: list[BaseRoute] = [*library_routes.routes, *evidence_routes.routes,
                               *org_routes.routes, *planning_routes.routes,
                               *attendance_routes.routes, *record_routes.routes,
                               *report_routes.routes,
                               *shared.routes]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS,
                    middleware=[Middleware(SecurityHeadersMiddleware),
                                LangMiddleware.as_middleware(), Middleware(AuthMiddleware)])
    app.state.settings = settings
    app.state.stream_observer = streaming.NoObserver()
    app.state.located = streaming.LocatedCache()
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    # The session page's sections from the areas above planning.
    app.state.session_panels = [record_pages.session_panel, attendance_pages.session_panel]
    app.state.session_list_columns = [record_pages.session_list_column]
    install_jinja_i18n(app.state.templates.env)
    return app
