"""The JSON API on real scanned media, through the real app (lifespan included), on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from yj_testing import make_small_bad_library, sign_in

from catalog import library
from catalog.db import Database
from catalog.library.themes import LEARNING_THEMES, THEME_LABELS, Theme, theme_label
from catalog.messages import MESSAGES
from catalog.settings import Settings
from indexer.pipeline import Scanner
from media.demo import MANIFEST
from web.app import create_app

pytestmark = pytest.mark.ffmpeg

DEMO_TOTAL = 17

def load_manifest(demo_library: Path) -> list[dict[str, Any]]:
    return json.loads((demo_library / MANIFEST).read_text("utf-8"))


def template_prefix(key: str, lang: str) -> str:
    """The fixed start of a message template, before its first field."""
    return MESSAGES[key][1 if lang == "en" else 0].split("{")[0]


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The app as deployed: it opens (and migrates) its own database at start-up."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def staff_client(client: TestClient, db: Database) -> TestClient:
    """The client signed in as an inspector: scan errors are for staff."""
    sign_in(client, db)
    return client


@pytest.fixture
def item_fields(demo_db: Database) -> set[str]:
    with demo_db.session() as session:
        return set(library.item_json(library.all_items(session)[0]))


@pytest.fixture
def ids_by_path(demo_db: Database) -> dict[str, int]:
    with demo_db.session() as session:
        return {i.rel_path: i.id for i in library.all_items(session)}


# /api/items


def test_items_lists_the_whole_demo_with_item_json_fields(
        demo_db: Database, client: TestClient, item_fields: set[str]) -> None:
    response = client.get("/api/items")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == DEMO_TOTAL and len(body["items"]) == DEMO_TOTAL
    assert (body["page"], body["per_page"], body["theme"]) == (1, 50, None)
    for item in body["items"]:
        assert set(item) == item_fields
        for moment in (item["added_at"], item["updated_at"]):
            assert moment.endswith("Z") and datetime.fromisoformat(moment).tzinfo is not None
    assert len({item["id"] for item in body["items"]}) == DEMO_TOTAL


def test_paging_covers_every_item_exactly_once(demo_db: Database, client: TestClient) -> None:
    per_page = 5
    pages = math.ceil(DEMO_TOTAL / per_page)
    assert pages == 4
    seen: list[int] = []
    for page in range(1, pages + 1):
        body = client.get("/api/items", params={"page": page, "per_page": per_page}).json()
        assert (body["total"], body["page"], body["per_page"]) == (DEMO_TOTAL, page, per_page)
        expected = per_page if page < pages else DEMO_TOTAL - per_page * (pages - 1)
        assert len(body["items"]) == expected
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == DEMO_TOTAL
    past = client.get("/api/items", params={"page": pages + 1, "per_page": per_page})
    assert past.status_code == 200
    assert past.json()["items"] == [] and past.json()["total"] == DEMO_TOTAL


def test_theme_filter_accepts_identifier_and_labels(demo_db: Database, client: TestClient,
                                                    demo_library: Path) -> None:
    intended = Counter(entry["theme"] for entry in load_manifest(demo_library))
    for theme in LEARNING_THEMES:
        assert intended[theme.value] >= 3
        zh, en = THEME_LABELS[theme]
        for asked in (theme.value, zh, en):
            body = client.get("/api/items", params={"theme": asked}).json()
            assert body["theme"] == theme.value, asked
            assert body["total"] == intended[theme.value] == len(body["items"]), asked
            assert {item["theme"] for item in body["items"]} == {theme.value}, asked
            assert {item["theme_label"] for item in body["items"]} == {zh}, asked


@pytest.mark.parametrize("lang, prefix", [("zh", "未知主题“nonsense”"),
                                          ("en", "Unknown theme 'nonsense'")])
def test_unknown_theme_is_a_400_with_a_message(client: TestClient, lang: str,
                                               prefix: str) -> None:
    response = client.get("/api/items", params={"theme": "nonsense", "lang": lang})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == "theme_unknown"
    assert body["message"].startswith(prefix)
    assert all(theme.value in body["message"] for theme in Theme)


@pytest.mark.parametrize("params, name", [
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "abc"}, "page"),
    ({"per_page": "1000"}, "per_page"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "201"}, "per_page"),
    ({"per_page": "x"}, "per_page"),
])
def test_bad_paging_parameters_are_a_400(client: TestClient, params: dict[str, str],
                                         name: str) -> None:
    response = client.get("/api/items", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_integer" and body["param"] == name
    assert body["message"].startswith(f"参数 {name} 的值“{params[name]}”无效")


def test_starlettes_own_errors_have_keys_of_their_own(client: TestClient) -> None:
    # Issue 14.7: no two kinds of error share a key ("http_error" had stood for both).
    wrong_method = client.put("/api/items")
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["allow"]
    assert wrong_method.json()["error"] == "method_not_allowed"
    client.get("/login")
    unreadable = client.post("/login", content=b"x", headers={
        "content-type": "multipart/form-data", "accept": "application/json",
        "x-csrf-token": client.cookies["yj_csrf"]})
    assert unreadable.status_code == 400 and unreadable.json()["error"] == "bad_form"


def test_largest_page_size_is_accepted(client: TestClient) -> None:
    response = client.get("/api/items", params={"per_page": 200})
    assert response.status_code == 200
    assert response.json() | {"items": []} == {"items": [], "total": 0, "page": 1,
                                               "per_page": 200, "theme": None}


@pytest.mark.parametrize("how", ["query", "header"])
def test_english_changes_labels_and_messages_not_field_names(
        demo_db: Database, client: TestClient, item_fields: set[str], how: str) -> None:
    params = {"lang": "en"} if how == "query" else {}
    headers = {"Accept-Language": "en"} if how == "header" else {}
    chinese = client.get("/api/items").json()["items"]
    english = client.get("/api/items", params=params, headers=headers).json()["items"]
    assert [i["id"] for i in english] == [i["id"] for i in chinese]
    for en_item, zh_item in zip(english, chinese, strict=True):
        assert set(en_item) == item_fields
        assert en_item["theme_label"] == theme_label(en_item["theme"], "en")
        assert zh_item["theme_label"] == theme_label(zh_item["theme"], "zh")
        assert en_item["theme_label"] != zh_item["theme_label"]
        assert {k: v for k, v in en_item.items() if k != "theme_label"} == {
            k: v for k, v in zh_item.items() if k != "theme_label"}
    error = client.get("/api/items", params=params | {"theme": "nonsense"}, headers=headers)
    assert error.json()["message"].startswith("Unknown theme 'nonsense'")


# /api/items/{id}


def test_one_item_has_the_same_fields_as_the_list(demo_db: Database, client: TestClient,
                                                  item_fields: set[str]) -> None:
    listed = client.get("/api/items").json()["items"]
    for entry in listed:
        response = client.get(f"/api/items/{entry['id']}")
        assert response.status_code == 200
        assert set(response.json()) == item_fields
        assert response.json() == entry


def test_one_item_in_english(demo_db: Database, client: TestClient,
                             ids_by_path: dict[str, int]) -> None:
    item_id = ids_by_path["先进适用科技/rice.mp4"]
    body = client.get(f"/api/items/{item_id}", params={"lang": "en"}).json()
    assert (body["title"], body["theme"], body["theme_label"]) == (
        "水稻种植技术", "technology", "Practical science and technology")


@pytest.mark.parametrize("lang, text", [
    ("zh", "找不到编号为 99999 的课件。请用 `yuanjiao items` 查看现有编号。"),
    ("en", "No item with id 99999. Run `yuanjiao items` to list the ids that exist."),
])
def test_unknown_item_is_a_404_with_a_message(client: TestClient, lang: str, text: str) -> None:
    response = client.get("/api/items/99999", params={"lang": lang})
    assert response.status_code == 404
    assert response.json() == {"error": "item_not_found", "message": text}


@pytest.mark.parametrize("path", ["/api/items/abc", "/api/items/1.5", "/api/items/-1"])
def test_non_numeric_item_id_does_not_match_the_route(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"] == "page_not_found"
    assert path in response.json()["message"]


def test_item_id_beyond_the_database_integer_range_is_not_found(settings: Settings,
                                                                db: Database) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        response = test_client.get(f"/api/items/{2**63}")
    assert response.status_code == 404
    assert response.json()["error"] == "item_not_found"


# /api/scan-errors


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scan_errors_carry_reason_and_message(tmp_path: Path, db: Database, settings: Settings,
                                              staff_client: TestClient, lang: str) -> None:
    client = staff_client
    root = tmp_path / "bad" / "库"
    expected = make_small_bad_library(root)
    result = Scanner(db, settings).scan([root])
    assert result.counts["errors"] == len(expected)
    response = client.get("/api/scan-errors", params={"lang": lang})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(expected) == len(body["errors"])
    assert {e["path"]: e["reason"] for e in body["errors"]} == expected
    for error in body["errors"]:
        assert error["message"].startswith(template_prefix(error["reason"], lang))
        has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
        assert has_chinese == (lang == "zh"), error["message"]
        if error["reason"] == "scan_symlink_outside":
            assert "/etc/passwd" in error["message"]


def test_no_scan_errors_is_an_empty_list(staff_client: TestClient) -> None:
    assert staff_client.get("/api/scan-errors").json() == {"errors": [], "total": 0}


# /healthz


def test_healthz_counts_items(demo_db: Database, client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "items": DEMO_TOTAL,
                               "ledger": "ok", "ledger_queued": 0}


def test_healthz_on_an_empty_catalog(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "items": 0,
                                             "ledger": "ok", "ledger_queued": 0}


# theme overrides


def test_theme_override_shows_in_the_api(demo_db: Database, client: TestClient,
                                         ids_by_path: dict[str, int]) -> None:
    item_id = ids_by_path["先进适用科技/rice.mp4"]
    before = client.get(f"/api/items/{item_id}").json()
    assert (before["theme"], before["theme_overridden"]) == ("technology", False)
    with demo_db.transaction() as session:
        library.set_theme_override(session, item_id, Theme.CULTURE, set_by="test")
    after = client.get(f"/api/items/{item_id}").json()
    assert (after["theme"], after["theme_label"], after["theme_overridden"]) == (
        "culture", "健康娱乐文化", True)
    culture_ids = {i["id"] for i in client.get("/api/items?theme=culture").json()["items"]}
    technology_ids = {i["id"] for i in
                      client.get("/api/items?theme=technology").json()["items"]}
    assert item_id in culture_ids and item_id not in technology_ids
    with demo_db.transaction() as session:
        library.set_theme_override(session, item_id, None)
    cleared = client.get(f"/api/items/{item_id}").json()
    assert (cleared["theme"], cleared["theme_overridden"]) == ("technology", False)
