"""Station ratings (站点评定, issue 18.3): a rubric in TOML (catalog/reports/rubric.toml, or
the file the ``report_rubric`` setting names) of weighted items and veto items. Automatic
items are measured from the ledger's projections; manual items take the points an
inspection or a town organizer gave (``manual``: organization id → item code → points;
the inspection issue will fill it). A veto that holds makes the station lagging."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.attendance.policy import Policy
from catalog.errors import ConfigError
from catalog.org.models import OrgNode, User
from catalog.reports.facts import Facts, OrgFacts, SessionFacts
from catalog.reports.members import MemberYear, member_years

SHIPPED = Path(__file__).with_name("rubric.toml")
MEASURES = ("held_share", "monthly_day_share", "meeting_share", "complete_share",
            "members_eight_share", "on_time_share")
RULES = ("no_study_quarter", "no_admin", "no_session_months")
GRADES = ("advanced", "ordinary", "lagging")


@dataclass(frozen=True)
class Item:
    code: str
    label_zh: str
    label_en: str
    weight: float
    measure: str | None  # None: a manual item

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class Veto:
    code: str
    label_zh: str
    label_en: str
    rule: str
    months: int = 2

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class Rubric:
    items: tuple[Item, ...]
    vetoes: tuple[Veto, ...]
    advanced: float
    ordinary: float
    source: str

    def grade(self, points: float, vetoed: bool) -> str:
        if vetoed or points < self.ordinary:
            return "lagging"
        return "advanced" if points >= self.advanced else "ordinary"


def load_rubric(path: str = "") -> Rubric:
    """The rubric of ``path`` (the shipped one when empty); any mistake in the file is a
    ConfigError naming the file and what is wrong, never a default quietly used."""
    source = Path(path) if path else SHIPPED
    try:
        raw = tomllib.loads(source.read_text("utf-8"))
        rubric = _parse(raw, str(source))
    except OSError as error:
        raise ConfigError("rubric_unreadable", path=str(source),
                          error=error.strerror or str(error)) from None
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise ConfigError("rubric_invalid", path=str(source), error=str(error)[:200]) from None
    return rubric


def _parse(raw: dict[str, Any], source: str) -> Rubric:
    items = []
    for entry in raw["items"]:
        manual = bool(entry.get("manual", False))
        measure = None if manual else str(entry["measure"])
        if measure is not None and measure not in MEASURES:
            raise ValueError(f"item {entry['code']}: unknown measure {measure!r}")
        weight = float(entry["weight"])
        if weight <= 0:
            raise ValueError(f"item {entry['code']}: weight must be positive")
        items.append(Item(str(entry["code"]), str(entry["label_zh"]),
                          str(entry.get("label_en", entry["label_zh"])), weight, measure))
    vetoes = []
    for entry in raw.get("vetoes", []):
        if entry["rule"] not in RULES:
            raise ValueError(f"veto {entry['code']}: unknown rule {entry['rule']!r}")
        vetoes.append(Veto(str(entry["code"]), str(entry["label_zh"]),
                           str(entry.get("label_en", entry["label_zh"])), str(entry["rule"]),
                           int(entry.get("months", 2))))
    total = sum(i.weight for i in items)
    if abs(total - 100) > 1e-6:
        raise ValueError(f"the weights add up to {total:g}, not 100")
    if len({i.code for i in items}) != len(items):
        raise ValueError("two items share a code")
    grades = raw["grades"]
    advanced, ordinary = float(grades["advanced"]), float(grades["ordinary"])
    if not 0 < ordinary <= advanced <= 100:
        raise ValueError("grades: need 0 < ordinary <= advanced <= 100")
    return Rubric(tuple(items), tuple(vetoes), advanced, ordinary, source)


@dataclass
class Rating:
    org: OrgFacts
    points: dict[str, float | None]  # item code → points (None: a manual item not scored)
    measures: dict[str, float | None]
    vetoes: list[tuple[Veto, list[str]]] = field(default_factory=list)  # with evidence
    total: float = 0.0
    grade: str = "lagging"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def org_measures(org: OrgFacts, sessions: list[SessionFacts], years: list[MemberYear],
                 facts: Facts) -> dict[str, float | None]:
    due = [s for s in sessions if s.started]
    held = [s for s in due if s.held]
    rated = [s for s in held if s.rate is not None]
    months = past_months(facts)
    held_months = {_month_of(s, facts) for s in held}
    return {"held_share": _share(len(held), len(due)),
            "monthly_day_share": _share(len(held_months & set(months)), len(months)),
            "meeting_share": _share(sum(1 for s in rated if s.meets_target), len(rated)),
            "complete_share": _share(sum(1 for s in due if s.complete), len(due)),
            "members_eight_share": _share(
                sum(1 for m in years if m.meets_target or m.can_reach_target), len(years)),
            "on_time_share": _share(sum(1 for s in due if not s.late_entries), len(due))}


def _month_of(study: SessionFacts, facts: Facts) -> tuple[int, int]:
    local = study.starts_at.astimezone(facts.period.zone)
    return local.year, local.month


def past_months(facts: Facts, complete: bool = False) -> list[tuple[int, int]]:
    """The period's months that have begun (``complete``: that have ended) by now."""
    zone = facts.period.zone
    found = []
    for year, month in facts.period.months():
        first = datetime(year, month, 1, tzinfo=zone)
        after = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
        if (after if complete else first) <= facts.now:
            found.append((year, month))
    return found


