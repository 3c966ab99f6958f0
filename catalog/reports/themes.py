"""Minutes played per theme (the five learnings) per organization at its sessions
(issue 18.1): the mix the policy asks for."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from catalog.library.themes import THEME_LABELS, Theme
from catalog.reports.facts import Facts, theme_seconds
from catalog.reports.table import Chart, Column, Report

THEMES = tuple(t.value for t in Theme)


def themes_report(session: Session, facts: Facts, ctx: Any) -> Report:
    played = theme_seconds(session, facts.node, facts.period)
    per_org: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for study in facts.sessions:
        for theme, seconds in played.get(study.id, {}).items():
            per_org[study.org_id][theme] += seconds
    columns = [Column("town", "col_town"), Column("organization", "col_organization"),
               *[Column(f"theme_{t}", "col_theme", "minutes", THEME_LABELS[Theme(t)])
                 for t in THEMES],
               Column("minutes_played", "col_minutes_played", "minutes"),
               Column("themes_covered", "col_themes_covered", "int")]
    rows = []
    for org in facts.orgs.values():
        found = per_org[org.id]
        rows.append({"org_id": org.id, "town": org.town_name, "organization": org.name,
                     **{f"theme_{t}": round(found.get(t, 0.0) / 60, 1) for t in THEMES},
                     "minutes_played": round(sum(found.values()) / 60, 1),
                     "themes_covered": sum(1 for t in THEMES
                                           if t != Theme.UNCLASSIFIED and found.get(t))})
    return Report("themes", "report_themes", {}, facts.period.text, columns, rows,
                  [Chart("bar", "chart_themes", "organization",
                         tuple(f"theme_{t}" for t in THEMES))], {})
