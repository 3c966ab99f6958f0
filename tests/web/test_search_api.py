"""Search over real HTTP: /api/search and /search, odd input, and an index deleted while
the server is down."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
from yj_testing import running_server

from catalog.db import Database
from catalog.settings import Settings
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg


def wait_for_index(client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while client.get("/api/search", params={"q": "水稻"}).json()["source"] != "index":
        assert time.monotonic() < deadline, "the index was not rebuilt"
        time.sleep(0.1)


def test_search_answers_in_json_and_in_the_page(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        wait_for_index(client)
        found = client.get("/api/search", params={"q": "shuidao"}).json()
        page = client.get("/search", params={"q": "稻"})
        themed = client.get("/api/search", params={"q": "", "theme": "party"}).json()
    assert found["results"][0]["title"] == "水稻种植技术"
    assert found["results"][0]["watch_url"] == f"/watch/{found['results'][0]['id']}"
    assert sum(found["facets"]["theme"].values()) == found["total"]
    assert page.status_code == 200 and "水<mark>稻</mark>种植技术" in page.text
    assert themed["total"] == 4 and {r["theme"] for r in themed["results"]} == {"party"}


def test_did_you_mean_only_when_close_and_fruitful(live_server: str) -> None:
    # Issue 14.7: 党章 had been offered 农.
    with httpx.Client(base_url=live_server) as client:
        wait_for_index(client)
        party = client.get("/api/search", params={"q": "党章"}).json()
        typo = client.get("/api/search", params={"q": "水到"}).json()
        page = client.get("/search", params={"q": "党章"})
    assert party["total"] == 0 and party["suggestion"] is None
    assert typo["total"] == 0 and typo["suggestion"] == "水稻"
    assert "您是不是要找" not in page.text


@pytest.mark.parametrize("params", [
    {"q": 'title:"水稻" OR ('}, {"q": "x" * 10_000}, {"q": ""}, {"q": "*?~^"},
    {"q": "水稻", "sort": "newest"}, {"q": "水稻", "min_duration": "1", "max_duration": "600"},
])
def test_odd_queries_are_answered(live_server: str, params: dict[str, str]) -> None:
    response = httpx.get(f"{live_server}/api/search", params=params)
    assert response.status_code == 200
    assert response.json()["total"] >= 0


@pytest.mark.parametrize(("params", "key"), [
    ({"theme": "nope"}, "bad_choice"), ({"kind": "film"}, "bad_choice"),
    ({"page": "0"}, "bad_integer"), ({"sort": "random"}, "bad_choice"),
    ({"must_watch": "maybe"}, "bad_choice"), ({"min_duration": "-1"}, "bad_number"),
    ({"max_duration": "long"}, "bad_number")])
def test_bad_parameters_are_400_with_a_reason(live_server: str, params: dict[str, str],
                                              key: str) -> None:
    # Each kind of error has its own key, and names the parameter (issue 14.7).
    response = httpx.get(f"{live_server}/api/search", params={"q": "水稻", **params})
    assert response.status_code == 400 and response.json()["error"] == key
    assert response.json()["param"] == next(iter(params))


def test_a_deleted_index_comes_back_and_search_answers_meanwhile(
        db: Database, settings: Settings, demo_library: Path) -> None:
    Scanner(db, settings).scan([demo_library])
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        wait_for_index(client)
    shutil.rmtree(settings.data_dir / "search-index")
    with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
        first = client.get("/api/search", params={"q": "水稻"})
        assert first.status_code == 200
        assert first.json()["results"][0]["title"] == "水稻种植技术"  # index or catalog
        wait_for_index(client)
    assert (settings.data_dir / "search-index").is_dir()
