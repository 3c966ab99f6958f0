"""One place turns errors into a Chinese (or English) page, or JSON for API paths."""

from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog.errors import YuanjiaoError
from catalog.messages import message
from web.i18n import UI, pick_lang, translator
from web.negotiation import wants_json

log = logging.getLogger(__name__)
NAMES_SOMETHING = re.compile(r"[0-9/]")  # an id or a path, in a "not found"


def plain_text(key: str, status: int, text: str, lang: str) -> str:
    """The error as a page for members, terminals and guests says what happened and what
    to do, with no command line, number or path in it (issue 14.7): a 404 page had told
    a member to run `yuanjiao items`. Staff read the full message."""
    plain = f"plain_{key}"
    if plain in UI:
        return translator(lang)(plain)
    if status == 404 and (NAMES_SOMETHING.search(text) or "yuanjiao" in text):
        return translator(lang)("plain_not_found")  # "no node 12", "no page /x/y"
    if "yuanjiao" in text:
        return translator(lang)("plain_error")
    return text


# Errors about one request parameter or field: the JSON names it as "param" too, so a
# client can tell ?page=0 from ?per_page=0 (issue 14.7).
PARAMETER_ERRORS = {"bad_integer": "name", "bad_number": "name", "bad_choice": "name",
                    "bad_date": "name", "bad_time": "name", "bad_view_report": "field"}


def render_error(request: Request, status: int, key: str, text: str,
                 param: str | None = None) -> Response:
    if wants_json(request):
        body = {"error": key, "message": text} | ({"param": param} if param else {})
        return JSONResponse(body, status_code=status)
    from catalog.org.accounts import role_label
    from web.access import STAFF
    from web.auth import principal_of

    lang = pick_lang(request)
    templates = request.app.state.templates
    principal = principal_of(request)
    if principal.role not in STAFF:
        text = plain_text(key, status, text, lang)
    return templates.TemplateResponse(
        request, "error.html", {"lang": lang, "t": translator(lang), "message": text,
                                "path_for": request.app.url_path_for, "me": principal,
                                "csrf": principal.csrf, "role_label": role_label},
        status_code=status)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, YuanjiaoError)
    field = PARAMETER_ERRORS.get(exc.key)
    param = str(exc.fields.get(field, "")) if field else None
    return render_error(request, exc.status, exc.key, exc.message(pick_lang(request)),
                        param)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own: no route (404), a method the route does not take (405), a form
    or multipart body it cannot parse (400)."""
    assert isinstance(exc, HTTPException)
    lang = pick_lang(request)
    if exc.status_code == 404:
        return render_error(request, 404, "page_not_found",
                            message("page_not_found", lang, path=request.url.path))
    if exc.status_code == 405:
        answer = render_error(request, 405, "method_not_allowed",
                              message("method_not_allowed", lang, method=request.method[:16]))
    elif exc.status_code == 400:
        answer = render_error(request, 400, "bad_form",
                              message("bad_form", lang, detail=str(exc.detail)[:200]))
    else:
        answer = render_error(request, exc.status_code, "http_error", str(exc.detail))
    answer.headers.update(exc.headers or {})  # 405's Allow
    return answer


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return render_error(request, 500, "internal_error",
                        message("internal_error", pick_lang(request)))


EXCEPTION_HANDLERS = {
    YuanjiaoError: domain_error,
    HTTPException: http_error,
    500: server_error,
}
