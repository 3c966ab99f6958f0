"""Numbers no one should send, over real HTTP on SQLite and PostgreSQL: a 5,000-digit id
(past Python's int() limit), one past 64 bits (past SQLite's and PostgreSQL's), "²" (a
digit to str.isdigit(), not to int()), and nan, inf and 1e999 where a float is read.
Each is a 400 or 404 that says what was wrong, never a 500."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route
from yj_testing import make_settings, running_server, sign_in

from catalog.db import Database
from catalog.org import demo_org
from catalog.settings import Settings
from indexer.pipeline import Scanner
from web.app import create_app

pytestmark = pytest.mark.ffmpeg

HUGE = "9" * 5000
BIG = str(2**64)
ODD_DIGIT = "²"
NOT_MINE = {"logout", "account_password", "login", "static"}  # they would end the test

BAD_QUERIES = [
    ("/api/search", "min_duration", "1e999"), ("/api/search", "min_duration", "nan"),
    ("/api/search", "max_duration", "inf"), ("/api/search", "min_duration", "-1"),
    ("/search", "min_duration", "nan"), ("/api/search", "page", ODD_DIGIT),
    ("/api/items", "page", HUGE), ("/api/items", "per_page", HUGE),
    ("/api/playbacks", "item", HUGE), ("/api/playbacks", "item", ODD_DIGIT),
    ("/api/playbacks", "item", BIG), ("/api/playbacks", "page", ODD_DIGIT),
    ("/api/org/1/plans", "year", HUGE), ("/api/org/1/plans", "year", ODD_DIGIT),
    ("/org/1/plan", "year", HUGE), ("/api/members", "node", BIG),
    ("/api/members", "page", HUGE),
]


@pytest.fixture
def staff(db: Database, settings: Settings, demo_library: Path, tmp_path: Path
          ) -> httpx.Client:
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        demo_org.build(session)
    served = make_settings(settings.data_dir, settings.db_url, guest_viewing=False)
    with running_server(served, db) as url, httpx.Client(base_url=url, timeout=60) as client:
        client.headers["x-csrf-token"] = sign_in(client, db, "boss", "admin")
        client.headers["accept"] = "application/json"
        yield client


def test_no_number_in_a_path_is_a_500(staff: httpx.Client, settings: Settings) -> None:
    routes = [r for r in create_app(settings).routes
              if isinstance(r, Route) and r.name not in NOT_MINE and "{" in r.path]
    tried = 0
    for route in routes:
        for number in (HUGE, BIG, "2147483648", "0"):
            path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m, n=number: {
                "fmt": "csv", "track": f"s{n}", "token": n}.get(m.group(1), n), route.path)
            for method in sorted((route.methods or set()) - {"HEAD"}):
                response = staff.request(method, path)
                assert response.status_code in (400, 404), (route.name, method, number,
                                                            response.text[:300])
                tried += 1
    assert tried > 150


def test_a_bad_number_in_a_query_is_a_400_naming_it(staff: httpx.Client) -> None:
    for path, name, value in BAD_QUERIES:
        response = staff.get(path, params={name: value})
        assert response.status_code == 400, (path, name, value[:10], response.text[:300])
        # Each kind of bad value has its key, and the parameter is named (issue 14.7).
        kind = "bad_number" if name.endswith("_duration") else "bad_integer"
        assert response.json()["error"] == kind and response.json()["param"] == name
        assert name in response.json()["message"] and len(response.text) < 1000


def test_bad_numbers_in_forms_and_json_are_400(staff: httpx.Client) -> None:
    items = staff.get("/api/items").json()["items"]
    sessions = staff.get("/api/sessions").json()["sessions"]
    forms = [("/org/1/rules", {"year": "2027", "rule": "day:10", "minutes": "abc"}),
             ("/org/1/rules", {"year": HUGE}),
             ("/must-watch", {"item_id": HUGE}),
             ("/users/new", {"node_id": "1", "member_id": ODD_DIGIT, "username": "x",
                             "role": "admin"})]
    for path, form in forms:
        response = staff.post(path, data=form)
        assert response.status_code == 400, (path, form, response.text[:300])
    if sessions:
        target = f"/api/sessions/{sessions[0]['id']}"
        for body in ({"items": [10**30]}, {"items": [items[0]["id"], True]},
                     {"discussion_minutes": 1e300}):
            assert staff.put(target, json=body).status_code == 400, body
        response = staff.post(f"{target}/compose", content=b'{"weights": {"party": 1e999}}',
                              headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text[:300]


def test_a_range_of_huge_numbers_is_answered_by_the_rfc(staff: httpx.Client) -> None:
    items = staff.get("/api/items", params={"per_page": 200}).json()["items"]
    item = next(i for i in items if i["path"].endswith(".mp4"))
    size = item["size"]
    expected = {
        f"bytes={HUGE}-": (416, f"bytes */{size}"),  # starts past the end (§14.1.1)
        f"bytes=0-9,{HUGE}-": (206, f"bytes 0-9/{size}"),  # the satisfiable part
        f"bytes={'0' * 5000}1-9": (206, f"bytes 1-9/{size}"),
        # A last position or a suffix past the end: to the end (§14.1.2).
        f"bytes=0-{HUGE}": (206, f"bytes 0-{size - 1}/{size}"),
        f"bytes=-{HUGE}": (206, f"bytes 0-{size - 1}/{size}"),
    }
    for header, (status, content_range) in expected.items():
        response = staff.get(f"/stream/{item['id']}", headers={"range": header})
        assert (response.status_code, response.headers.get("content-range")) == (
            status, content_range), header[:20]
