"""The HTML pages on real scanned media, through the real app, on SQLite and PostgreSQL:
language choice, theme sections, item and error pages."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient
from yj_testing import make_small_bad_library, sign_in

from catalog import library
from catalog.db import Database
from catalog.library.themes import LEARNING_THEMES, THEME_LABELS
from catalog.messages import message
from catalog.settings import Settings
from indexer.pipeline import Scanner
from media.demo import MANIFEST
from web.app import create_app
from web.i18n import translator

pytestmark = pytest.mark.ffmpeg

DEMO_TOTAL = 17
ZH_LABELS = ["政治理论", "党建知识", "农村政策法规", "先进适用科技", "健康娱乐文化"]

@dataclass
class Row:
    item_id: int
    cells: list[str] = field(default_factory=list)


@dataclass
class Section:
    theme: str
    heading: str = ""
    rows: list[Row] = field(default_factory=list)


class CatalogParser(HTMLParser):
    """Collects the catalog page's `<section data-theme>` blocks: heading and table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[Section] = []
        self.html_lang = ""
        self._in_heading = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang") or ""
        elif tag == "section" and attributes.get("data-theme"):
            self.sections.append(Section(attributes["data-theme"] or ""))
        elif tag == "h2" and self.sections:
            self._in_heading = True
        elif tag == "tr" and attributes.get("data-item-id") and self.sections:
            self.sections[-1].rows.append(Row(int(attributes["data-item-id"] or "0")))
        elif tag == "td" and self.sections and self.sections[-1].rows:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_heading = False
        elif tag == "td" and self._cell is not None:
            self.sections[-1].rows[-1].cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.sections[-1].heading += data
        if self._cell is not None:
            self._cell.append(data)


def parse_catalog(page: str) -> CatalogParser:
    parser = CatalogParser()
    parser.feed(page)
    parser.close()
    return parser


def html_lang(page: str) -> str:
    return parse_catalog(page).html_lang


def page_text(page: str) -> str:
    return html.unescape(page)


def clock_text(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True)
class DemoItem:
    item_id: int
    path: str
    title: str
    intended_theme: str
    duration: float | None
    theme_reason: str


@pytest.fixture
def demo_items(db: Database, settings: Settings, demo_library: Path) -> dict[str, DemoItem]:
    """Scans the demo library into the test's database; the items by relative path."""
    result = Scanner(db, settings).scan([demo_library])
    assert result.counts["added"] == DEMO_TOTAL and result.counts["errors"] == 0
    intended = {entry["path"]: entry["theme"]
                for entry in json.loads((demo_library / MANIFEST).read_text("utf-8"))}
    with db.session() as session:
        return {i.rel_path: DemoItem(i.id, i.rel_path, i.title, intended[i.rel_path],
                                     i.duration, i.theme_reason)
                for i in library.all_items(session)}


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def staff_client(client: TestClient, db: Database) -> TestClient:
    """The client signed in as an inspector: scan errors are for staff."""
    sign_in(client, db)
    return client


# the catalog page


