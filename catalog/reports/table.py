"""The shape every report has, whatever reads it (page, JSON, CSV, XLSX, PDF, the CLI):
a title, columns with stable keys, one row per record, a few charts over the rows, and
summary facts. Labels are message keys, so each reader picks the language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How a column's values are written: ``text``; ``int``; ``rate`` a share 0..1 (or None),
# shown as a percentage; ``minutes`` a number of minutes; ``bool`` yes/no; ``date``.
COLUMN_KINDS = ("text", "int", "rate", "minutes", "bool", "date")


@dataclass(frozen=True)
class Column:
    key: str  # stable: the 数据 sheet's and the CSV's header, the JSON's field
    label: str  # a message key
    kind: str = "text"
    # The label itself (Chinese, English) where it comes from a file, not the catalogs:
    # the rubric's items.
    texts: tuple[str, str] | None = None

    def label_in(self, lang: str) -> str:
        if self.texts is not None:
            return self.texts[1] if lang == "en" else self.texts[0]
        from catalog.messages import message

        return message(self.label, lang)


@dataclass(frozen=True)
class Chart:
    """A chart over the report's rows: one category per row (``category``, a column key),
    one series per value column. ``kind`` is bar, line or pie (pie: one series)."""

    kind: str
    title: str  # a message key
    category: str
    series: tuple[str, ...]


@dataclass
class Report:
    kind: str  # the CLI's KIND: overview, sessions, members, …
    title: str  # a message key
    node: dict[str, Any]  # id, name, kind, label (the path of names)
    period: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    charts: list[Chart] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    # The printed forms' footer: 经办人 / 审核人 / 日期 lines and the checkpoint code are
    # added by the exporter; ``notes`` are message keys said under the table.
    notes: list[str] = field(default_factory=list)
    # What does not fit one row per record (the assessment's town verdicts).
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "node": self.node,
                "period": self.period,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind,
                             **({"texts": list(c.texts)} if c.texts else {})}
                            for c in self.columns],
                "rows": self.rows, "summary": self.summary,
                "charts": [{"kind": c.kind, "title": c.title, "category": c.category,
                            "series": list(c.series)} for c in self.charts],
                "notes": self.notes, **({"extra": self.extra} if self.extra else {})}
