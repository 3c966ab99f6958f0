"""Shared fixtures: databases (SQLite and PostgreSQL), the demo library, bad libraries.

Every test that takes ``db`` or ``settings`` runs twice: on SQLite and on PostgreSQL.
PostgreSQL tests get a schema of their own, chosen by the URL alone (``options=
-csearch_path=...``), which is how a deployment switches database: one URL.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
import yj_postgres
from sqlalchemy import create_engine, text
from yj_testing import make_settings, running_server

from catalog.db import Database
from catalog.settings import Settings
from media.demo import make_demo_library

PG_URL = os.environ.get("YUANJIAO_TEST_PG_URL", "")


def pytest_report_header() -> str:
    if PG_URL and PG_URL != yj_postgres.THROWAWAY:
        return f"postgresql: {PG_URL} (YUANJIAO_TEST_PG_URL)"
    bindir = yj_postgres.find_bindir()
    own = f"a throwaway cluster ({bindir}/initdb)" if bindir else "nothing (no initdb)"
    if PG_URL == yj_postgres.THROWAWAY:
        return f"postgresql: {own}"
    return f"postgresql: {yj_postgres.DEFAULT_URL} if it lets us in, else {own}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("ffprobe") is None or shutil.which("ffmpeg") is None:
        skip = pytest.mark.skip(reason="needs ffmpeg and ffprobe: apt-get install ffmpeg "
                                       "(./scripts/test installs it)")
        for item in items:
            if "ffmpeg" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """The PostgreSQL server of the tests (tests/yj_postgres.py says which)."""
    problem = None
    if PG_URL and PG_URL != yj_postgres.THROWAWAY:
        problem = yj_postgres.probe(PG_URL)
        if problem is None:
            yield PG_URL
            return
        _skip_or_fail(f"{problem.describe(PG_URL)} (YUANJIAO_TEST_PG_URL). "
                      f"{yj_postgres.HOWTO_URL}")
    if PG_URL != yj_postgres.THROWAWAY:
        problem = yj_postgres.probe(yj_postgres.DEFAULT_URL)
        if problem is None:
            yield yj_postgres.DEFAULT_URL
            return
    bindir = yj_postgres.find_bindir()
    if bindir is None:
        why = ("YUANJIAO_TEST_PG_URL=throwaway" if problem is None
               else problem.describe(yj_postgres.DEFAULT_URL))
        _skip_or_fail(f"{why}; and no initdb for a throwaway server of the tests' own. "
                      f"{yj_postgres.HOWTO_INSTALL}")
    try:
        with yj_postgres.throwaway_cluster(bindir) as url:
            yield url
    except yj_postgres.ThrowawayError as exc:
        _skip_or_fail(f"{exc}. {yj_postgres.HOWTO_BROKEN}")


def _skip_or_fail(message: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs everything and skips nothing
    pytest.skip(message)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
        return
    admin = request.getfixturevalue("pg_admin_url")
    schema = f"yj_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{admin}?options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def settings_at() -> Callable[..., Settings]:
    """Settings for another data directory or database, in tests that need two."""
    return make_settings


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path / "data", db_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database.open(settings)
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg: apt-get install ffmpeg")
    root = tmp_path_factory.mktemp("demo") / "课件库"
    make_demo_library(root)
    return root


@pytest.fixture
def demo_db(db: Database, settings: Settings, demo_library: Path) -> Database:
    """The test's database with the demo library scanned into it."""
    from indexer.pipeline import Scanner

    result = Scanner(db, settings).scan([demo_library])
    assert result.counts["added"] == 17 and result.counts["errors"] == 0
    return db


@pytest.fixture
def counting_ffprobe(tmp_path: Path) -> tuple[str, Path]:
    """A real ffprobe behind a wrapper that writes one line per call, so a test can
    count how often the scanner ran it (no mock: the real program still runs)."""
    log = tmp_path / "ffprobe-calls.log"
    log.touch()
    wrapper = tmp_path / "ffprobe-counting"
    real = shutil.which("ffprobe") or "ffprobe"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper), log


