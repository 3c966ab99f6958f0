"""Signing in and out, changing one's password, and a station terminal's short link."""

from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from catalog import org
from catalog.db import Database
from catalog.errors import BadRequest, NotFound, YuanjiaoError
from catalog.org import accounts
from catalog.org.accounts import LoginRefused, LoginThrottled
from catalog.org.models import User
from catalog.org.scope import Principal
from web.auth import (
    SESSION_COOKIE,
    limits,
    login_csrf,
    principal_of,
    set_login_csrf,
    set_station_cookie,
)
from web.i18n import pick_lang
from web.views import render


def _address(request: Request) -> str:
    # uvicorn rewrites the client from X-Forwarded-For only for trusted_proxies.
    return request.client.host if request.client else ""


def _safe_next(target: str | None) -> str:
    """Only a path on this site: ``//evil.example`` or a full URL would send people away."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _set_session_cookie(response: Response, request: Request, raw_id: str) -> None:
    # No max-age: the browser forgets it when closed; the server ends it after
    # session_idle_minutes idle or session_hours in all.
    response.set_cookie(SESSION_COOKIE, raw_id, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def _login_form(request: Request, status: int = 200, error: str = "",
                username: str = "") -> Response:
    principal = principal_of(request)
    # Signed in already (signing in as someone else): the session's token guards the form.
    token = principal.csrf if principal.signed_in else login_csrf(request)
    response = render(request, "login.html", csrf=token, error=error, username=username,
                      next=_safe_next(request.query_params.get("next")))
    response.status_code = status
    if not principal.signed_in:
        set_login_csrf(response, request, token)
    return response


async def login(request: Request) -> Response:
    if request.method in ("GET", "HEAD"):
        return _login_form(request)
    form = await request.form()
    username = str(form.get("username", ""))[:200]
    password = str(form.get("password", ""))[:1000]
    settings = request.app.state.settings
    db: Database = request.app.state.db

    def attempt() -> str:
        with db.transaction() as session:
            user = accounts.authenticate(session, username, password, _address(request),
                                         limits(settings))
            accounts.forget_expired_sessions(session, limits(settings))
            return accounts.open_session(session, user, _address(request),
                                         request.headers.get("user-agent", ""))

    def record_failure() -> None:
        with db.transaction() as session:
            accounts.record_failure(session, username, _address(request))

    try:
        raw_id = await run_in_threadpool(attempt)
    except LoginThrottled as exc:
        return _login_form(request, 429, exc.message(pick_lang(request)), username)
    except LoginRefused as exc:
        await run_in_threadpool(record_failure)
        return _login_form(request, 401, exc.message(pick_lang(request)), username)
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # the id the browser came with is never reused (session fixation)
        await run_in_threadpool(_close, db, old)
    response = RedirectResponse(_safe_next(str(form.get("next", "/"))), status_code=303)
    _set_session_cookie(response, request, raw_id)
    return response


def _close(db: Database, raw_id: str) -> None:
    with db.transaction() as session:
        accounts.close_session(session, raw_id)


async def logout(request: Request) -> Response:
    raw_id = request.cookies.get(SESSION_COOKIE)
    if raw_id:
        await run_in_threadpool(_close, request.app.state.db, raw_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def account_password(request: Request) -> Response:
    principal = principal_of(request)
    assert principal.user is not None
    if request.method in ("GET", "HEAD"):
        return render(request, "password.html", error="")
    form = await request.form()
    current, new, again = (str(form.get(k, ""))[:1000] for k in ("current", "new", "again"))
    db: Database = request.app.state.db
    user_id = principal.user.id

    def change() -> str:
        with db.transaction() as session:
            user = session.get_one(User, user_id)
            try:
                accounts.HASHER.verify(user.password_hash, current)
            except (VerificationError, InvalidHashError):
                raise BadRequest("wrong_password") from None
            if new != again:
                raise BadRequest("passwords_differ")
            accounts.set_password(session, user, new)  # ends every session, this one too
            return accounts.open_session(session, user, _address(request),
                                         request.headers.get("user-agent", ""))

    try:
        raw_id = await run_in_threadpool(change)
    except YuanjiaoError as exc:
        response = render(request, "password.html", error=exc.message(pick_lang(request)))
        response.status_code = 400
        return response
    response = RedirectResponse("/", status_code=303)
    _set_session_cookie(response, request, raw_id)
    return response


def api_me(request: Request) -> Response:
    principal: Principal = principal_of(request)
    lang = pick_lang(request)
    data: dict[str, object] = {"kind": principal.kind.value, "role": principal.role,
                               "csrf": principal.csrf}
    with request.app.state.db.session() as session:
        if principal.user is not None:
            data["user"] = accounts.user_json(principal.user, lang)
            if principal.user.member_id:
                member, home = org.get_member(session, principal.user.member_id)
                data["member"] = org.member_json(member, home, lang)
        if principal.node is not None:
            data["node"] = org.node_json(principal.node, lang)
    return JSONResponse(data)


def station_link(request: Request) -> Response:
    """The short URL behind a station's QR code: the terminal keeps the token as a
    cookie, so its streams are attributed to the station with no one signing in."""
    token = request.path_params["token"]
    with request.app.state.db.session() as session:
        station = org.station_by_token(session, token)
    if station is None:
        raise NotFound("station_token_unknown")
    response = RedirectResponse("/", status_code=303)
    set_station_cookie(response, request, token)
    return response


def api_users(request: Request) -> Response:
    lang = pick_lang(request)
    from sqlalchemy import select

    with request.app.state.db.session() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        return JSONResponse({"users": [accounts.user_json(u, lang) for u in users]})

