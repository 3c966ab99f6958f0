"""The five learnings (五学习) that classify every item."""

from __future__ import annotations

from enum import StrEnum


class Theme(StrEnum):
    POLITICS = "politics"
    PARTY = "party"
    POLICY = "policy"
    TECHNOLOGY = "technology"
    CULTURE = "culture"
    UNCLASSIFIED = "unclassified"


LEARNING_THEMES: tuple[Theme, ...] = (
    Theme.POLITICS, Theme.PARTY, Theme.POLICY, Theme.TECHNOLOGY, Theme.CULTURE,
)

THEME_LABELS: dict[Theme, tuple[str, str]] = {
    Theme.POLITICS: ("政治理论", "Political theory"),
    Theme.PARTY: ("党建知识", "Party-building knowledge"),
    Theme.POLICY: ("农村政策法规", "Rural policy and law"),
    Theme.TECHNOLOGY: ("先进适用科技", "Practical science and technology"),
    Theme.CULTURE: ("健康娱乐文化", "Healthy culture and entertainment"),
    Theme.UNCLASSIFIED: ("未分类", "Unclassified"),
}


def theme_label(theme: str, lang: str = "zh") -> str:
    zh, en = THEME_LABELS[Theme(theme)]
    return en if lang == "en" else zh


def parse_theme(value: str) -> Theme:
    """Accept the identifier or either label; raise BadRequest naming the choices."""
    from catalog.errors import BadRequest

    wanted = value.strip()
    for theme, labels in THEME_LABELS.items():
        if wanted.lower() == theme.value or wanted in labels:
            return theme
    raise BadRequest("theme_unknown", theme=value,
                     choices=", ".join(t.value for t in THEME_LABELS))
