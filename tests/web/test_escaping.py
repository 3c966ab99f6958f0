"""Titles, names and file names carrying <script> are shown escaped on every page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlalchemy import select
from starlette.routing import Route
from starlette.testclient import TestClient
from yj_testing import make_settings, sign_in

from catalog import org
from catalog.db import Database
from catalog.models import OrgNode
from catalog.org import accounts
from indexer.pipeline import Scanner
from web.app import create_app

EVIL = "<script>alert({n})</script>"


def evil(n: int) -> str:
    return EVIL.format(n=n)


def test_every_page_escapes_what_people_and_files_are_called(
        tmp_path: Path, db_url: str, demo_library: Path) -> None:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    root = tmp_path / "库"
    # A file name cannot hold "/": the closing tag is left out there.
    folder = root / "<script>alert(1)"
    folder.mkdir(parents=True)
    shutil.copy(demo_library / "先进适用科技" / "rice.mp4", folder / "<script>alert(2).mp4")
    (root / "<script>alert(3).avi").write_text("not a video\n" * 40)
    db = Database.open(settings)
    Scanner(db, settings).scan([root])
    with db.transaction() as session:
        city = org.ensure_city(session)
        town = org.add_node(session, city, evil(4))
        branch = org.add_node(session, town, evil(5))
        station = org.add_node(session, branch, evil(6), code=evil(11))
        member = org.add_member(session, branch, org.MemberFields(
            evil(7), "", org.Category.FULL, False, note=evil(12)))
        accounts.create_user(session, "boss", "test-password-1", accounts.Role.ADMIN, city,
                             display_name=evil(8))
        ids = {"node_id": branch.id, "town": town.id, "station": station.id,
               "member_id": member.id}
    app = create_app(settings, db)
    with TestClient(app) as client:
        csrf = sign_in(client, None, "boss")
        item = client.get("/api/items").json()["items"][0]
        client.get(f"/stream/{item['id']}", headers={"range": "bytes=0-99"})
        preview = client.post(f"/org/{ids['node_id']}/import", data={"csrf": csrf}, files={
            "file": ("<script>alert(13).csv", f"姓名,类别\n{evil(14)},{evil(10)}\n".encode())})
        pages = {
            "preview": preview,
            "search": client.get("/search", params={"q": evil(9)}),
            "search_hit": client.get("/search", params={"q": "script"}),
            "missing": client.get(f"/nowhere/{evil(15)}"),
            "login_next": client.get("/login", params={"next": evil(16)}),
        }
        for route in app.routes:
            if not isinstance(route, Route) or "GET" not in (route.methods or ()):
                continue
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str({
                "item_id": item["id"], "node_id": ids["node_id"], "member_id": ids["member_id"],
                "fmt": "csv", "index": 0, "track": 0, "token": "x"}.get(m.group(1))),
                route.path)
            if route.name in ("station_page",):
                path = f"/stations/{ids['station']}"
            pages[f"route {route.name}"] = client.get(path)
        pages["town"] = client.get(f"/org/{ids['town']}")
    db.close()

    html_pages = {name: r for name, r in pages.items()
                  if r.headers.get("content-type", "").startswith("text/html")}
    assert len(html_pages) >= 15, sorted(html_pages)
    for name, response in html_pages.items():
        assert "<script>alert" not in response.text, name
    shown = "".join(r.text for r in html_pages.values())
    for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14):
        assert f"&lt;script&gt;alert({n})&lt;/script&gt;" in shown or \
            f"&lt;script&gt;alert({n})" in shown, n
    # JSON carries the names as they are (a client must escape them; our pages do).
    with TestClient(create_app(settings)) as client:
        sign_in(client, None, "boss")
        assert client.get(f"/api/members/{ids['member_id']}").json()["name"] == evil(7)
    again = Database.open(settings)
    with again.session() as session:
        assert session.scalars(select(OrgNode.name).where(OrgNode.id == ids["town"])
                               ).one() == evil(4)
    again.close()
