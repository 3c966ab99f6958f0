"""The `yuanjiao` command on real media, on SQLite and PostgreSQL: output, languages and
exit codes (0 done, 1 problem, 2 usage, 3 not found, 4 unavailable)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient
from yj_testing import make_small_bad_library

from catalog import library
from catalog.db import Database
from catalog.library.themes import Theme
from catalog.messages import message
from catalog.settings import Settings
from indexer.pipeline import Scanner
from web.app import create_app
from web.cli import cli

pytestmark = pytest.mark.ffmpeg

DEMO_TOTAL = 17
UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:1/x"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
Run = Callable[..., Result]

@pytest.fixture(autouse=True)
def no_yuanjiao_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the options the tests pass, not from the caller's shell."""
    for name in list(os.environ):
        if name.startswith("YUANJIAO_"):
            monkeypatch.delenv(name)


@pytest.fixture
def run(settings: Settings) -> Run:
    """Runs `yuanjiao --data-dir … --db … ARGS` on the test's database."""

    def invoke(*args: str) -> Result:
        argv = ["--data-dir", str(settings.data_dir), "--db", settings.db_url, *args]
        return CliRunner().invoke(cli, argv, prog_name="yuanjiao")

    return invoke


@pytest.fixture
def ids_by_path(demo_db: Database) -> dict[str, int]:
    with demo_db.session() as session:
        return {i.rel_path: i.id for i in library.all_items(session)}


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def items_by_id(run: Run) -> dict[int, dict[str, Any]]:
    result = run("items", "--json")
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json_lines(result.stdout)}


# scan


@pytest.mark.parametrize("lang_args, summary", [
    ((), "扫描完成：新增 17，"),
    (("--lang", "en"), "Scan finished: 17 added,"),
])
def test_scan_prints_a_summary(run: Run, demo_library: Path, lang_args: tuple[str, ...],
                               summary: str) -> None:
    result = run(*lang_args, "scan", "--quiet", str(demo_library))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(summary), result.stdout
    assert "scan-errors" not in result.output


