"""Pages and their JSON twins. Handlers are plain functions: Starlette runs them in its
thread pool, so database work never blocks the event loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import library
from catalog.accounts import role_label
from catalog.errors import BadRequest
from catalog.settings import Settings
from catalog.themes import LEARNING_THEMES, THEME_LABELS, Theme, parse_theme, theme_label
from web.access import STAFF
from web.auth import principal_of
from web.i18n import pick_lang, translator
from web.params import int_param

MAX_PER_PAGE = 200


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("bad_json") from None
    if not isinstance(body, dict):
        raise BadRequest("bad_json")
    return body


def _theme_param(request: Request) -> str | None:
    raw = request.query_params.get("theme")
    return parse_theme(raw).value if raw else None


def render(request: Request, template: str, **context: Any) -> Response:
    lang = pick_lang(request)
    principal = principal_of(request)
    context.setdefault("csrf", principal.csrf)
    context |= {"lang": lang, "t": translator(lang), "theme_label": theme_label,
                "me": principal, "role_label": role_label, "staff": principal.role in STAFF,
                "clock": clock, "size_text": size_text, "path_for": request.app.url_path_for,
                "local_time": local_time(request.app.state.settings)}
    return request.app.state.templates.TemplateResponse(request, template, context)


def local_time(settings: Settings) -> Callable[[datetime | None], str]:
    zone = ZoneInfo(settings.timezone)

    def show(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"

    return show


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    hours, minutes, secs = whole // 3600, whole // 60 % 60, whole % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


PREVIEW_PER_THEME = 20
THEME_PAGE_SIZE = 100


RECENT_COUNT = 6


def catalog_page(request: Request) -> Response:
    """All themes with the first items of each; one theme, paged, when ?theme= is given."""
    lang = pick_lang(request)
    wanted = _theme_param(request)
    page = int_param(request, "page", 1, 1, 10**6)
    order = (*LEARNING_THEMES, Theme.UNCLASSIFIED)
    with request.app.state.db.session() as session:
        counts = library.theme_counts(session)
        shown = [t for t in order if counts.get(t.value) and wanted in (None, t.value)]
        size = THEME_PAGE_SIZE if wanted else PREVIEW_PER_THEME
        groups = [
            (theme, [library.item_json(i, lang) for i in
                     library.list_items(session, theme.value, page if wanted else 1, size).items])
            for theme in shown
        ]
        scan = library.last_scan(session)
        recent = [] if wanted else [library.item_json(i, lang)
                                    for i in library.recent_items(session, RECENT_COUNT)]
    total = counts.get(wanted, 0) if wanted else sum(counts.values())
    pages = max(1, -(-total // THEME_PAGE_SIZE)) if wanted else 1
    return render(request, "catalog.html", groups=groups, counts=counts, total=total,
                  scan=scan, themes=THEME_LABELS, selected=wanted, page=page, pages=pages,
                  recent=recent)


def item_page(request: Request) -> Response:
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        item = library.item_json(library.get_item(session, request.path_params["item_id"]), lang)
    return render(request, "item.html", item=item)


def watch_page(request: Request) -> Response:
    from web.media_views import load_media_item, subtitle_tracks

    lang = pick_lang(request)
    item_id = request.path_params["item_id"]
    with request.app.state.db.session() as session:
        item = library.item_json(library.get_item(session, item_id), lang)
    tracks = subtitle_tracks(load_media_item(request, item_id))
    for track in tracks:
        track["url"] = request.app.url_path_for("subtitle", item_id=item_id, track=track["id"])
    return render(request, "watch.html", item=item, tracks=tracks)


def scan_errors_page(request: Request) -> Response:
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        rows = [library.scan_error_json(e, lang) for e in library.list_scan_errors(session)]
    return render(request, "scan_errors.html", errors=rows)


def api_items(request: Request) -> Response:
    lang = pick_lang(request)
    wanted = _theme_param(request)
    page = int_param(request, "page", 1, 1, 10**6)
    per_page = int_param(request, "per_page", 50, 1, MAX_PER_PAGE)
    with request.app.state.db.session() as session:
        found = library.list_items(session, wanted, page, per_page)
        items = [library.item_json(i, lang) for i in found.items]
    return JSONResponse({"items": items, "total": found.total, "page": page,
                         "per_page": per_page, "theme": wanted})


def api_item(request: Request) -> Response:
    with request.app.state.db.session() as session:
        item = library.get_item(session, request.path_params["item_id"])
        return JSONResponse(library.item_json(item, pick_lang(request)))


def api_scan_errors(request: Request) -> Response:
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        rows = [library.scan_error_json(e, lang) for e in library.list_scan_errors(session)]
    return JSONResponse({"errors": rows, "total": len(rows)})


def api_discs(request: Request) -> Response:
    lang = pick_lang(request)
    with request.app.state.db.session() as session:
        discs = [library.disc_json(d, lang) for d in library.list_discs(session)]
    return JSONResponse({"discs": discs, "total": len(discs)})


def healthz(request: Request) -> Response:
    with request.app.state.db.session() as session:
        session.execute(text("SELECT 1"))
        counts = library.theme_counts(session)
    ledger = request.app.state.evidence.state
    body: dict[str, object] = {"status": "ok", "database": "ok",
                               "items": sum(counts.values()),
                               "ledger": "failing" if ledger.failing else "ok",
                               "ledger_queued": ledger.queued}
    if ledger.failing:
        # Monitoring sees 503: the server is up but records nothing, so it plays nothing.
        body |= {"status": "failing", "ledger_error": ledger.error,
                 "ledger_failing_since": ledger.since}
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
