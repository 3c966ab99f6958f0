"""The tests' PostgreSQL: a throwaway cluster starts, serves and is gone afterwards; a server
that is not there, refuses the login or lacks the database is named for what it is; the
skip message says so and what to do, and under CI=true it is a failure, not a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yj_postgres
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _bindir() -> Path:
    bindir = yj_postgres.find_bindir()
    if bindir is None:
        message = f"needs PostgreSQL's initdb: {yj_postgres.INSTALL} (./scripts/test does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return bindir


def _closed_port() -> int:
    return yj_postgres._free_port()  # nothing listens there once the probe socket is closed


def test_a_throwaway_cluster_serves_then_is_gone() -> None:
    with yj_postgres.throwaway_cluster(_bindir()) as url:
        assert yj_postgres.probe(url) is None
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar() == "test"
            socket_dir = Path(str(conn.execute(text("SHOW unix_socket_directories")).scalar()))
        engine.dispose()
        assert socket_dir.name.startswith("yuanjiao-pg-") and socket_dir.is_dir()
        other = url.rsplit("/", 1)[0]
        missing = yj_postgres.probe(other + "/no_such_db")
        stranger = yj_postgres.probe(other.replace("postgres@", "stranger@") + "/test")
    assert missing is not None and missing.kind == "no-database", missing
    assert stranger is not None and stranger.kind == "auth", stranger
    gone = yj_postgres.probe(url)
    assert gone is not None and gone.kind == "unreachable", gone
    assert not socket_dir.exists()


def test_nothing_listening_is_unreachable() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
    problem = yj_postgres.probe(url)
    assert problem is not None and problem.kind == "unreachable"
    assert problem.describe(url).startswith(f"no PostgreSQL answers at {url}: ")


def _postgres_tests(url: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"YUANJIAO_TEST_PG_URL": url}
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "postgres",
         "tests/catalog/test_planning.py"], cwd=REPO, env=env, capture_output=True, text=True)


def test_an_unusable_server_is_a_skip_that_says_why_and_a_failure_under_ci() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
    skipped = _postgres_tests(url, ci=False)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert f"no PostgreSQL answers at {url}" in skipped.stdout, skipped.stdout
    assert "YUANJIAO_TEST_PG_URL=throwaway" in skipped.stdout
    assert " skipped" in skipped.stdout and "passed" not in skipped.stdout
    failed = _postgres_tests(url, ci=True)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert " error" in failed.stdout and "skipped" not in failed.stdout, failed.stdout
