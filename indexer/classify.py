"""Theme classification by explainable rules.

Each piece of evidence (a sidecar genre, a folder name, the title, the file name, the
description) is searched for every theme's keywords (indexer/themes.toml); a hit adds the
field's weight to the theme. The best theme wins when it is clearly ahead; otherwise the
item is ``unclassified`` and waits for an organizer. The reason names every hit.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from catalog.library.themes import LEARNING_THEMES, Theme

# How much one keyword hit in each field counts. Sidecars and disc labels are written
# by the office that made the material; folders by the station; titles by anyone.
FIELD_WEIGHTS: dict[str, float] = {
    "tag": 3.0,
    "label": 2.5,
    "folder": 2.0,
    "title": 1.5,
    "filename": 1.0,
    "description": 0.5,
}
FIELD_NAMES_ZH = {
    "tag": "分类标签", "label": "光盘卷标", "folder": "文件夹", "title": "标题",
    "filename": "文件名", "description": "简介",
}
KEYWORDS_FILE = Path(__file__).with_name("themes.toml")
MIN_SCORE = 1.5  # a title hit, or anything stronger
MIN_LEAD = 1.25  # the winner must beat the runner-up by this factor


@dataclass(frozen=True)
class Evidence:
    title: str = ""
    filename: str = ""
    folders: tuple[str, ...] = ()
    description: str = ""
    tags: tuple[str, ...] = ()
    label: str = ""

    def fields(self) -> Iterable[tuple[str, str]]:
        yield from (("tag", t) for t in self.tags)
        if self.label:
            yield "label", self.label
        yield from (("folder", f) for f in self.folders)
        yield "title", self.title
        if self.filename and self.filename != self.title:
            yield "filename", self.filename
        yield "description", self.description[:2000]


@dataclass(frozen=True)
class Hit:
    field: str
    text: str
    keyword: str
    weight: float


@dataclass(frozen=True)
class Classification:
    theme: Theme
    confidence: float
    reason: str
    hits: tuple[Hit, ...] = field(default=())


@cache
def load_keywords() -> Mapping[Theme, tuple[str, ...]]:
    data = tomllib.loads(KEYWORDS_FILE.read_text("utf-8"))
    return {theme: tuple(data[theme.value]["keywords"]) for theme in LEARNING_THEMES}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _ascii_pattern(keyword: str) -> re.Pattern[str]:
    # Pinyin and English keywords match as whole words: "dangjian" in "DANGJIAN_2009",
    # "law" in "law-2010" but not in "lawn" or "outlaw". Underscores and digits separate
    # words here, as they do in disc labels and file names.
    return re.compile(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", re.IGNORECASE)


@cache
def _matcher(keyword: str) -> re.Pattern[str] | None:
    return _ascii_pattern(keyword) if keyword.isascii() else None


def _contains(text: str, keyword: str) -> bool:
    pattern = _matcher(keyword)
    return bool(pattern.search(text)) if pattern else keyword in text


@cache
def _search_order() -> tuple[tuple[Theme, tuple[tuple[str, str], ...]], ...]:
    """Each theme's (keyword, folded keyword), longest first, computed once."""
    return tuple(
        (theme, tuple((k, _fold(k)) for k in sorted(keywords, key=len, reverse=True)))
        for theme, keywords in load_keywords().items()
    )


def _field_hits(text: str) -> dict[Theme, str]:
    """The longest keyword of each theme found in one text."""
    found: dict[Theme, str] = {}
    for theme, keywords in _search_order():
        # Longest keyword first, and one hit per field and theme: "政治理论" in a
        # folder name is one piece of evidence, not two ("政治" and "理论").
        for keyword, folded in keywords:
            if _contains(text, folded):
                found[theme] = keyword
                break
    # A keyword inside another theme's longer keyword is not evidence of its own:
    # "形势与政策" is a political-theory course, not a policy one.
    return {theme: kw for theme, kw in found.items()
            if not any(kw != other and kw in other for other in found.values())}


def find_hits(evidence: Evidence) -> dict[Theme, list[Hit]]:
    hits: dict[Theme, list[Hit]] = {theme: [] for theme in LEARNING_THEMES}
    for field_name, raw in evidence.fields():
        text = _fold(raw)
        if not text:
            continue
        for theme, keyword in _field_hits(text).items():
            hits[theme].append(Hit(field_name, raw, keyword, FIELD_WEIGHTS[field_name]))
    return hits


def _describe(hits: Iterable[Hit]) -> str:
    return "；".join(
        f"{FIELD_NAMES_ZH[h.field]}“{h.text[:40]}”含“{h.keyword}”(+{h.weight:g})" for h in hits
    )


def classify(evidence: Evidence) -> Classification:
    hits = find_hits(evidence)
    scores = {theme: sum(h.weight for h in found) for theme, found in hits.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    total = sum(scores.values())
    if top < MIN_SCORE:
        reason = "没有足够的主题线索" + (f"：{_describe(hits[best])}" if top else "")
        return Classification(Theme.UNCLASSIFIED, 0.0, reason)
    if top < second * MIN_LEAD:
        rivals = [t for t, s in ranked if s >= top / MIN_LEAD]
        reason = "多个主题线索相当：" + "；".join(
            f"{t.value} {scores[t]:g}" for t in rivals
        )
        return Classification(Theme.UNCLASSIFIED, 0.0, reason)
    # Confidence grows with the evidence and shrinks with competing themes.
    confidence = round(min(1.0, top / 4.0) * (top / total), 2)
    return Classification(best, confidence, _describe(hits[best]), tuple(hits[best]))
