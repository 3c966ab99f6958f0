"""What is close enough to offer as "did you mean" (indexer/did_you_mean.py)."""

from __future__ import annotations

import pytest

from indexer.did_you_mean import close_enough, typos


@pytest.mark.parametrize(("a", "b", "edits"), [
    ("", "", 0), ("abc", "abc", 0), ("abc", "abd", 1), ("abc", "ab", 1), ("ab", "abc", 1),
    ("shuidoa", "shuidao", 1), ("ca", "abc", 3), ("kitten", "sitting", 3), ("", "abc", 3),
    ("党章", "农", 2)])
def test_typos(a: str, b: str, edits: int) -> None:
    assert typos(a, b) == edits == typos(b, a)


@pytest.mark.parametrize(("asked", "found", "close"), [
    ("党章", "农", False),  # issue 14.7: two edits, the whole word
    ("党章", "党建", False),  # one character, but another word altogether
    ("水到", "水稻", True),  # the same sound: pinyin input's wrong candidate
    ("水到", "水稻种", False), ("水到", "shuidao", False),
    ("科学发展规", "科学发展观", True),  # one character of five
    ("科学发展规", "科学进步观", False),
    ("shuidoa", "shuidao", True), ("shuidao", "shuidao", False),
    ("shiudoa", "shuidao", False),  # two typos in seven letters
    ("shuidaozhongzhi", "shuidaozhongzi", True), ("shuidaozhongzhi", "shudaozongzi", True),
    ("shuidaozhongzhi", "shudaozogzi", False), ("abc", "xyz", False)])
def test_close_enough(asked: str, found: str, close: bool) -> None:
    assert close_enough(asked, found) is close
