"""Who is asking (session cookie, station token, or no one) and the guard every route
passes: its access rule (web/access.py), the forced password change, and CSRF."""

from __future__ import annotations

import functools
import inspect
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from catalog import org
from catalog.db import Database
from catalog.errors import Forbidden, NotFound, TooLarge, Unauthorized
from catalog.org.accounts import Limits, session_user
from catalog.org.models import OrgNode
from catalog.org.scope import ANONYMOUS, GUEST, Kind, Principal
from catalog.planning import exports
from catalog.settings import Settings
from web.access import Rule, rule_for
from web.negotiation import wants_json
from web.params import MAX_ID, TOO_LONG  # (and the {…:id} path convertor)

SESSION_COOKIE = "yj_session"
STATION_COOKIE = "yj_station"
LOGIN_CSRF_COOKIE = "yj_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_FORM_BYTES = 12 << 20

Endpoint = Callable[[Request], Response | Awaitable[Response]]


def limits(settings: Settings) -> Limits:
    return Limits(per_account=settings.login_failures_per_account,
                  per_address=settings.login_failures_per_address,
                  idle=timedelta(minutes=settings.session_idle_minutes),
                  absolute=timedelta(hours=settings.session_hours))


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no identity, not an error
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def _query_token(scope: Scope) -> str:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("station_token")
    return values[0] if values else ""


def _query_export(scope: Scope) -> str:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("export")
    return values[0] if values else ""


# An export token that is unknown, revoked or for a cancelled session: refused as such
# (web/auth.py guard), not as a missing login the user could do nothing about.
EXPORT_REFUSED = Principal(Kind.ANONYMOUS)  # told apart by identity


def resolve(db: Database, settings: Settings, session_id: str, token: str,
            export: str = "") -> Principal:
    """The principal for these credentials: a signed-in user first, then an export's
    token (which a URL carries on purpose), then a terminal."""
    with db.transaction() as session:
        if session_id:
            signed = session_user(session, session_id, limits(settings))
            if signed is not None:
                node = session.get_one(OrgNode, signed.user.node_id)
                return Principal(Kind.USER, signed.user, node, csrf=signed.csrf)
        if export:
            found = exports.grant_for(session, export, ZoneInfo(settings.timezone))
            if found is None:
                return EXPORT_REFUSED
            grant, station = found
            return Principal(Kind.EXPORT, node=station, station=station, grant=grant)
        if token:
            station = org.station_by_token(session, token)
            if station is not None:
                return Principal(Kind.TERMINAL, node=station, station=station)
    return GUEST if settings.guest_viewing else ANONYMOUS


class AuthMiddleware:
    """Puts ``request.state.principal`` (and the ledger's member and station labels) on
    every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        app_state = scope["app"].state
        cookies = _cookies(scope)
        session_id = cookies.get(SESSION_COOKIE, "")
        token = _query_token(scope) or cookies.get(STATION_COOKIE, "")
        export = _query_export(scope)
        principal = ANONYMOUS
        if session_id or token or export:
            principal = await run_in_threadpool(resolve, app_state.db, app_state.settings,
                                                session_id, token, export)
        elif app_state.settings.guest_viewing:
            principal = GUEST
        state["principal"] = principal
        state["member"] = principal.label or None
        if principal.station is not None:
            state["station"] = org.station_label(principal.station)
        if principal.grant is not None:  # an export plays its own session, whatever ?session= says
            state["session"] = str(principal.grant.session_id)
        await self.app(scope, receive, send)


def principal_of(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else ANONYMOUS


# ---- CSRF


def _same_origin(request: Request) -> bool:
    """An Origin (or, failing that, Referer) naming another site is refused; a request
    with neither (old browsers, curl) relies on the token alone."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return claimed is None
    parts = urlsplit(claimed)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


async def _submitted_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    length = request.headers.get("content-length", "")
    if len(length) > 12 or length.isascii() and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise TooLarge("body_too_large", limit_mb=MAX_FORM_BYTES >> 20)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Starlette keeps the parsed form on the request, which the endpoint receives.
        value = (await request.form()).get("csrf")
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request, principal: Principal) -> None:
    expected = principal.csrf if principal.signed_in else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not _same_origin(request) or not expected:
        raise Forbidden("csrf_failed")
    if not secrets.compare_digest(await _submitted_token(request), expected):
        raise Forbidden("csrf_failed")


