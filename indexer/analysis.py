"""Text analysis for Chinese search: folding, words, single characters and pinyin.

Everything indexed and every query goes through ``fold`` first: full-width forms become
half-width (NFKC), traditional characters simplified (OpenCC's t2s table), letters lower
case; so 《水稻種植技術》, ＳＨＵＩＤＡＯ and shuidao meet 水稻种植技术.

Words come from jieba in search mode with a user dictionary of the domain's words
(indexer/userdict.txt: 党建, 三农, 低保, 新农合, 科学发展观 …). Unlike jieba's bundled
``ChineseAnalyzer`` nothing short is dropped: a lesson number ``3`` stays a token, and every
Chinese character is a token too, so a one-character query such as 稻 finds 水稻.
Pinyin keys (pypinyin) are the full pinyin and the initials of each word and of the whole
text: ``shuidao`` and ``sdzz`` find 水稻种植技术.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jieba
from opencc import OpenCC
from pypinyin import Style, lazy_pinyin
from whoosh.analysis import Token, Tokenizer

USER_DICT = Path(__file__).with_name("userdict.txt")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w", re.UNICODE)
_t2s = OpenCC("t2s")
_jieba_ready = threading.Lock()
_jieba_loaded = False


def _segmenter() -> Any:
    global _jieba_loaded
    with _jieba_ready:
        if not _jieba_loaded:
            jieba.setLogLevel(60)  # its start-up chatter is not ours to print
            with USER_DICT.open("rb") as user_words:  # jieba leaves a path's file open
                jieba.load_userdict(user_words)
            _jieba_loaded = True
    return jieba


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    return _t2s.convert(unicodedata.normalize("NFKC", text)).lower()


def words(text: str) -> list[str]:
    """Search-mode words of folded ``text``, plus each Chinese character on its own."""
    found: list[str] = []
    for word, _start, _end in _segmenter().tokenize(fold(text), mode="search"):
        word = word.strip()
        if not word or not _WORD.search(word):
            continue  # spaces and punctuation
        found.append(word)
        if len(word) > 1 and _CJK.search(word):
            found.extend(c for c in word if _CJK.match(c))
    return found


def pinyin_of(text: str) -> str:
    """The toneless pinyin of ``text``, syllables run together: 水稻 and 水到 are both
    ``shuidao``."""
    return "".join(lazy_pinyin(fold(text)))


def pinyin_keys(text: str) -> list[str]:
    """Full pinyin and initials of each Chinese word and of the whole Chinese text."""
    folded = fold(text)
    keys: list[str] = []
    chinese_runs = re.findall(r"[\u3400-\u9fff]+", folded)
    for run in chinese_runs:
        for word, _start, _end in _segmenter().tokenize(run, mode="search"):
            syllables = lazy_pinyin(word)
            keys.append("".join(syllables))
            keys.append("".join(s[0] for s in syllables if s))
        whole = lazy_pinyin(run)
        keys.append("".join(whole))
        keys.append("".join(lazy_pinyin(run, style=Style.FIRST_LETTER)))
    return keys


class ListTokenizer(Tokenizer):  # type: ignore[misc]
    """A whoosh tokenizer over one of the functions above."""

    def __init__(self, split: Any) -> None:
        self.split = split

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ListTokenizer) and other.split is self.split

    def __hash__(self) -> int:
        return hash(self.split)

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, mode: str = "", **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, text in enumerate(self.split(value), start_pos):
            token.text = text
            token.boost = 1.0
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = position
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(text)
            yield token


def chinese_analyzer() -> ListTokenizer:
    return ListTokenizer(words)


def pinyin_analyzer() -> ListTokenizer:
    return ListTokenizer(pinyin_keys)
