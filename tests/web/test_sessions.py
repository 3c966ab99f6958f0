"""Login sessions over real HTTP: fixation, revocation, throttling, forged
X-Forwarded-For, and CSRF on every unsafe route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.routing import Route
from starlette.testclient import TestClient
from yj_testing import make_settings, running_server

from catalog import org
from catalog.db import Database
from catalog.models import LoginFailure, LoginSession, Member
from catalog.org import demo_org
from catalog.settings import Settings
from web.app import create_app


@pytest.fixture
def town(tmp_path: Path, db_url: str) -> Iterator[tuple[Settings, Database]]:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
    yield settings, db
    db.close()


def login_form_token(client: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert found
    return found.group(1)


def log_in(client: Any, username: str = "chengguan",
           password: str = demo_org.DEMO_PASSWORD, **headers: str) -> Any:
    return client.post("/login", data={"csrf": login_form_token(client), "username": username,
                                       "password": password, "next": "/api/me"},
                       headers=headers, follow_redirects=False)


def issued(response: Any) -> str:
    """The session id a response set."""
    found = re.search(r"yj_session=([^;]+)", response.headers.get("set-cookie", ""))
    assert found, response.headers
    return found.group(1)


def me(client: Any, session_id: str) -> int:
    """The status /api/me answers for a browser that presents ``session_id`` only."""
    client.cookies.clear()
    return int(client.get("/api/me", headers={"cookie": f"yj_session={session_id}"})
               .status_code)


def csrf_of(client: Any, session_id: str) -> str:
    client.cookies.clear()
    return str(client.get("/api/me", headers={"cookie": f"yj_session={session_id}"})
               .json()["csrf"])


def test_login_issues_a_new_id_and_the_old_one_dies(town: tuple[Settings, Database]) -> None:
    settings, db = town
    with TestClient(create_app(settings, db)) as client:
        token = login_form_token(client)
        form = {"csrf": token, "username": "chengguan", "password": demo_org.DEMO_PASSWORD}
        planted = client.post("/login", data=form, follow_redirects=False, headers={
            "cookie": f"yj_csrf={token}; yj_session=chosen-by-an-attacker"})
        first = issued(planted)
        assert first != "chosen-by-an-attacker"
        client.cookies.clear()
        form["csrf"] = csrf_of(client, first)
        again = client.post("/login", data=form, follow_redirects=False,  # signs in again
                            headers={"cookie": f"yj_session={first}"})
        second = issued(again)
        assert second != first
        assert me(client, second) == 200
        assert me(client, first) == 401
        assert me(client, "chosen-by-an-attacker") == 401
    with db.session() as session:  # only digests are stored
        stored = set(session.scalars(select(LoginSession.id_hash)))
    assert second not in stored and len(stored) == 1


def test_logout_and_password_change_revoke_old_cookies(
        town: tuple[Settings, Database]) -> None:
    settings, db = town
    with TestClient(create_app(settings, db)) as client:
        at_home = issued(log_in(client))
        client.cookies.clear()
        on_phone = issued(log_in(client))
        client.cookies.clear()
        assert client.post("/logout", data={"csrf": csrf_of(client, on_phone)},
                           headers={"cookie": f"yj_session={on_phone}"},
                           follow_redirects=False).status_code == 303
        assert me(client, on_phone) == 401

        client.cookies.clear()
        elsewhere = issued(log_in(client))
        csrf = csrf_of(client, at_home)
        client.cookies.clear()
        changed = client.post("/account/password", data={
            "csrf": csrf, "current": demo_org.DEMO_PASSWORD, "new": "a-new-password-9",
            "again": "a-new-password-9"}, headers={"cookie": f"yj_session={at_home}"},
            follow_redirects=False)
        assert changed.status_code == 303
        fresh = issued(changed)
        assert fresh != at_home
        assert me(client, fresh) == 200
        assert me(client, at_home) == 401 and me(client, elsewhere) == 401
        client.cookies.clear()
        assert log_in(client).status_code == 401  # the old password is gone
        assert log_in(client, password="a-new-password-9").status_code == 303


def test_the_101st_failed_login_in_an_hour_is_refused(town: tuple[Settings, Database]) -> None:
    settings, db = town
    with TestClient(create_app(settings, db)) as client:
        statuses = [log_in(client, password=f"guess-{n}").status_code for n in range(100)]
        assert set(statuses) == {401}
        refused = log_in(client)  # the right password, now too late
        assert refused.status_code == 429
        assert "分钟后再试" in refused.text
        assert log_in(client, "hexi").status_code == 303  # other accounts are untouched


def test_a_forged_forwarded_for_gains_nothing(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False,
                             login_failures_per_address=3)
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        assert client.get("/api/org", headers={"x-forwarded-for": "127.0.0.1"}
                          ).status_code == 401
        for n, forged in enumerate(["10.0.0.1", "10.0.0.2", "127.0.0.1"]):
            assert log_in(client, "hexi", f"guess-{n}", **{"x-forwarded-for": forged}
                          ).status_code == 401
        # Three failures from this address: a fourth forged address does not start afresh.
        assert log_in(client, "chengguan", **{"x-forwarded-for": "10.0.0.9"}).status_code == 429
    with db.session() as session:
        addresses = set(session.scalars(select(LoginFailure.address)))
    assert addresses == {"127.0.0.1"}
    db.close()


def test_a_configured_proxy_is_believed(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path / "data", db_url, trusted_proxies=["127.0.0.1"])
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        log_in(client, "hexi", "wrong-password", **{"x-forwarded-for": "192.168.7.7"})
    with db.session() as session:
        assert set(session.scalars(select(LoginFailure.address))) == {"192.168.7.7"}
    db.close()


# The unsafe routes without a CSRF token in the guard: a player page's report, whose random
# view id stands in for it (terminals and guests hold no token; tests/web/test_watched_seconds.py),
# and sign-ins, where the TV's rotating code stands in for it and marks (no code) check the
# token, or a terminal's same origin, in the handler (tests/web/test_attendance.py).
NO_CSRF = {"api_view_report", "api_signins"}


def _unsafe_routes(app: Any, ids: dict[str, int]) -> list[tuple[str, str]]:
    from web.access import RULES

    assert {name for name, rule in RULES.items() if not rule.csrf} == NO_CSRF
    found = []
    for route in app.routes:
        if not isinstance(route, Route) or route.name in NO_CSRF:
            continue
        for method in sorted((route.methods or set()) - {"GET", "HEAD"}):
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(ids.get(m.group(1), "x")),
                          route.path)
            found.append((method, path))
    return found


def test_every_unsafe_request_without_a_csrf_token_is_refused(
        town: tuple[Settings, Database]) -> None:
    settings, db = town
    from datetime import UTC, datetime, timedelta

    from catalog import org, planning
    from catalog.org import accounts

    with db.transaction() as session:
        member = session.scalars(select(Member).where(Member.name == "张三")).one()
        start = datetime(2027, 3, 10, 1, tzinfo=UTC)
        study = planning.create_session(session, org.get_node(session, member.org_id), start,
                                        start + timedelta(hours=4), "三月")
        ids = {"node_id": member.org_id, "member_id": member.id, "session_id": study.id,
               "row": 1, "seq": 1, "month": "2027-03",
               "user_id": accounts.find_user(session, "hexi").id}
    app = create_app(settings, db)
    with TestClient(app, headers={"accept": "application/json"}) as client:
        routes = _unsafe_routes(app, ids)
        assert len(routes) >= 20
        assert not [path for _, path in routes if "/x" in path], "a path parameter unfilled"
        # Signed out: the login form needs its double-submit token too.
        refused = client.post("/login", data={"username": "admin",
                                              "password": demo_org.DEMO_PASSWORD})
        assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
        log_in(client, "admin")
        token = client.get("/api/me").json()["csrf"]
        for method, path in routes:
            for headers in ({}, {"x-csrf-token": "wrong"},
                            {"x-csrf-token": token, "origin": "http://evil.example"}):
                response = client.request(method, path, data={"name": "x"}, headers=headers)
                assert response.status_code == 403, (method, path, headers)
                assert response.json()["error"] == "csrf_failed", path
        # …and with the token the same request passes the guard.
        renamed = client.post(f"/org/{ids['node_id']}/rename",
                              data={"csrf": token, "name": "东村党支部（新）"},
                              follow_redirects=False)
        assert renamed.status_code == 303
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_a_one_time_password_must_be_changed_first(town: tuple[Settings, Database]) -> None:
    from catalog.org import accounts

    settings, db = town
    with db.transaction() as session:
        accounts.set_password(session, accounts.find_user(session, "hexi"), "one-time-pass-1",
                              must_change=True)
    with TestClient(create_app(settings, db)) as client:
        session_id = issued(log_in(client, "hexi", "one-time-pass-1"))
        headers = {"cookie": f"yj_session={session_id}"}
        client.cookies.clear()
        page = client.get("/org", headers=headers | {"accept": "text/html"},
                          follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/account/password"
        api = client.get("/api/org", headers=headers)
        assert api.status_code == 403 and api.json()["error"] == "must_change_password"
        assert client.get("/api/me", headers=headers).json()["user"]["must_change_password"]
        changed = client.post("/account/password", headers=headers, data={
            "csrf": csrf_of(client, session_id), "current": "one-time-pass-1",
            "new": "my-own-password", "again": "my-own-password"}, follow_redirects=False)
        client.cookies.clear()
        assert client.get("/api/org", headers={"cookie": f"yj_session={issued(changed)}"}
                          ).status_code == 200


def test_a_renewed_or_revoked_station_token_opens_nothing(
        town: tuple[Settings, Database]) -> None:
    from catalog.models import OrgNode

    settings, db = town
    with db.session() as session:
        station = session.scalars(select(OrgNode).where(OrgNode.code == "CG-001")).one()
        old = org.token_of(session, station)
    with TestClient(create_app(settings, db)) as client:
        assert client.get(f"/api/me?station_token={old}").json()["role"] == "terminal"
        client.cookies.clear()
        session_id = issued(log_in(client, "dongcun"))
        headers = {"cookie": f"yj_session={session_id}"}
        client.cookies.clear()
        page = client.get(f"/stations/{station.id}", headers=headers)
        assert "<svg" in page.text and f"/t/{old}" in page.text
        csrf = csrf_of(client, session_id)
        client.cookies.clear()
        client.post(f"/stations/{station.id}/token", headers=headers,
                    data={"csrf": csrf, "action": "renew"})
        client.cookies.clear()
        assert client.get(f"/api/me?station_token={old}").status_code == 401
        assert client.get(f"/t/{old}", follow_redirects=False).status_code == 404
        new = re.search(r"/t/([\w-]+)", client.get(f"/stations/{station.id}",
                                                     headers=headers).text)
        assert new and new.group(1) != old
        assert client.get(f"/api/me?station_token={new.group(1)}").status_code == 200
        client.cookies.clear()
        client.post(f"/stations/{station.id}/token", headers=headers,
                    data={"csrf": csrf, "action": "revoke"})
        client.cookies.clear()
        assert client.get(f"/api/me?station_token={new.group(1)}").status_code == 401
        assert "没有有效令牌" in client.get(f"/stations/{station.id}", headers=headers).text


def test_a_head_request_acts_on_nothing(town: tuple[Settings, Database]) -> None:
    """HEAD is safe, so it passes without a CSRF token; Starlette answers HEAD on every
    route that has GET, and a GET+POST endpoint that took anything but GET for a POST
    would sign in, change a password or store an upload on a HEAD."""
    from catalog.models import OrgNode
    from catalog.org import accounts

    settings, db = town
    with db.session() as session:
        branch = session.scalars(select(OrgNode).where(OrgNode.name == "东村党支部")).one()
    app = create_app(settings, db)
    mixed = [r for r in app.routes if isinstance(r, Route) and "GET" in (r.methods or ())
             and (r.methods or set()) - {"GET", "HEAD"}]
    assert {r.name for r in mixed} >= {"login", "account_password", "roster_import"}
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        head = client.request("HEAD", "/login", data={
            "username": "chengguan", "password": demo_org.DEMO_PASSWORD, "next": "/api/me"})
        assert head.status_code == 200 and "yj_session" not in head.headers.get(
            "set-cookie", "")
        log_in(client, "dongcun")
        for route in mixed:
            path = re.sub(r"\{(\w+)(:\w+)?\}", str(branch.id), route.path)
            form = {"current": demo_org.DEMO_PASSWORD, "new": "hijacked-password-1",
                    "again": "hijacked-password-1"}
            got, head = client.get(path), client.request("HEAD", path, data=form,
                                                         files={"file": ("r.csv", b"x,y\n")})
            assert head.status_code == got.status_code, route.name
            assert head.content == b"" and "yj_session" not in head.headers.get(
                "set-cookie", ""), route.name
    imports = settings.data_dir / "imports"
    assert not imports.exists() or not any(imports.iterdir())
    with db.session() as session:
        user = accounts.find_user(session, "dongcun")
        assert user is not None
        accounts.HASHER.verify(user.password_hash, demo_org.DEMO_PASSWORD)  # unchanged
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 1
