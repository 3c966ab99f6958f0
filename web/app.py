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
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from catalog.db import Database
from catalog.evidence import Evidence
from catalog.settings import Settings
from indexer.search_index import SearchIndex
from media.keyframes import KeyframeIndex
from media.transcode import Transcoder
from web import (
    account_views,
    export_views,
    hls,
    ledger_views,
    media_views,
    org_views,
    planning_views,
    playback_log,
    rescan,
    roster_views,
    search_views,
    streaming,
    tv_views,
    user_views,
    view_reports,
    views,
)
from web.auth import AuthMiddleware, Endpoint, guarded
from web.errors import EXCEPTION_HANDLERS
from web.i18n import LangMiddleware, install_jinja_i18n
from web.playback_log import PlaybackObserver, TerminalLines
from web.security_headers import SecurityHeadersMiddleware

HERE = Path(__file__).parent
logger = logging.getLogger("yuanjiao")


async def _sweep(evidence: Evidence) -> None:
    """Close idle playbacks; a second's delay on an idle window of a minute is nothing."""
    while True:
        await asyncio.sleep(1.0)
        evidence.tracker.sweep()


def _first_start(db: Database, settings: Settings) -> None:
    from catalog.accounts import bootstrap_admin

    with db.transaction() as session:
        password = bootstrap_admin(session, settings.city_name)
    if password is not None:
        # Printed once and never stored: the admin must change it at the first login.
        print(f"\n首次启动：已创建管理员账号 admin，一次性密码 {password}\n"
              f"First start: created the account admin with the one-time password "
              f"{password}\n登录后须立即修改 / change it at the first login.\n", flush=True)