# Disc images, built with the Debian tools stations' images come from ------------------

DISC_TOOLS = ("ffmpeg", "dvdauthor", "genisoimage", "vcdimager", "7z")


def _need_disc_tools() -> None:
    missing = [tool for tool in DISC_TOOLS if shutil.which(tool) is None]
    if missing:
        message = ("needs " + ", ".join(missing) + ": apt-get install ffmpeg dvdauthor "
                   "genisoimage vcdimager p7zip-full (./scripts/test installs them)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    import subprocess

    subprocess.run([str(a) for a in argv], check=True, cwd=cwd, capture_output=True,
                   env=None if env is None else os.environ | env)


def _clip(target: Path, seconds: float, size: str, fmt: str) -> Path:
    _run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc=size={size}:rate=25:duration={seconds}", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={seconds}", "-target", fmt, "-g", "10", target)
    return target


@dataclass(frozen=True)
class DiscImages:
    folder: Path  # the build folder
    dvd_iso: Path  # 2 titles sharing VTS_01_1.VOB (12 s: chapters 0/4/8; 7 s: 0/4) + 1 s logo
    video_ts: Path  # the same DVD as a VIDEO_TS folder
    vcd_cue: Path  # 2 MPEG tracks: 6 s and 4 s
    data_iso: Path  # Joliet names: 课件/党课讲稿.pdf, 课件/政策/新农合政策问答.mp4
    data_files: Path  # the folder the data disc was made from


@pytest.fixture(scope="session")
def disc_images(tmp_path_factory: pytest.TempPathFactory, demo_library: Path) -> DiscImages:
    _need_disc_tools()
    out = tmp_path_factory.mktemp("discs")
    clips = [_clip(out / f"c{n}.mpg", n, "720x576", "pal-dvd") for n in (12, 7, 1)]
    (out / "dvd.xml").write_text(
        "<dvdauthor><vmgm/><titleset><titles>"
        f'<pgc><vob file="{clips[0]}" chapters="0,0:04,0:08"/></pgc>'
        f'<pgc><vob file="{clips[1]}" chapters="0,0:04"/></pgc>'
        f'<pgc><vob file="{clips[2]}"/></pgc>'
        "</titles></titleset></dvdauthor>")
    pal = {"VIDEO_FORMAT": "PAL"}
    _run("dvdauthor", "-o", out / "dvd", "-x", out / "dvd.xml", env=pal)
    _run("dvdauthor", "-o", out / "dvd", "-T", env=pal)
    _run("genisoimage", "-quiet", "-dvd-video", "-V", "DANGJIAN_2009_03", "-o",
         out / "dvd.iso", out / "dvd")
    tracks = [_clip(out / f"v{n}.mpg", n, "352x288", "pal-vcd") for n in (6, 4)]
    _run("vcdimager", "-t", "vcd2", "-l", "KEJI_VCD", "-c", "vcd.cue", "-b", "vcd.bin",
         *tracks, cwd=out)
    files = out / "data"
    (files / "课件" / "政策").mkdir(parents=True)
    shutil.copy(demo_library / "党建知识/党课讲稿.pdf", files / "课件/党课讲稿.pdf")
    shutil.copy(demo_library / "农村政策法规/新农合政策问答.mp4",
                files / "课件/政策/新农合政策问答.mp4")
    (files / "说明.txt").write_text("不是课件")
    _run("genisoimage", "-quiet", "-J", "-joliet-long", "-V", "KEJIAN", "-o",
         out / "data.iso", files)
    return DiscImages(out, out / "dvd.iso", out / "dvd" / "VIDEO_TS", out / "vcd.cue",
                      out / "data.iso", files)


# A real server on a free port -------------------------------------------------------------

@pytest.fixture
def live_server(settings: Settings, db: Database, demo_library: Path) -> Iterator[str]:
    from indexer.pipeline import Scanner

    Scanner(db, settings).scan([demo_library])
    with running_server(settings, db) as url:
        yield url
