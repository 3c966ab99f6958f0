#!/usr/bin/env python3
"""What signing in costs: one Argon2 login, and the per-request price of resolving a
session cookie or a station token against a guest request, over real HTTP (uvicorn).

    .venv/bin/python scripts/bench/auth.py [--requests 2000]
    .venv/bin/python scripts/bench/auth.py --smoke     # seconds, for the test

Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests"))

import httpx  # noqa: E402
from yj_testing import make_settings, running_server  # noqa: E402

from catalog import org
from catalog.db import Database  # noqa: E402
from catalog.org import accounts, demo_org
from catalog.org.models import OrgNode


def timed(client: httpx.Client, path: str, count: int, **headers: str) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return times


def describe(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return (f"{name:<28} median {statistics.median(ms):6.2f} ms   "
            f"p99 {ms[int(len(ms) * 0.99) - 1]:6.2f} ms   {len(ms) / sum(times):7.0f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--hashes", type=int, default=20, help="Argon2 runs timed")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.hashes = 50, 2
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), f"sqlite:///{tmp}/b.sqlite3", guest_viewing=True)
        db = Database.open(settings)
        with db.transaction() as session:
            nodes = demo_org.build(session)
            token = org.token_of(session, session.get_one(OrgNode, nodes["东村站点"].id))

        start = time.perf_counter()
        for _ in range(args.hashes):
            accounts.HASHER.verify(accounts.HASHER.hash("x" * 12), "x" * 12)
        print(f"argon2id hash+verify ({accounts.HASHER.time_cost} passes, "
              f"{accounts.HASHER.memory_cost >> 10} MiB): "
              f"{(time.perf_counter() - start) / args.hashes * 1000:.0f} ms each")

        with running_server(settings, db) as url, httpx.Client(base_url=url) as client:
            form = client.get("/login").text
            csrf = form.split('name="csrf" value="')[1].split('"')[0]
            start = time.perf_counter()
            done = client.post("/login", data={"csrf": csrf, "username": "chengguan",
                                               "password": demo_org.DEMO_PASSWORD})
            print(f"login over HTTP: {(time.perf_counter() - start) * 1000:.0f} ms "
                  f"(status {done.status_code})")
            session_id = client.cookies["yj_session"]
            client.cookies.clear()
            path = "/api/items?per_page=1"
            timed(client, path, min(200, args.requests))  # warm up
            print(describe("guest", timed(client, path, args.requests)))
            print(describe("signed in (cookie)", timed(client, path, args.requests,
                                                       cookie=f"yj_session={session_id}")))
            print(describe("station token (cookie)", timed(client, path, args.requests,
                                                           cookie=f"yj_station={token}")))
        db.close()


if __name__ == "__main__":
    main()
