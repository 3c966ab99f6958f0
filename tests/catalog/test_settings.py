"""Settings: one table, four layers of precedence, clear errors, every one documented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from catalog.errors import ConfigError
from catalog.settings import SETTINGS, load_settings

REPO = Path(__file__).resolve().parents[2]


def test_defaults_put_the_database_in_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path)}, environ={})
    assert settings.db_url == f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    assert settings.lang == "zh" and settings.library_roots == ()
    assert settings.effective_probe_workers == (os.cpu_count() or 1)


def test_precedence_is_defaults_toml_environment_command_line(tmp_path: Path) -> None:
    (tmp_path / "yuanjiao.toml").write_text(
        'port = 9000\nhost = "0.0.0.0"\nprobe_workers = 3\nlibrary_roots = ["/srv/a", "/srv/b"]\n')
    environ = {"YUANJIAO_DATA_DIR": str(tmp_path), "YUANJIAO_PORT": "9100",
               "YUANJIAO_PROBE_WORKERS": "5"}
    settings = load_settings({"probe_workers": 7}, environ=environ)
    assert settings.host == "0.0.0.0"  # from the TOML file in the data directory
    assert settings.port == 9100  # the environment beats the file
    assert settings.probe_workers == 7  # the command line beats both
    assert settings.library_roots == (Path("/srv/a"), Path("/srv/b"))
    assert settings.sources["host"] == str(tmp_path / "yuanjiao.toml")
    assert settings.sources["port"] == "environment"


def test_library_roots_from_the_environment_use_the_path_separator(tmp_path: Path) -> None:
    environ = {"YUANJIAO_LIBRARY_ROOTS": f"/srv/课件{os.pathsep}/srv/光盘"}
    settings = load_settings({"data_dir": str(tmp_path)}, environ=environ)
    assert settings.library_roots == (Path("/srv/课件"), Path("/srv/光盘"))


@pytest.mark.parametrize(("content", "key"), [
    ("port = ", "config_bad_toml"),
    ("colour = 'red'\n", "config_unknown_key"),
    ("port = 'eighty'\n", "config_bad_value"),
    ("timezone = 'Mars/Olympus'\n", "config_bad_value"),
    ("lang = 'fr'\n", "config_bad_value"),
])
def test_bad_configuration_says_what_and_where(tmp_path: Path, content: str, key: str) -> None:
    (tmp_path / "yuanjiao.toml").write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings({"data_dir": str(tmp_path)}, environ={})
    assert caught.value.key == key
    assert "yuanjiao.toml" in caught.value.message("zh") or key == "config_bad_value"


def test_an_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"data_dir": str(tmp_path)}, environ={},
                      config_file=tmp_path / "none.toml")
    assert caught.value.key == "config_missing"


def test_every_setting_is_documented() -> None:
    documented = (REPO / "docs" / "settings.md").read_text("utf-8")
    for setting in SETTINGS:
        row = re.search(rf"^\| `{setting.name}` \|.*\| `YUANJIAO_{setting.name.upper()}` \|",
                        documented, re.MULTILINE)
        assert row, f"docs/settings.md has no row for {setting.name}"