def test_catalog_is_chinese_with_every_item_in_its_theme_section(
        demo_items: dict[str, DemoItem], client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>课件目录</h1>" in response.text
    parsed = parse_catalog(response.text)
    assert parsed.html_lang == "zh-CN"
    assert [s.theme for s in parsed.sections] == [t.value for t in LEARNING_THEMES]
    assert [s.heading.split()[0] for s in parsed.sections] == ZH_LABELS
    by_id = {item.item_id: item for item in demo_items.values()}
    shown: list[int] = []
    for section in parsed.sections:
        assert section.heading.split()[-1] == str(len(section.rows))
        for row in section.rows:
            item = by_id[row.item_id]
            title, duration = row.cells[0], row.cells[1]
            assert (title, section.theme) == (item.title, item.intended_theme)
            expected = "—" if item.duration is None else clock_text(item.duration)
            assert duration == expected, item.path
            shown.append(row.item_id)
    assert sorted(shown) == sorted(by_id)


def test_durations_are_minutes_and_seconds(demo_items: dict[str, DemoItem],
                                           client: TestClient) -> None:
    rows = {row.item_id: row.cells[1] for section in parse_catalog(client.get("/").text).sections
            for row in section.rows}
    assert rows[demo_items["政治理论/01_科学发展观学习辅导.mp4"].item_id] == "0:06"
    assert rows[demo_items["农村政策法规/土地承包法律讲座.mp3"].item_id] == "0:07"
    assert rows[demo_items["党建知识/党课讲稿.pdf"].item_id] == "—"


def test_catalog_shows_the_last_scan_in_local_time(demo_items: dict[str, DemoItem],
                                                   db: Database, settings: Settings,
                                                   client: TestClient) -> None:
    with db.session() as session:
        scan = library.last_scan(session)
    assert scan is not None and scan.started_at.tzinfo is not None
    when = scan.started_at.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")
    text = page_text(client.get("/").text)
    assert f"共 {DEMO_TOTAL} 个课件" in text
    assert f"上次扫描：{when}，新增 {DEMO_TOTAL}，错误 0" in text


def test_english_choice_is_remembered_in_a_cookie(demo_items: dict[str, DemoItem],
                                                  client: TestClient) -> None:
    english = client.get("/", params={"lang": "en"})
    assert "lang=en" in english.headers["set-cookie"]
    for response in (english, client.get("/")):  # the second one has no ?lang
        parsed = parse_catalog(response.text)
        assert parsed.html_lang == "en"
        assert "<h1>Catalog</h1>" in response.text and "课件目录" not in response.text
        assert [s.heading.rsplit(" ", 1)[0] for s in parsed.sections] == [
            THEME_LABELS[t][1] for t in LEARNING_THEMES]
    back = client.get("/", params={"lang": "zh"})
    assert html_lang(back.text) == "zh-CN" and html_lang(client.get("/").text) == "zh-CN"


@pytest.mark.parametrize("accept_language, lang", [
    ("en-US", "en"),
    ("en-US,en;q=0.9", "en"),
    ("fr", "zh-CN"),
    ("fr-FR,fr;q=0.9", "zh-CN"),
    ("fr,en;q=0.5", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
    ("en;q=0.5,zh;q=0.8", "zh-CN"),
    ("en;q=0", "zh-CN"),
    ("", "zh-CN"),
])
def test_accept_language_picks_the_page_language(client: TestClient, accept_language: str,
                                                 lang: str) -> None:
    response = client.get("/", headers={"Accept-Language": accept_language})
    assert response.status_code == 200
    assert html_lang(response.text) == lang
    assert "set-cookie" not in response.headers


def test_empty_catalog_says_how_to_fill_it(client: TestClient) -> None:
    # A guest is shown whom to ask; staff the command (tests/web/test_member_page.py).
    response = client.get("/")
    assert response.status_code == 200
    assert "目录中还没有课件。请告诉站点管理员。" in response.text
    assert parse_catalog(response.text).sections == []


@pytest.mark.parametrize("theme", ["policy", "农村政策法规"])
def test_theme_filter_shows_only_that_section(demo_items: dict[str, DemoItem],
                                              client: TestClient, theme: str) -> None:
    response = client.get("/", params={"theme": theme})
    assert response.status_code == 200
    sections = parse_catalog(response.text).sections
    assert [s.theme for s in sections] == ["policy"]
    expected = {i.item_id for i in demo_items.values() if i.intended_theme == "policy"}
    assert {row.item_id for row in sections[0].rows} == expected
    assert len(expected) >= 3


def test_unknown_theme_is_a_chinese_error_page(client: TestClient) -> None:
    response = client.get("/", params={"theme": "nonsense"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert html_lang(response.text) == "zh-CN"
    assert "未知主题“nonsense”" in page_text(response.text)


# the item page


def test_item_page_shows_theme_reason_and_path(demo_items: dict[str, DemoItem],
                                               client: TestClient, db: Database) -> None:
    item = demo_items["先进适用科技/rice.mp4"]
    # The file's path is for staff (issue 14.7): a guest or member reads no path.
    assert item.path not in page_text(client.get(f"/items/{item.item_id}").text)
    sign_in(client, db)
    response = client.get(f"/items/{item.item_id}")
    assert response.status_code == 200
    text = page_text(response.text)
    assert html_lang(response.text) == "zh-CN"
    assert f"<h1>{item.title}</h1>" in text
    assert item.theme_reason and item.theme_reason in text
    assert f'<dd class="path">{item.path}</dd>' in text
    assert "分类依据" in text and "先进适用科技" in text


def test_item_page_in_english(demo_items: dict[str, DemoItem], client: TestClient) -> None:
    item = demo_items["党建知识/党课讲稿.pdf"]
    response = client.get(f"/items/{item.item_id}", params={"lang": "en"})
    assert response.status_code == 200
    assert html_lang(response.text) == "en"
    assert "Why this theme" in response.text and "Party-building knowledge" in response.text
    assert "Document" in response.text


@pytest.mark.parametrize("lang, html_lang_value", [("zh", "zh-CN"), ("en", "en")])
def test_unknown_item_is_a_404_page_with_the_message(client: TestClient, db: Database,
                                                     lang: str, html_lang_value: str) -> None:
    response = client.get("/items/99999", params={"lang": lang})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert html_lang(response.text) == html_lang_value
    # A guest or member reads what to do, with no command or number (issue 14.7) ...
    assert translator(lang)("plain_item_not_found") in page_text(response.text)
    assert "99999" not in page_text(response.text)
    # ... staff the full message.
    sign_in(client, db)
    response = client.get("/items/99999", params={"lang": lang})
    assert message("item_not_found", lang, item_id=99999) in page_text(response.text)


def test_item_page_beyond_the_database_integer_range_is_not_found(settings: Settings,
                                                                  db: Database) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        response = test_client.get(f"/items/{2**63}")
        sign_in(test_client, db)
        staff = test_client.get(f"/items/{2**63}")
    assert response.status_code == 404
    assert translator("zh")("plain_item_not_found") in page_text(response.text)
    assert message("item_not_found", "zh", item_id=2**63) in page_text(staff.text)


# scan errors


def test_scan_errors_page_shows_chinese_reasons(
        tmp_path: Path, db: Database, settings: Settings, staff_client: TestClient) -> None:
    client = staff_client
    root = tmp_path / "bad" / "库"
    expected = make_small_bad_library(root)
    Scanner(db, settings).scan([root])
    response = client.get("/scan-errors")
    assert response.status_code == 200
    text = page_text(response.text)
    assert "<h1>扫描错误</h1>" in text
    for path, reason in expected.items():
        assert f'<tr data-reason="{reason}"><td class="path">{path}</td>' in text
    assert message("scan_empty", "zh") in text
    assert message("scan_symlink_outside", "zh", target="/etc/passwd") in text
    assert "无法识别为音视频：" in text


def test_scan_errors_page_when_there_are_none(staff_client: TestClient) -> None:
    response = staff_client.get("/scan-errors")
    assert response.status_code == 200
    assert "没有扫描错误。" in response.text


# unknown pages and static files


@pytest.mark.parametrize("path", ["/no-such-page", "/items/abc", "/课件"])
def test_unknown_path_is_a_chinese_404_page(client: TestClient, db: Database,
                                            path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert html_lang(response.text) == "zh-CN"
    assert "出错了" in response.text
    assert translator("zh")("plain_not_found") in page_text(response.text)
    sign_in(client, db)
    staff = client.get(path)
    assert message("page_not_found", "zh", path=path) in page_text(staff.text)


@pytest.mark.parametrize("accept, wants_json", [
    ("application/json", True),
    ("text/html,application/json;q=0.9", False),
    ("*/*", False),
])
def test_unknown_path_answers_json_when_asked(client: TestClient, accept: str,
                                              wants_json: bool) -> None:
    response = client.get("/no-such-page", headers={"Accept": accept})
    assert response.status_code == 404
    if wants_json:
        assert response.json() == {"error": "page_not_found",
                                   "message": message("page_not_found", "zh",
                                                      path="/no-such-page")}
    else:
        assert response.headers["content-type"].startswith("text/html")


def test_stylesheet_is_served(client: TestClient) -> None:
    page = client.get("/").text
    assert '<link rel="stylesheet" href="/static/site.css">' in page
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ":root" in response.text