def set_station_cookie(response: Response, request: Request, token: str) -> None:
    """The terminal keeps its station's token: later visits need none in the address."""
    response.set_cookie(STATION_COOKIE, token, max_age=10 * 365 * 24 * 3600, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def login_csrf(request: Request) -> str:
    """The double-submit token for forms used before signing in (the login form)."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(response: Response, request: Request, token: str) -> None:
    if request.cookies.get(LOGIN_CSRF_COOKIE) != token:
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")


# ---- the guard


def _wants_page(request: Request) -> bool:
    """A browser navigating (it asks for HTML) is sent to the login page; a player, a
    script or an API client gets a 401 it can act on."""
    return (request.method == "GET" and "text/html" in request.headers.get("accept", "")
            and not wants_json(request))


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _check_object(request: Request, rule: Rule, principal: Principal) -> None:
    """Objects named in the path must lie in the principal's part of the tree; outside
    it they do not exist (404), so ids cannot be probed."""
    from catalog.org.models import Member

    db: Database = request.app.state.db
    params = request.path_params
    unsafe = request.method not in SAFE_METHODS
    with db.session() as session:
        if rule.scope == "node":
            node = session.get(OrgNode, int(params["node_id"]))
            if node is None or not principal.sees(node):
                raise NotFound("node_not_found", node_id=params["node_id"])
            if (unsafe or rule.edit) and not principal.edits(node):
                raise Forbidden("forbidden")
        elif rule.scope in ("session", "notice", "station"):
            _check_session_or_station(session, rule, principal, params, unsafe)
        elif rule.scope == "member":
            member = session.get(Member, int(params["member_id"]))
            home = session.get(OrgNode, member.org_id) if member else None
            if member is None or home is None or not principal.sees_member(member, home):
                raise NotFound("member_not_found", member_id=params["member_id"])
            if (unsafe or rule.edit) and not principal.edits_member(home):
                raise Forbidden("forbidden")


def _check_session_or_station(session: Any, rule: Rule, principal: Principal,
                              params: dict[str, Any], unsafe: bool) -> None:
    """A session belongs to its organization's subtree; a station's terminal may also see
    its station and that station's sessions; a member, the published notices of his own
    organization's sessions ("notice")."""
    from catalog.org.models import Member
    from catalog.planning.models import StudySession

    terminal = principal.station.id if principal.station is not None else None
    if rule.scope in ("session", "notice"):
        study = session.get(StudySession, int(params["session_id"]))
        home = session.get(OrgNode, study.org_id) if study else None
        visible = home is not None and (principal.sees(home) or (
            terminal is not None and study.station_id == terminal))
        user = principal.user
        if not visible and rule.scope == "notice" and home is not None and user is not None:
            member = session.get(Member, user.member_id) if user.member_id else None
            visible = principal.reads_notice(study, home, member)
        if not visible:
            raise NotFound("session_not_found", session_id=params["session_id"])
    else:
        home = session.get(OrgNode, int(params["node_id"]))
        if home is None or not (principal.sees(home) or terminal == home.id):
            raise NotFound("node_not_found", node_id=params["node_id"])
    if (unsafe or rule.edit) and not principal.edits(home):
        raise Forbidden("forbidden")


def _missing(name: str, value: int, path: str) -> NotFound:
    if name in ("item_id", "node_id") and value != TOO_LONG:
        return NotFound(name.replace("_id", "_not_found"), **{name: value})
    return NotFound("page_not_found", path=path if len(path) <= 80 else path[:80] + "…")


def guarded(endpoint: Endpoint, name: str) -> Callable[[Request], Awaitable[Response]]:
    """``endpoint`` behind the access rule declared for ``name``; none declared: no one."""
    rule = rule_for(name)
    is_async = inspect.iscoroutinefunction(endpoint)

    @functools.wraps(endpoint)
    async def guard(request: Request) -> Response:
        principal = principal_of(request)
        if rule is None:
            raise Forbidden("forbidden")
        if principal.role not in rule.roles:
            if principal.signed_in:
                raise Forbidden("forbidden")
            if principal is EXPORT_REFUSED:
                raise Unauthorized("export_token_invalid")
            if _wants_page(request):
                return login_redirect(request)
            raise Unauthorized("login_required")
        for name, value in request.path_params.items():
            if isinstance(value, int) and value > MAX_ID:  # no such row: say what is missing
                raise _missing(name, value, request.url.path)
        if principal.grant is not None:
            item_id = request.path_params.get("item_id")
            if (refusal := principal.grant.refusal(item_id)) is not None:
                raise Forbidden(refusal, session_id=principal.grant.session_id)
        user = principal.user
        if user is not None and user.must_change_password and not rule.while_must_change:
            if _wants_page(request):
                return RedirectResponse("/account/password", status_code=303)
            raise Forbidden("must_change_password")
        if request.method not in SAFE_METHODS and rule.csrf:
            await check_csrf(request, principal)
        if rule.scope:
            await run_in_threadpool(_check_object, request, rule, principal)
        if is_async:
            return await endpoint(request)  # type: ignore[misc]
        return await run_in_threadpool(endpoint, request)  # type: ignore[return-value]

    return guard