def route(path: str, endpoint: Endpoint, name: str,
          methods: list[str] | None = None) -> Route:
    """A route behind the access rule web/access.py declares for ``name``. Its integers
    are ids (web/params.py): a number too long for one matches no route, never int()."""
    return Route(path.replace(":int}", ":id}"), guarded(endpoint, name), name=name,
                 methods=methods)


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
            await run_in_threadpool(app.state.rescans.close)  # it writes to the database
            if rebuilding is not None:  # it reads the database, which closes below
                await run_in_threadpool(rebuilding.join, 60)
            search.close()
            app.state.stream_observer = streaming.NoObserver()
            await run_in_threadpool(evidence.close)
            app.state.keyframes.close()
            transcoder.close()
            if database is None:
                db.close()

    routes: list[BaseRoute] = [
        route("/", views.catalog_page, name="catalog"),
        route("/items/{item_id:int}", views.item_page, name="item"),
        route("/watch/{item_id:int}", views.watch_page, name="watch"),
        route("/scan-errors", views.scan_errors_page, name="scan_errors"),
        route("/api/items", views.api_items, name="api_items"),
        route("/api/items/{item_id:int}", views.api_item, name="api_item"),
        route("/api/scan-errors", views.api_scan_errors, name="api_scan_errors"),
        route("/api/discs", views.api_discs, name="api_discs"),
        route("/stream/{item_id:int}", streaming.stream_item, methods=["GET", "HEAD"],
              name="stream"),
        route("/hls/{item_id:int}/main.m3u8", hls.playlist, name="hls_playlist"),
        route("/hls/{item_id:int}/{index:int}.ts", hls.segment, methods=["GET", "HEAD"],
              name="hls_segment"),
        route("/hls/{item_id:int}/c{index:int}.ts", hls.segment, methods=["GET", "HEAD"],
              name="hls_copied_segment"),
        route("/api/views/{view}", view_reports.view_report, name="api_view_report",
              methods=["POST"]),
        route("/posters/{item_id:int}.jpg", media_views.poster, name="poster"),
        route("/api/items/{item_id:int}/subtitles", media_views.subtitle_list,
              name="api_subtitles"),
        route("/subtitles/{item_id:int}/{track}.vtt", media_views.subtitle, name="subtitle"),
        route("/search", search_views.search_page, name="search"),
        route("/api/search", search_views.api_search, name="api_search"),
        route("/playbacks", playback_log.playbacks_page, name="playbacks"),
        route("/api/playbacks", playback_log.api_playbacks, name="api_playbacks"),
        route("/ledger", ledger_views.ledger_page, name="ledger_page"),
        route("/ledger/check", ledger_views.ledger_check, methods=["POST"], name="ledger_check"),
        route("/healthz", views.healthz, name="healthz"),
        route("/login", account_views.login, name="login", methods=["GET", "POST"]),
        route("/logout", account_views.logout, name="logout", methods=["POST"]),
        route("/account/password", account_views.account_password, name="account_password",
              methods=["GET", "POST"]),
        route("/api/me", account_views.api_me, name="api_me"),
        route("/api/users", account_views.api_users, name="api_users"),
        route("/users", user_views.users_page, name="users_page"),
        route("/users/new", user_views.user_create, name="user_create", methods=["POST"]),
        route("/users/{user_id:int}/password", user_views.user_password,
              name="user_password", methods=["POST"]),
        route("/users/{user_id:int}/disable", user_views.user_disable, name="user_disable",
              methods=["POST"]),
        route("/t/{token}", account_views.station_link, name="station_link"),
        route("/org", org_views.org_home, name="org_home"),
        route("/org/{node_id:int}", org_views.org_node, name="org_node"),
        route("/org/{node_id:int}/children", org_views.org_add_child, name="org_add_child",
              methods=["POST"]),
        route("/org/{node_id:int}/rename", org_views.org_rename, name="org_rename",
              methods=["POST"]),
        route("/org/{node_id:int}/members", org_views.org_add_member, name="org_add_member",
              methods=["POST"]),
        route("/org/{node_id:int}/roster.{fmt}", roster_views.roster_export,
              name="roster_export"),
        route("/org/{node_id:int}/import", roster_views.roster_import, name="roster_import",
              methods=["GET", "POST"]),
        route("/org/{node_id:int}/import/apply", roster_views.roster_apply,
              name="roster_apply", methods=["POST"]),
        route("/members/{member_id:int}", org_views.member_page, name="member_page"),
        route("/members/{member_id:int}/edit", org_views.member_update,
              name="member_update", methods=["POST"]),
        route("/stations/{node_id:int}", org_views.station_page, name="station_page"),
        route("/stations/{node_id:int}/token", org_views.station_token, name="station_token",
              methods=["POST"]),
        route("/api/org", org_views.api_org, name="api_org"),
        route("/api/org/{node_id:int}", org_views.api_node, name="api_node"),
        route("/api/org/{node_id:int}/children", org_views.org_add_child,
              name="api_node_children", methods=["POST"]),
        route("/api/org/{node_id:int}/members", org_views.org_add_member,
              name="api_node_members", methods=["POST"]),
        route("/api/members", org_views.api_members, name="api_members"),
        route("/api/members/{member_id:int}", org_views.api_member, name="api_member",
              methods=["GET", "PUT"]),
        route("/sessions", planning_views.sessions_page, name="sessions"),
        route("/api/sessions", planning_views.api_sessions, name="api_sessions"),
        route("/org/{node_id:int}/sessions", planning_views.session_create,
              name="session_create", methods=["POST"]),
        route("/sessions/{session_id:int}", planning_views.session_page, name="session_page"),
        route("/sessions/{session_id:int}/move", planning_views.session_move,
              name="session_move", methods=["POST"]),
        route("/sessions/{session_id:int}/publish", planning_views.session_publish,
              name="session_publish", methods=["POST"]),
        route("/sessions/{session_id:int}/cancel", planning_views.session_cancel,
              name="session_cancel", methods=["POST"]),
        route("/sessions/{session_id:int}/notice", planning_views.session_notice,
              name="session_notice"),
        route("/sessions/{session_id:int}/playlist.m3u8", export_views.session_m3u8,
              name="session_m3u8"),
        route("/sessions/{session_id:int}/playlist.xspf", export_views.session_xspf,
              name="session_xspf"),
        route("/api/sessions/{session_id:int}", planning_views.api_session,
              name="api_session", methods=["GET", "PUT"]),
        route("/api/sessions/{session_id:int}/compose", planning_views.api_session_compose,
              name="api_session_compose", methods=["POST"]),
        route("/org/{node_id:int}/rules", planning_views.org_rules, name="org_rules",
              methods=["POST"]),
        route("/api/org/{node_id:int}/plans", planning_views.api_plans, name="api_plans",
              methods=["GET", "PUT"]),
        route("/org/{node_id:int}/plan", planning_views.plan_page, name="plan_page",
              methods=["GET", "POST"]),
        route("/org/{node_id:int}/sessions.ics", export_views.org_ical, name="org_ical"),
        route("/must-watch", planning_views.must_watch_create, name="must_watch_create",
              methods=["POST"]),
        route("/api/must-watch", planning_views.api_must_watch, name="api_must_watch"),
        route("/station/{node_id:int}", export_views.station_tv, name="station_tv"),
        route("/station/{node_id:int}/open", tv_views.station_open, name="station_open"),
        route("/stations/{node_id:int}/rescan", rescan.station_rescan, name="station_rescan",
              methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS,
                    middleware=[Middleware(SecurityHeadersMiddleware),
                                LangMiddleware.as_middleware(), Middleware(AuthMiddleware)])
    app.state.settings = settings
    app.state.stream_observer = streaming.NoObserver()
    app.state.located = streaming.LocatedCache()
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    install_jinja_i18n(app.state.templates.env)
    return app
