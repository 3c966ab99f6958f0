"""Search for open self-selected viewing: /search (page) and /api/search (JSON)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog.library.themes import LEARNING_THEMES as THEMES
from catalog.library.themes import theme_label
from indexer.search_index import SORTS, Filters, Results, SearchIndex
from web.i18n import pick_lang
from web.params import choice_param, int_param, number_param
from web.views import render

KINDS = ("video", "audio", "document")
PER_PAGE = 20


def _number(request: Request, name: str) -> float | None:
    # Seconds: a hundred years is more than any courseware lasts.
    return number_param(request, name, 0, 100 * 365 * 86400)


YES, NO = ("1", "true", "yes"), ("0", "false", "no")


def _ask(request: Request) -> tuple[str, Filters, str, int]:
    params = request.query_params
    page = int_param(request, "page", 1, 1, 10_000)
    must = choice_param(request, "must_watch", YES + NO)
    filters = Filters(theme=choice_param(request, "theme", tuple(t.value for t in THEMES)),
                      kind=choice_param(request, "kind", KINDS),
                      min_duration=_number(request, "min_duration"),
                      max_duration=_number(request, "max_duration"),
                      must_watch=None if must is None else must in YES)
    sort = choice_param(request, "sort", SORTS) or "relevance"
    return params.get("q", ""), filters, sort, page


def _search(request: Request) -> tuple[str, Filters, Results]:
    text, filters, sort, page = _ask(request)
    index: SearchIndex = request.app.state.search
    results = index.search(request.app.state.db, text, filters, sort, page, PER_PAGE)
    return text, filters, results


def _hit_json(request: Request, hit: Any, lang: str) -> dict[str, Any]:
    return {"id": hit.id, "title": hit.title, "title_html": hit.highlighted,
            "theme": hit.theme, "theme_label": theme_label(hit.theme, lang), "kind": hit.kind,
            "duration": hit.duration,
            "watch_url": str(request.url_for("watch", item_id=hit.id).path),
            "poster_url": (str(request.url_for("poster", item_id=hit.id).path)
                           if hit.kind == "video" else None)}


async def api_search(request: Request) -> Response:
    lang = pick_lang(request)
    text, _filters, results = await run_in_threadpool(_search, request)
    return JSONResponse({
        "q": text, "total": results.total, "page": results.page,
        "per_page": results.per_page, "source": results.source,
        "results": [_hit_json(request, h, lang) for h in results.hits],
        "facets": results.facets, "suggestion": results.suggestion,
    })


async def search_page(request: Request) -> Response:
    lang = pick_lang(request)
    text, filters, results = await run_in_threadpool(_search, request)
    pages = max(1, -(-results.total // results.per_page))
    return render(request, "search.html", q=text, filters=filters, results=results,
                  hits=[_hit_json(request, h, lang) for h in results.hits], pages=pages,
                  themes=[t.value for t in THEMES])
