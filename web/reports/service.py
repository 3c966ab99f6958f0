"""What the pages, the API and the CLI share: building a report for a node and period,
and writing its cells as text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from catalog import org
from catalog.attendance.policy import Policy
from catalog.errors import BadRequest
from catalog.messages import message
from catalog.org.models import OrgNode
from catalog.planning.sessions import SessionKind, kind_label
from catalog.reports.builders import BUILDERS, NEEDS_RUBRIC, Context, build
from catalog.reports.period import parse_period
from catalog.reports.rating import load_rubric
from catalog.reports.table import Column, Report
from catalog.settings import Settings

KINDS = tuple(BUILDERS)
KIND_VALUES = frozenset(k.value for k in SessionKind)


def node_label(session: Session, node: OrgNode) -> str:
    """The node's names below the city, as ``--node`` takes them (城关镇/东村党支部)."""
    names = [n.name for n in org.ancestors(session, node) if n.kind != org.Kind.CITY]
    return "/".join([*names, node.name]) if node.kind != org.Kind.CITY else node.name


def make_report(session: Session, settings: Settings, kind: str, node: OrgNode,
                period_text: str, now: datetime | None = None) -> Report:
    if kind not in BUILDERS:
        raise BadRequest("bad_report_kind", value=kind[:40], kinds=", ".join(KINDS))
    if node.kind == org.Kind.STATION:
        raise BadRequest("report_needs_unit", name=node.name)
    zone = ZoneInfo(settings.timezone)
    period = parse_period(period_text, zone)
    rubric = load_rubric(settings.report_rubric) if kind in NEEDS_RUBRIC else None
    ctx = Context(Policy.of(settings), settings.activity_min_minutes, now or datetime.now(UTC),
                  rubric, settings.report_card_due_days, settings.flag_record_late_days,
                  settings.flag_quiet_days)
    return build(session, kind, node, node_label(session, node), period, ctx)


def cell_text(column: Column, value: Any, lang: str) -> str:
    """A value as the page, the CLI and the printed forms say it: a rate as 87.5%, yes/no
    in words, codes (grades, states, kinds) by their names."""
    if value is None or value == "":
        return "—"
    if column.kind == "rate":
        return f"{value * 100:.1f}%"
    if column.kind == "bool":
        return message("yes_word" if value else "no_word_short", lang)
    if column.kind == "text" and column.key.startswith("have_"):
        return message(f"have_state_{value}", lang)
    if column.key == "card_state":
        return message(f"card_state_{value}", lang)
    if column.key == "state":
        return message(f"must_state_{value}", lang)
    if column.key == "detail" and isinstance(value, dict):
        fields = {k: ("、".join(map(str, v)) if isinstance(v, list) else
                      "—" if v is None else v) for k, v in value.items() if k != "flag"}
        return message(f"flag_detail_{value['flag']}", lang, **fields)
    if column.key == "flag":
        return message(f"flag_{value}", lang)
    if column.key == "grade":
        return message(f"grade_{value}", lang)
    if column.key == "failed":
        return "、".join(message(f"rule_{code}", lang) for code in str(value).split("、")
                        if code) or "—"
    if column.kind == "text" and column.key == "kind":
        return kind_label(value, lang) if value in KIND_VALUES else str(value)
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def summary_text(key: str, value: Any, lang: str) -> str:
    """A summary figure as said beside its label: shares as percentages, codes by name."""
    if value is None:
        return "—"
    if key == "card_state":
        return message(f"card_state_{value}", lang)
    if isinstance(value, float) and key.endswith(("share", "rate")):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def summary_lines(found: Report, lang: str) -> list[tuple[str, str]]:
    return [(message(f"summary_{k}", lang), summary_text(k, v, lang))
            for k, v in found.summary.items()]
