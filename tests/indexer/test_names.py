"""Names and sidecar text from old Windows discs: UTF-8, GBK/GB18030, BOMs; clean titles."""

from __future__ import annotations

import codecs

import pytest

from indexer.names import clean_title, decode_name, decode_text


def test_decode_name_utf8() -> None:
    assert decode_name("党员教育.mp4".encode()) == "党员教育.mp4"


def test_decode_name_ascii() -> None:
    assert decode_name(b"VIDEO_001.avi") == "VIDEO_001.avi"


def test_decode_name_gbk() -> None:
    raw = "党员教育".encode("gbk")
    assert raw == b"\xb5\xb3\xd4\xb1\xbd\xcc\xd3\xfd"
    assert decode_name(raw) == "党员教育"


def test_decode_name_gbk_with_extension_and_folder() -> None:
    raw = "农业技术/水稻种植.rmvb".encode("gbk")
    assert decode_name(raw) == "农业技术/水稻种植.rmvb"


def test_decode_name_gb18030_only_characters() -> None:
    text = "䶮€𠀀课件"  # CJK Ext A, the euro sign, CJK Ext B: not all in GBK
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    raw = text.encode("gb18030")
    assert decode_name(raw) == text


@pytest.mark.parametrize("raw", [b"\xff\xff", b"abc\xff.mp4", b"\x80", b"\xfe"])
def test_decode_name_invalid_bytes_never_raises(raw: bytes) -> None:
    decoded = decode_name(raw)
    assert isinstance(decoded, str)
    assert "\ufffd" in decoded


def test_decode_name_invalid_bytes_keep_the_readable_part() -> None:
    assert decode_name(b"abc\xff.mp4") == "abc\ufffd.mp4"


def test_decode_name_empty() -> None:
    assert decode_name(b"") == ""


def test_decode_text_utf8_with_bom() -> None:
    data = codecs.BOM_UTF8 + "水稻种植技术\n简介".encode()
    assert decode_text(data) == "水稻种植技术\n简介"


def test_decode_text_utf8_without_bom() -> None:
    assert decode_text("果树嫁接".encode()) == "果树嫁接"


def test_decode_text_utf16_le_with_bom() -> None:
    data = codecs.BOM_UTF16_LE + "党课\r\n第一讲".encode("utf-16-le")
    assert decode_text(data) == "党课\r\n第一讲"


def test_decode_text_utf16_be_with_bom() -> None:
    data = codecs.BOM_UTF16_BE + "党课".encode("utf-16-be")
    assert decode_text(data) == "党课"


def test_decode_text_gbk() -> None:
    assert decode_text("新农合报销政策问答\n".encode("gbk")) == "新农合报销政策问答\n"


def test_decode_text_invalid_never_raises() -> None:
    assert isinstance(decode_text(b"\xff\xff\xff"), str)


@pytest.mark.parametrize(
    ("stem", "title"),
    [
        ("01_水稻种植技术", "水稻种植技术"),
        ("1.水稻种植技术", "水稻种植技术"),
        ("003 - 果树嫁接", "果树嫁接"),
        ("05、党员教育", "党员教育"),
        ("[www.nongye.com]果树嫁接", "果树嫁接"),
        ("【www.nongye.com.cn】果树嫁接", "果树嫁接"),
        ("果树嫁接(nongye.gov.cn)", "果树嫁接"),
        ("果树嫁接 http://www.nongye.com/x", "果树嫁接"),
        ("2009年党课", "2009年党课"),
        ("第一讲 党章", "第一讲 党章"),
        ("水稻_种植__技术", "水稻 种植 技术"),
        ("党课２００９", "党课2009"),
        ("０１_水稻", "水稻"),
        ("ＤＡＮＧＪＩＡＮ", "DANGJIAN"),
        ("  科学发展观  ", "科学发展观"),
    ],
)
def test_clean_title(stem: str, title: str) -> None:
    assert clean_title(stem) == title


@pytest.mark.parametrize("stem", ["___", "[www.nongye.com]", " - "])
def test_clean_title_that_would_be_empty_returns_the_original(stem: str) -> None:
    cleaned = clean_title(stem)
    assert cleaned == stem.strip()
    assert cleaned
