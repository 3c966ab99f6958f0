"""Accounts for administrators: list, add (with a one-time password), reset, disable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from catalog import org
from catalog.errors import NotFound, YuanjiaoError
from catalog.org import accounts
from catalog.org.models import OrgNode, User
from web.i18n import pick_lang
from web.params import MAX_ID, parse_id, parse_int
from web.views import render


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    with request.app.state.db.session() as session:
        root = org.ensure_city(session)
        nodes = list(org.subtree(session, root))
        names = {n.id: n.name for n in nodes}
        users = session.scalars(select(User).order_by(User.username)).all()
    response = render(request, "users.html", users=users, nodes=nodes, names=names,
                      roles=list(accounts.Role), kind_label=org.kind_label,
                      **({"created": None, "password": None, "error": ""} | context))
    response.status_code = status
    return response


def users_page(request: Request) -> Response:
    return _page(request)


async def user_create(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    member_text = str(form.get("member_id", "")).strip()
    password = accounts.one_time_password()
    try:
        with request.app.state.db.transaction() as session:
            node_text = str(form.get("node_id", ""))
            node_id = parse_id(node_text)
            node = session.get(OrgNode, node_id) if node_id else None
            if node is None:
                raise NotFound("node_not_found", node_id=node_text or "—")
            member = None
            if member_text:
                member = org.get_member(session, parse_int(member_text, "member_id", 1,
                                                           MAX_ID))[0]
            accounts.create_user(session, username, password,
                                 accounts.parse_role(str(form.get("role", ""))), node, member,
                                 str(form.get("display_name", ""))[:100], must_change=True)
    except YuanjiaoError as exc:
        return _page(request, exc.status, error=exc.message(pick_lang(request)))
    return _page(request, created=username, password=password)


async def user_password(request: Request) -> Response:
    """A new one-time password, shown once; every session of the account ends."""
    password = accounts.one_time_password()
    with request.app.state.db.transaction() as session:
        user = session.get(User, request.path_params["user_id"])
        if user is None:
            raise NotFound("user_not_found", username=str(request.path_params["user_id"]))
        accounts.set_password(session, user, password, must_change=True)
        username = user.username
    return _page(request, created=username, password=password)


async def user_disable(request: Request) -> Response:
    form = await request.form()
    with request.app.state.db.transaction() as session:
        user = session.get(User, request.path_params["user_id"])
        if user is None:
            raise NotFound("user_not_found", username=str(request.path_params["user_id"]))
        accounts.set_disabled(session, user, form.get("action") != "enable")
    return RedirectResponse(request.app.url_path_for("users_page"), status_code=303)
