"""Sidecar metadata on real temp files: Kodi .nfo preferred, else .txt; UTF-8 or GBK."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.sidecars import MAX_SIDECAR_BYTES, Sidecar, read_sidecar

NFO_BODY = """<movie>
  <title>水稻种植技术</title>
  <plot>介绍水稻育秧、插秧和田间管理。</plot>
  <genre>先进适用科技</genre>
  <genre>农业</genre>
  <tag>种植</tag>
  <tag>农业</tag>
</movie>
"""
EXPECTED_NFO = Sidecar("nfo", "水稻种植技术", "介绍水稻育秧、插秧和田间管理。",
                       ("先进适用科技", "农业", "种植"))


def media(tmp_path: Path, stem: str = "水稻种植技术") -> bytes:
    path = tmp_path / f"{stem}.mp4"
    path.write_bytes(b"\x00" * 16)
    return os.fsencode(path)


def sidecar_path(media_path: bytes, ext: bytes) -> bytes:
    return os.path.splitext(media_path)[0] + ext


def write(path: bytes, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def test_nfo_utf8_with_declaration(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    data = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + NFO_BODY
    write(sidecar_path(mp4, b".nfo"), data.encode())
    assert read_sidecar(mp4) == EXPECTED_NFO


def test_nfo_utf8_bom_without_declaration(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".nfo"), b"\xef\xbb\xbf" + NFO_BODY.encode())
    assert read_sidecar(mp4) == EXPECTED_NFO


@pytest.mark.parametrize("declared", ["UTF-8", "GBK", "gb2312"])
def test_nfo_gbk_bytes_whatever_the_declaration_says(tmp_path: Path, declared: str) -> None:
    mp4 = media(tmp_path)
    data = f'<?xml version="1.0" encoding="{declared}"?>\n' + NFO_BODY
    write(sidecar_path(mp4, b".nfo"), data.encode("gbk"))
    assert read_sidecar(mp4) == EXPECTED_NFO


def test_nfo_utf16_with_declaration(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    data = '<?xml version="1.0" encoding="UTF-16"?>\n' + NFO_BODY
    write(sidecar_path(mp4, b".nfo"), data.encode("utf-16"))
    assert read_sidecar(mp4) == EXPECTED_NFO


def test_nfo_outline_when_no_plot(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".nfo"),
          "<movie><title>党课</title><outline>第一讲</outline></movie>".encode())
    assert read_sidecar(mp4) == Sidecar("nfo", "党课", "第一讲", ())


def test_malformed_nfo_falls_back_to_txt(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".nfo"), "<movie><title>水稻种植技术</movie".encode())
    write(sidecar_path(mp4, b".txt"), "果树嫁接\n春季嫁接要点".encode("gbk"))
    assert read_sidecar(mp4) == Sidecar("txt", "果树嫁接", "春季嫁接要点")


def test_malformed_nfo_without_txt_is_none(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".nfo"), b"this is not xml <<<")
    assert read_sidecar(mp4) is None


def test_nfo_without_useful_fields_falls_back_to_txt(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".nfo"), b"<movie><title>  </title></movie>")
    write(sidecar_path(mp4, b".txt"), "党课".encode())
    assert read_sidecar(mp4) == Sidecar("txt", "党课", "")


def test_txt_gbk_first_line_title_rest_description(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    text = "\r\n  新农合报销政策问答  \r\n\r\n第一部分：报销范围\r\n第二部分：报销比例\r\n"
    write(sidecar_path(mp4, b".txt"), text.encode("gbk"))
    assert read_sidecar(mp4) == Sidecar(
        "txt", "新农合报销政策问答", "第一部分：报销范围\n第二部分：报销比例")


@pytest.mark.parametrize("data", [b"", b"\r\n  \n\t\n"])
def test_empty_txt_is_none(tmp_path: Path, data: bytes) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".txt"), data)
    assert read_sidecar(mp4) is None


def test_nfo_preferred_over_txt(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".nfo"), NFO_BODY.encode())
    write(sidecar_path(mp4, b".txt"), "别的标题\n别的简介".encode("gbk"))
    assert read_sidecar(mp4) == EXPECTED_NFO


def test_no_sidecar_is_none(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    # A sidecar for another stem in the same folder is not this file's sidecar.
    write(os.fsencode(tmp_path / "果树嫁接.txt"), "果树嫁接".encode())
    assert read_sidecar(mp4) is None


def test_sidecar_that_is_a_directory_is_ignored(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    os.mkdir(sidecar_path(mp4, b".nfo"))
    write(sidecar_path(mp4, b".txt"), "党课".encode())
    assert read_sidecar(mp4) == Sidecar("txt", "党课", "")


def test_gbk_named_media_finds_gbk_named_sidecar(tmp_path: Path) -> None:
    stem = "党员教育".encode("gbk")
    mp4 = os.path.join(os.fsencode(tmp_path), stem + b".mp4")
    write(mp4, b"\x00")
    write(os.path.join(os.fsencode(tmp_path), stem + b".txt"), "党员教育\n第一讲".encode("gbk"))
    assert read_sidecar(mp4) == Sidecar("txt", "党员教育", "第一讲")


def test_txt_title_is_capped(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    write(sidecar_path(mp4, b".txt"), ("党" * 500).encode())
    found = read_sidecar(mp4)
    assert found is not None and found.title == "党" * 200


def test_huge_txt_is_read_only_up_to_the_cap(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    body = "a" * (MAX_SIDECAR_BYTES * 4) + "\nEND-MARKER"
    write(sidecar_path(mp4, b".txt"), ("水稻种植技术\n" + body).encode())
    found = read_sidecar(mp4)
    assert found is not None
    assert found.title == "水稻种植技术"
    assert "END-MARKER" not in found.description
    assert len(found.description.encode()) <= MAX_SIDECAR_BYTES


def test_huge_gbk_txt_cut_mid_character_keeps_its_title(tmp_path: Path) -> None:
    mp4 = media(tmp_path)
    text = "水稻种植技术\n" + "说明" * MAX_SIDECAR_BYTES
    data = text.encode("gbk")
    assert (MAX_SIDECAR_BYTES - len("水稻种植技术\n".encode("gbk"))) % 2 == 1  # cut mid-char
    write(sidecar_path(mp4, b".txt"), data)
    found = read_sidecar(mp4)
    assert found is not None
    assert found.title == "水稻种植技术"


def test_sidecar_symlink_leaving_the_folder_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    mp4 = media(root, "课件")
    os.symlink(secret, sidecar_path(mp4, b".txt"))
    assert read_sidecar(mp4) is None