def veto_evidence(veto: Veto, org: OrgFacts, sessions: list[SessionFacts], facts: Facts
                  ) -> list[str] | None:
    """What makes the veto hold (months, quarters), or None when it does not."""
    held = {_month_of(s, facts) for s in sessions if s.held}
    months = past_months(facts, complete=True)
    if veto.rule == "no_admin":
        return [] if not org.has_admin else None
    if veto.rule == "no_study_quarter":
        quarters: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for year, month in months:
            quarters.setdefault((year, (month - 1) // 3 + 1), []).append((year, month))
        empty = [f"{y}-Q{q}" for (y, q), found in quarters.items()
                 if len(found) == 3 and not held & set(found)]
        return empty or None
    run: list[tuple[int, int]] = []
    for key in months:
        run = [] if key in held else [*run, key]
        if len(run) >= veto.months:
            return [f"{y}-{m:02d}" for y, m in run]
    return None


def mark_admins(session: Session, facts: Facts) -> None:
    """Sets ``has_admin`` on each organization with an enabled station administrator
    account on it or on one of its stations."""
    found = session.execute(
        select(OrgNode.path).join(User, User.node_id == OrgNode.id)
        .where(User.role == "station_admin", User.disabled.is_(False),
               OrgNode.path.startswith(facts.node.path))).scalars().all()
    for org in facts.orgs.values():
        org.has_admin = any(path.startswith(org.path) for path in found)


def rate(session: Session, facts: Facts, rubric: Rubric, policy: Policy,
         manual: Mapping[int, Mapping[str, float]] | None = None,
         years: Mapping[int, MemberYear] | None = None) -> list[Rating]:
    """``years``: the member years when the caller has them already (the assessment)."""
    manual = manual or {}
    mark_admins(session, facts)
    if years is None:
        years = member_years(session, facts, policy)
    by_org_years: dict[int, list[MemberYear]] = {}
    for year in years.values():
        by_org_years.setdefault(year.org_id, []).append(year)
    by_org: dict[int, list[SessionFacts]] = {}
    for study in facts.regular():
        by_org.setdefault(study.org_id, []).append(study)
    return [score_org(org, by_org.get(org.id, []), by_org_years.get(org.id, []), facts,
                      rubric, manual.get(org.id, {}))
            for org in facts.orgs.values()]


def score_org(org: OrgFacts, sessions: list[SessionFacts], years: list[MemberYear],
              facts: Facts, rubric: Rubric, manual: Mapping[str, float]) -> Rating:
    measured = org_measures(org, sessions, years, facts)
    points: dict[str, float | None] = {}
    for item in rubric.items:
        if item.measure is None:
            given = manual.get(item.code)
            points[item.code] = None if given is None else min(max(given, 0.0), item.weight)
        else:
            points[item.code] = round(item.weight * (measured[item.measure] or 0.0), 1)
    found = Rating(org, points, measured)
    for veto in rubric.vetoes:
        evidence = veto_evidence(veto, org, sessions, facts)
        if evidence is not None:
            found.vetoes.append((veto, evidence))
    found.total = round(sum(p for p in points.values() if p is not None), 1)
    found.grade = rubric.grade(found.total, bool(found.vetoes))
    return found
