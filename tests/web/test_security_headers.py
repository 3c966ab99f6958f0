"""Every answer carries nosniff, a framing rule and a referrer policy; every page also
carries the Content-Security-Policy (the browser test shows the pages work under it)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from yj_testing import make_settings, running_server

from catalog.db import Database
from catalog.settings import Settings
from indexer.pipeline import Scanner

pytestmark = pytest.mark.ffmpeg


def test_every_kind_of_answer_carries_the_headers(db: Database, settings: Settings,
                                                  demo_library: Path) -> None:
    Scanner(db, settings).scan([demo_library])
    served = make_settings(settings.data_dir, settings.db_url, guest_viewing=True)
    with running_server(served, db) as url, httpx.Client(base_url=url) as client:
        item = client.get("/api/items").json()["items"][0]
        answers = {
            "page": client.get("/"), "missing page": client.get("/nowhere"),
            "json": client.get("/api/items"), "stream": client.get(
                f"/stream/{item['id']}", headers={"range": "bytes=0-9"}),
            "static": client.get("/static/keys.js"), "healthz": client.get("/healthz"),
            "refused POST": client.post("/logout"),
        }
    for name, response in answers.items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "SAMEORIGIN", name
        assert headers["referrer-policy"] == "same-origin", name
        is_page = headers.get("content-type", "").startswith("text/html")
        assert ("content-security-policy" in headers) == is_page, name
    policy = answers["page"].headers["content-security-policy"]
    assert {"script-src 'self'", "frame-ancestors 'self'", "object-src 'none'"} <= {
        p.strip() for p in policy.split(";")}
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "content-security-policy" in answers["missing page"].headers