def test_scan_of_a_bad_library_points_to_scan_errors(tmp_path: Path, run: Run) -> None:
    root = tmp_path / "bad" / "库"
    expected = make_small_bad_library(root)
    result = run("scan", "-q", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("扫描完成：新增 0，")
    assert f"错误 {len(expected)}" in result.stdout
    assert message("scan_errors_hint", "zh", errors=len(expected)) in result.stdout
    assert "`yuanjiao scan-errors`" in result.stdout


def test_scan_of_a_missing_root_fails_naming_it(tmp_path: Path, run: Run) -> None:
    missing = tmp_path / "没有这个目录"
    result = run("scan", "-q", str(missing))
    assert result.exit_code == 1, result.output
    assert message("scan_root_missing", "zh", root=missing) in result.stderr


def test_scan_without_roots_says_how_to_name_one(run: Run) -> None:
    result = run("scan", "-q")
    assert result.exit_code != 0
    assert message("scan_no_roots", "zh") in result.stderr


# items


def test_items_json_lines_match_the_api(demo_db: Database, run: Run,
                                        client: TestClient) -> None:
    result = run("items", "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == DEMO_TOTAL
    rows = [json.loads(line) for line in lines]
    api = client.get("/api/items", params={"per_page": 200}).json()["items"]
    assert [set(row) for row in rows] == [set(item) for item in api]
    assert rows == api


@pytest.mark.parametrize("theme", ["party", "党建知识"])
def test_items_theme_filter(demo_db: Database, run: Run, theme: str) -> None:
    result = run("items", "--theme", theme, "--json")
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert len(rows) >= 3 and {row["theme"] for row in rows} == {"party"}


def test_items_with_an_unknown_theme_is_a_usage_error(run: Run) -> None:
    result = run("items", "--theme", "nonsense")
    assert result.exit_code == 2
    assert "未知主题“nonsense”" in result.stderr


def test_items_text_lists_titles(demo_db: Database, run: Run) -> None:
    result = run("items")
    assert result.exit_code == 0, result.output
    with demo_db.session() as session:
        titles = [item.title for item in library.all_items(session)]
    assert len(titles) == DEMO_TOTAL
    positions = [result.stdout.find(title) for title in titles]
    assert -1 not in positions, result.stdout
    assert positions == sorted(positions), "titles are listed in catalog order"
    assert "党建知识" in result.stdout


def test_items_on_an_empty_catalog(run: Run) -> None:
    result = run("items")
    assert result.exit_code == 0
    assert result.stdout.strip() == message("no_items", "zh")


# theme


def test_theme_override_and_clear(demo_db: Database, run: Run,
                                  ids_by_path: dict[str, int]) -> None:
    item_id = ids_by_path["先进适用科技/rice.mp4"]
    assert items_by_id(run)[item_id]["theme"] == "technology"

    result = run("theme", str(item_id), "culture")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == message("theme_set", "zh", item_id=item_id,
                                            title="水稻种植技术", theme_label="健康娱乐文化",
                                            theme="culture")
    row = items_by_id(run)[item_id]
    assert (row["theme"], row["theme_overridden"]) == ("culture", True)

    result = run("theme", str(item_id), "--clear")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == message("theme_cleared", "zh", item_id=item_id,
                                            title="水稻种植技术", theme_label="先进适用科技")
    row = items_by_id(run)[item_id]
    assert (row["theme"], row["theme_overridden"]) == ("technology", False)


def test_theme_override_accepts_a_chinese_label(demo_db: Database, run: Run,
                                                ids_by_path: dict[str, int]) -> None:
    item_id = ids_by_path["健康娱乐文化/黄梅戏选段.mp3"]
    result = run("theme", str(item_id), "党建知识")
    assert result.exit_code == 0, result.output
    assert items_by_id(run)[item_id]["theme"] == Theme.PARTY.value


def test_theme_of_an_unknown_item_says_how_to_find_ids(db: Database, run: Run) -> None:
    result = run("theme", "99999", "culture")
    assert result.exit_code == 3
    assert message("item_not_found", "zh", item_id=99999) in result.stderr
    assert "yuanjiao items" in result.stderr


@pytest.mark.parametrize("args", [("1", "nonsense"), ("1",), ("abc", "culture")])
def test_theme_usage_errors_exit_2(db: Database, run: Run, args: tuple[str, ...]) -> None:
    result = run("theme", *args)
    assert result.exit_code == 2, result.output


def test_theme_nonsense_names_the_choices(db: Database, run: Run) -> None:
    result = run("theme", "1", "nonsense")
    assert result.exit_code == 2
    assert "未知主题“nonsense”" in result.stderr
    assert all(theme.value in result.stderr for theme in Theme)


def test_theme_of_an_id_beyond_the_database_integer_range_is_not_found(db: Database,
                                                                       run: Run) -> None:
    result = run("theme", str(2**63), "culture")
    assert result.exit_code == 3, result.output
    assert message("item_not_found", "zh", item_id=2**63) in result.stderr


# scan-errors


def test_scan_errors_json_and_text(tmp_path: Path, db: Database, settings: Settings,
                                   run: Run) -> None:
    root = tmp_path / "bad" / "库"
    expected = make_small_bad_library(root)
    Scanner(db, settings).scan([root])

    result = run("scan-errors", "--json")
    assert result.exit_code == 0, result.output
    rows = json_lines(result.stdout)
    assert {row["path"]: row["reason"] for row in rows} == expected
    assert all(CHINESE.search(row["message"]) for row in rows)

    result = run("scan-errors")
    assert result.exit_code == 0, result.output
    for path in expected:
        assert f"/{path}\n" in result.stdout
    assert message("scan_empty", "zh") in result.stdout
    assert message("scan_symlink_outside", "zh", target="/etc/passwd") in result.stdout

    english = run("--lang", "en", "scan-errors")
    assert english.exit_code == 0, english.output
    assert message("scan_empty", "en") in english.stdout
    messages = [line for line in english.stdout.splitlines() if line.startswith("    ")]
    assert len(messages) == len(expected)
    assert not any(CHINESE.search(line) for line in messages), messages


def test_scan_errors_when_there_are_none(db: Database, run: Run) -> None:
    result = run("scan-errors")
    assert result.exit_code == 0
    assert result.stdout.strip() == message("no_scan_errors", "zh")
    assert run("scan-errors", "--json").stdout == ""


# help


@pytest.mark.parametrize("command, chinese, english", [
    ((), "党员远程教育课件目录与播放服务", "courseware catalog and streaming server"),
    (("scan",), "扫描媒体库目录", "Scan library roots into the catalog."),
    (("items",), "列出目录中的课件", "List catalogued items."),
    (("theme",), "设置课件主题", "--clear removes it."),
    (("scan-errors",), "列出未能收录的文件及原因", "could not be catalogued"),
    (("serve",), "启动网页服务", "Start the web server."),
])
def test_help_is_in_chinese_and_english(tmp_path: Path, command: tuple[str, ...],
                                        chinese: str, english: str) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *command, "--help"],
                                prog_name="yuanjiao")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert chinese in text and english in text, result.stdout


# database unavailable


def test_unreachable_database_exits_4(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "--db", UNREACHABLE_DB,
                                      "items"], prog_name="yuanjiao")
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith(f"无法连接数据库 {UNREACHABLE_DB}：")
    assert "--db 或 YUANJIAO_DB_URL" in result.stderr


def test_unreachable_database_exit_code_from_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUANJIAO_")}
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "--data-dir", str(tmp_path), "--lang", "en",
         "--db", UNREACHABLE_DB, "items"],
        capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith(f"Cannot connect to the database {UNREACHABLE_DB}: ")
    assert done.stdout == ""
