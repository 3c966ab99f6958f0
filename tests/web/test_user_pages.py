"""An administrator manages accounts in the browser's forms: add with a one-time
password, reset, disable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient
from yj_testing import make_settings

from catalog.db import Database
from catalog.models import OrgNode
from catalog.org import demo_org
from web.app import create_app


def log_in(client: TestClient, username: str, password: str) -> Any:
    client.cookies.clear()
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    return client.post("/login", data={"csrf": token.group(1), "username": username,
                                       "password": password, "next": "/api/me"},
                       follow_redirects=False)


def shown_password(page: str) -> str:
    found = re.search(r"一次性密码：(\S+)　", page)
    assert found, page[:2000]
    return found.group(1)


def test_an_admin_adds_resets_and_disables_accounts(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
        town = session.scalars(select(OrgNode).where(OrgNode.name == "城关镇")).one().id
    with TestClient(create_app(settings, db)) as client:
        log_in(client, "admin", demo_org.DEMO_PASSWORD)
        csrf = client.get("/api/me").json()["csrf"]
        page = client.get("/users")
        assert page.status_code == 200 and "chengguan" in page.text

        made = client.post("/users/new", data={"csrf": csrf, "username": "wang",
                                               "display_name": "王组织员",
                                               "role": "town_organizer", "node_id": town})
        assert made.status_code == 200
        first = shown_password(made.text)
        wrong_level = client.post("/users/new", data={"csrf": csrf, "username": "li",
                                                      "role": "station_admin",
                                                      "node_id": town})
        assert wrong_level.status_code == 400 and "只能设在这些层级" in wrong_level.text

        assert log_in(client, "wang", first).status_code == 303
        assert client.get("/api/org").json()["error"] == "must_change_password"

        log_in(client, "admin", demo_org.DEMO_PASSWORD)
        users = {u["username"]: u["id"] for u in client.get("/api/users").json()["users"]}
        csrf = client.get("/api/me").json()["csrf"]
        reset = client.post(f"/users/{users['hexi']}/password", data={"csrf": csrf})
        second = shown_password(reset.text)
        assert log_in(client, "hexi", demo_org.DEMO_PASSWORD).status_code == 401
        assert log_in(client, "hexi", second).status_code == 303

        log_in(client, "admin", demo_org.DEMO_PASSWORD)
        csrf = client.get("/api/me").json()["csrf"]
        client.post(f"/users/{users['hexi']}/disable", data={"csrf": csrf,
                                                            "action": "disable"})
        assert log_in(client, "hexi", second).status_code == 401
        log_in(client, "admin", demo_org.DEMO_PASSWORD)
        csrf = client.get("/api/me").json()["csrf"]
        client.post(f"/users/{users['hexi']}/disable", data={"csrf": csrf, "action": "enable"})
        assert log_in(client, "hexi", second).status_code == 303
    db.close()
