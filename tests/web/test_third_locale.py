"""A third language with no change to the code (issue 15.4): a station's catalogs, compiled
with pybabel compile and named by YUANJIAO_LOCALE_DIRS, are picked by ?lang=, the cookie
and Accept-Language; what they lack is said in Chinese; API error keys stay the same."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from yj_testing import make_settings

from catalog.messages import LOCALE_DIRS_ENV, message
from web.app import create_app
from web.i18n import page_languages, translator

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "locale"


def compile_catalogs(locale: Path, domains: tuple[str, ...] = ("pages", "messages")) -> None:
    """What docs/translating.md tells a station to run."""
    for domain in domains:
        done = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile",
                               "-d", str(locale), "-D", domain, "--statistics"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


@pytest.fixture
def station_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    locale = tmp_path / "station-locale"
    shutil.copytree(FIXTURE, locale)
    compile_catalogs(locale)
    monkeypatch.setenv(LOCALE_DIRS_ENV, str(locale))
    return locale


@pytest.fixture
def client(tmp_path: Path, station_locale: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_language_is_offered_once_its_catalog_is_compiled(station_locale: Path) -> None:
    assert page_languages() == ("zh", "en", "xx")


def test_lang_xx_picks_the_third_language_and_falls_back_to_chinese(
        client: TestClient) -> None:
    page = client.get("/", params={"lang": "xx"})
    assert page.status_code == 200
    assert "lang=xx" in page.headers["set-cookie"]
    assert '<html lang="xx">' in page.text
    assert "<title>Yuanjiao-xx</title>" in page.text
    assert ">Xx-katalog</a>" in page.text
    assert ">搜索</button>" in page.text  # untranslated (empty msgstr): Chinese
    remembered = client.get("/")  # no ?lang: the cookie keeps xx
    assert '<html lang="xx">' in remembered.text and ">Xx-katalog</a>" in remembered.text
    back = client.get("/", params={"lang": "zh"})
    assert '<html lang="zh-CN">' in back.text and ">课件目录</a>" in back.text


@pytest.mark.parametrize("accept_language", ["xx", "xx-CN,zh;q=0.8", "fr,xx;q=0.5"])
def test_accept_language_names_the_third_language(client: TestClient,
                                                  accept_language: str) -> None:
    page = client.get("/", headers={"Accept-Language": accept_language})
    assert '<html lang="xx">' in page.text
    assert "set-cookie" not in page.headers


def test_api_errors_keep_their_key_and_speak_the_third_language(client: TestClient) -> None:
    found = client.get("/api/items/99999", params={"lang": "xx"})
    assert found.status_code == 404
    assert found.json() == {"error": "item_not_found", "message": "Xx: no courseware 99999."}
    theme = client.get("/api/items", params={"lang": "xx", "theme": "nonsense"})
    assert theme.json()["error"] == "theme_unknown"  # not in xx's catalog: Chinese
    assert theme.json()["message"].startswith("未知主题“nonsense”")


def test_a_language_with_no_catalog_is_not_taken(client: TestClient) -> None:
    for asked in ("yy", "x\r\nSet-Cookie: a=b", "../../etc"):
        page = client.get("/", params={"lang": asked})
        assert page.status_code == 200
        assert "set-cookie" not in page.headers
        assert '<html lang="zh-CN">' in page.text
    client.cookies.set("lang", "yy")  # a catalog since removed
    assert '<html lang="zh-CN">' in client.get("/").text


def test_jinja_gettext_speaks_the_page_language(client: TestClient) -> None:
    env = client.app.state.templates.env  # type: ignore[attr-defined]
    template = env.from_string("{{ _('catalog') }}|{{ gettext('month_n', n=3) }}|"
                               "{{ _('search') }}|{{ t('catalog') }}")
    assert template.render(lang="xx", t=translator("xx")) == "Xx-katalog|xx-month 3|搜索|Xx-katalog"
    assert template.render(lang="en", t=translator("en")) == "Catalog|Month 3|Search|Catalog"
    assert template.render() == "课件目录|3 月|搜索|课件目录"  # no lang, no t: Chinese


def test_untranslated_and_fuzzy_texts_are_said_in_chinese(station_locale: Path) -> None:
    t = translator("xx")
    assert (t("catalog"), t("search"), t("logout")) == ("Xx-katalog", "搜索", "退出")


def test_a_translation_whose_fields_do_not_fit_is_said_in_chinese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locale = tmp_path / "locale"
    (locale / "xx" / "LC_MESSAGES").mkdir(parents=True)
    (locale / "xx" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "item_not_found"\nmsgstr "Xx {itemid} {"\n', encoding="utf-8")
    compile_catalogs(locale, ("messages",))
    monkeypatch.setenv(LOCALE_DIRS_ENV, str(locale))
    assert message("item_not_found", "xx", item_id=7) == message("item_not_found", "zh",
                                                                 item_id=7)
    with pytest.raises(KeyError):
        message("no_such_key", "xx")
