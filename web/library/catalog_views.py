"""The catalog's pages and JSON: themes with their first items, an item, the watch page,
scan errors and disc images."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import library
from catalog.library.themes import LEARNING_THEMES, THEME_LABELS, Theme, parse_theme
from web.i18n import pick_lang
from web.params import int_param
from web.views import render

MAX_PER_PAGE = 200


def _theme_param(request: Request) -> str | None:
    raw = request.query_params.get("theme")
    return parse_theme(raw).value if raw else None


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
    from web.library.media_views import load_media_item, subtitle_tracks

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
