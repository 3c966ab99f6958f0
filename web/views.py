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
from catalog.errors import BadRequest
from catalog.library.themes import theme_label
from catalog.org.accounts import role_label
from catalog.settings import Settings
from web.access import STAFF
from web.auth import principal_of
from web.i18n import pick_lang, translator


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("bad_json") from None
    if not isinstance(body, dict):
        raise BadRequest("bad_json")
    return body


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
