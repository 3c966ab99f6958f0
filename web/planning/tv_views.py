"""Open viewing in the station's TV mode (issue 14.6): on a day without a session the TV
offers the catalog by theme, in the TV's large layout, played through the same player
and recorded for the station as the session's items are (without a session)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from catalog import library, org
from catalog.errors import NotFound
from catalog.library.models import Item
from catalog.library.themes import LEARNING_THEMES, Theme, parse_theme, theme_label
from web.auth import principal_of
from web.i18n import pick_lang
from web.views import render

# What a TV plays: a document (a PDF) is read on the watch page, not across the hall.
TV_KINDS = ("video", "audio")
MAX_ITEMS = 300  # one theme's list; the remote scrolls it by moving the focus


def open_themes(session: Session, lang: str) -> list[dict[str, Any]]:
    """The themes that hold something a TV plays, in the policy's order, with counts."""
    rows = session.execute(
        library.visible_items().where(Item.kind.in_(TV_KINDS))
        .with_only_columns(Item.theme, func.count()).group_by(Item.theme)).all()
    counts = {theme: count for theme, count in rows}
    return [{"theme": t.value, "label": theme_label(t.value, lang), "count": counts[t.value]}
            for t in (*LEARNING_THEMES, Theme.UNCLASSIFIED) if counts.get(t.value)]


def _theme_items(session: Session, theme: str) -> list[dict[str, Any]]:
    found = session.scalars(
        library.visible_items().where(Item.theme == theme, Item.kind.in_(TV_KINDS))
        .order_by(Item.title, Item.id).limit(MAX_ITEMS)).all()
    return [{"id": i.id, "title": i.title, "duration": i.duration, "kind": i.kind,
             "browser_playable": i.browser_playable} for i in found]


def station_token_of(request: Request) -> str:
    """The token the TV was opened with, carried on to the pages it links to, for a TV
    browser that keeps no cookie."""
    return request.query_params.get("station_token", "") if principal_of(request).station else ""


def tv_url(request: Request, name: str, node_id: int, **query: str) -> str:
    token = station_token_of(request)
    wanted = {k: v for k, v in query.items() if v} | ({"station_token": token} if token else {})
    path = request.app.url_path_for(name, node_id=node_id)
    return f"{path}?{urlencode(wanted)}" if wanted else str(path)


def server_clock(request: Request) -> dict[str, Any]:
    """The server's time and zone for the TV's clock: a station TV's own clock is often
    wrong, and its time zone unset."""
    return {"zone": request.app.state.settings.timezone, "now_ms": int(time.time() * 1000)}


def station_open(request: Request) -> Response:
    """One theme's items for open viewing (?theme=), or the themes to choose from."""
    lang = pick_lang(request)
    raw = request.query_params.get("theme", "")
    theme = parse_theme(raw).value if raw else None
    with request.app.state.db.session() as session:
        station = org.get_node(session, request.path_params["node_id"])
        if station.kind != org.Kind.STATION:
            raise NotFound("node_not_found", node_id=station.id)
        themes = open_themes(session, lang)
        items = _theme_items(session, theme) if theme else []
    back = tv_url(request, "station_tv", station.id)
    return render(request, "tv_open.html", station=station, theme=theme,
                  theme_name=theme_label(theme, lang) if theme else "", themes=themes,
                  items=items, token=station_token_of(request), back=back,
                  server_clock=server_clock(request),
                  theme_url=lambda value: tv_url(request, "station_open", station.id,
                                                 theme=value))
