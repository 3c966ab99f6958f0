#!/usr/bin/env python3
"""The reports' query layer at a city's scale (issue 18.1): how long ``facts.load``
(catalog/reports/facts.py) takes for one organization, one town and the whole city, over
a year and over a month, and how much memory it needs, on SQLite and on PostgreSQL.

The city is tests/yj_city.py's, at 30 towns × 100 organizations × ~33 members (about
100,000 members), each organization with a year of sessions (12 monthly ones, electives,
a make-up, a cancelled one: ~51,000), playlists, ~1.3 M attendance rows, ~3 M playbacks
(most of them evenings' open viewing at the stations) and minutes and feedback, with
``now`` on 15 October. Its generation is timed too.

    .venv/bin/python scripts/bench/reports.py                   # SQLite, then PostgreSQL
    .venv/bin/python scripts/bench/reports.py --pg URL          # another server (admin URL)
    .venv/bin/python scripts/bench/reports.py --no-pg           # SQLite only
    .venv/bin/python scripts/bench/reports.py --scale 0.1       # a tenth of the towns
    .venv/bin/python scripts/bench/reports.py --smoke           # a tiny city, SQLite only

SQLite in a temporary directory; PostgreSQL in a database ``yj_bench_reports`` created on
the server ``--pg`` names and dropped at the end (analysed after loading, as autovacuum
would soon do; SQLite is not, as the application never analyses it). Each load runs in a
fresh process (so its peak RSS is its own), twice: the first, then again; one that takes
longer than ``--timeout`` is stopped. Prints figures only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
# The city's generator lives with the tests (tests/yj_city.py), which compare the reports
# with an independent count on a small one; the benchmark makes the same city, larger.
# It is test code, not part of the package, hence the path.
sys.path.insert(0, str(REPO / "tests"))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from yj_city import ZONE, generate_city

from catalog.attendance.policy import Policy
from catalog.db import Database
from catalog.models import OrgNode
from catalog.reports.builders import Context, build
from catalog.reports.facts import load
from catalog.reports.period import parse_period
from catalog.reports.rating import load_rubric
from catalog.settings import load_settings
from web.reports.exports import report_xlsx

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "yj_bench_reports"
YEAR = 2027
PERIODS = (str(YEAR), f"{YEAR}-03")
REPORTS = ("overview", "sessions+xlsx", "members", "rating", "assessment", "flags")


def peak_rss_mib() -> float:
    """This process's peak resident memory. Linux carries ``ru_maxrss`` over ``exec``
    (the kernel keeps the largest of the process's address spaces), so a spawned child
    would report its parent's peak, the generator's; ``VmHWM`` is the current address
    space's alone. ``resource.getrusage`` where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def open_db(url: str, data_dir: Path, migrate: bool = True) -> Database:
    settings = load_settings({"data_dir": str(data_dir), "db_url": url}, environ={})
    return Database.open(settings, migrate=migrate)


def measure(url: str, data_dir: str, node_id: int, period_text: str, now: str,
            out: Any, kind: str = "facts") -> None:
    """One load (``facts``) or report (a kind; ``sessions+xlsx`` also writes its XLSX) in a
    process of its own, twice; what it found goes to the queue ``out``."""
    db = open_db(url, Path(data_dir), migrate=False)
    period = parse_period(period_text, ZONE)
    moment = datetime.fromisoformat(now)
    ctx = Context(Policy(), 180, moment, load_rubric())
    took = []
    sessions = 0
    for _ in range(2):
        with db.session() as session:
            node = session.get_one(OrgNode, node_id)
            began = time.perf_counter()
            if kind == "facts":
                facts = load(session, node, period, Policy(), moment)
                sessions = len(facts.sessions)
                del facts
            else:
                report = build(session, kind.split("+")[0], node, node.name, period, ctx)
                if kind.endswith("+xlsx"):
                    report_xlsx(report, "zh", {"ledger": "BENCH", "code": "",
                                               "signed_at": "", "verify_url": ""})
                sessions = len(report.rows)
                del report
            took.append(time.perf_counter() - began)
    db.close()
    out.put({"first": took[0], "again": took[1], "sessions": sessions,
             "rss": peak_rss_mib()})


def measured(url: str, data_dir: Path, node_id: int, period_text: str, now: datetime,
             timeout: float, kind: str = "facts") -> dict[str, Any] | None:
    """``measure`` in a fresh process (spawned: nothing inherited); None when it took
    longer than ``timeout`` seconds, and was stopped."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=measure, args=(url, str(data_dir), node_id, period_text,
                                                  now.isoformat(), out, kind))
    child.start()
    try:
        return out.get(timeout=timeout)  # type: ignore[no-any-return]
    except queue.Empty:
        return None
    finally:
        if child.is_alive() and out.empty():
            child.kill()
        child.join()


def run(label: str, url: str, folder: Path, sizes: dict[str, Any], timeout: float) -> None:
    began = time.perf_counter()
    db = open_db(url, folder / "data")
    migrated = time.perf_counter() - began
    began = time.perf_counter()
    city = generate_city(db, progress=lambda message: print(f"  {label}: {message}",
                                                            flush=True), **sizes)
    generated = time.perf_counter() - began
    analysed = 0.0
    if db.engine.dialect.name == "postgresql":
        began = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        analysed = time.perf_counter() - began
    db.close()
    total = sum(city.rows.values())
    print(f"{label}: migrated in {migrated:.1f} s; generated {total:,} rows in "
          f"{generated:.1f} s ({total / generated:,.0f} rows/s"
          + (f"; ANALYZE {analysed:.1f} s" if analysed else "")
          + f"); generator's peak RSS {peak_rss_mib():.0f} MiB")
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in city.rows.items()))
    org_id = city.org_ids[0]
    town_id = next(t for t, orgs in city.orgs_of_town.items() if org_id in orgs)
    nodes = (("organization", org_id), ("town", town_id), ("city", city.city_id))
    stopped: set[str] = set()  # periods a smaller node's load timed out for
    for name, node_id in nodes:
        for period_text in PERIODS:
            head = f"  {label:<10} {name:<12} {period_text:<8}"
            if period_text in stopped:
                print(f"{head} skipped (a smaller load took over {timeout:.0f} s)")
                continue
            done = measured(url, folder / "data", node_id, period_text, city.now, timeout)
            if done is None:
                stopped.add(period_text)
                print(f"{head} stopped after {timeout:.0f} s", flush=True)
                continue
            print(f"{head} {done['first']:8.3f} s (again {done['again']:7.3f} s) "
                  f"{done['sessions']:7,} sessions  peak RSS {done['rss']:6.0f} MiB",
                  flush=True)
    # Whole reports over the year, beyond the query layer: what a page or export waits for.
    for name, node_id in nodes[1:]:
        for kind in REPORTS:
            head = f"  {label:<10} {name:<12} {kind:<14}"
            done = measured(url, folder / "data", node_id, str(YEAR), city.now, timeout, kind)
            if done is None:
                print(f"{head} stopped after {timeout:.0f} s", flush=True)
                continue
            print(f"{head} {done['first']:8.3f} s (again {done['again']:7.3f} s) "
                  f"{done['sessions']:7,} rows      peak RSS {done['rss']:6.0f} MiB",
                  flush=True)


def postgres(admin_url: str, folder: Path, sizes: dict[str, Any], timeout: float) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    url = make_url(admin_url).set(database=PG_DATABASE).render_as_string(hide_password=False)
    try:
        run("postgresql", url, folder, sizes, timeout)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=PG_ADMIN,
                        help=f"a PostgreSQL server's URL, to create {PG_DATABASE} from")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="a share of the 30 towns (their size stays)")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds a load may take before it is stopped (and the larger "
                             "nodes' loads for that period are skipped)")
    parser.add_argument("--smoke", action="store_true",
                        help="2 towns × 3 organizations, SQLite only (the test)")
    args = parser.parse_args()
    sizes: dict[str, Any] = {"towns": max(round(30 * args.scale), 1), "orgs_per_town": 100,
                             "members_per_org": 33, "year": YEAR, "open_viewings": 1200}
    if args.smoke:
        sizes |= {"towns": 2, "orgs_per_town": 3, "open_viewings": 20}
        args.no_pg = True
    print(f"city: {sizes['towns']} towns × {sizes['orgs_per_town']} organizations × "
          f"~{sizes['members_per_org']} members; {sizes['open_viewings']} open viewings "
          f"a station", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        if not args.no_sqlite:
            path = Path(folder) / "sqlite"
            run("sqlite", f"sqlite:///{path / 'catalog.sqlite3'}", path, sizes, args.timeout)
        if not args.no_pg:
            postgres(args.pg, Path(folder) / "postgresql", sizes, args.timeout)


if __name__ == "__main__":
    main()
