"""The reports (issue 18.1), each a :class:`Report` table built from the one query layer
(catalog/reports/facts.py): ``overview`` per organization, ``sessions`` one row per
session, ``members`` per member and year, ``trend`` by month, ``ranking`` of the units
one level down."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy.orm import Session

from catalog.attendance.policy import Policy
from catalog.org.models import OrgNode
from catalog.org.tree import Kind
from catalog.planning.sessions import SessionKind
from catalog.reports.facts import HAVES, Facts, OrgFacts, SessionFacts, load
from catalog.reports.members import YEAR_TARGET, member_years
from catalog.reports.period import Period
from catalog.reports.rating import Rubric
from catalog.reports.table import Chart, Column, Report


@dataclass(frozen=True)
class Context:
    """What every report needs besides the facts."""

    policy: Policy
    min_minutes: int  # the half-day rule (activity_min_minutes)
    now: datetime
    rubric: Rubric | None = None  # for the rating and the assessment
    card_due_days: int = 5  # a month's report card is due by this day of the next
    flag_record_late_days: int = 7
    flag_quiet_days: int = 14


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Iterable[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return round(fmean(found), 4) if found else None


def node_json(node: OrgNode, label: str) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "kind": node.kind, "label": label}


# ---- per organization


def org_line(org: OrgFacts, sessions: list[SessionFacts], facts: Facts, ctx: Context
             ) -> dict[str, Any]:
    regular = [s for s in sessions if s.kind != SessionKind.MAKEUP.value]
    past = [s for s in regular if s.started]  # due: begun, or over
    held = [s for s in past if s.held]
    months = [m for m in facts.period.months()
              if datetime(m[0], m[1], 1, tzinfo=facts.period.zone) <= ctx.now]
    held_months = {(s.starts_at.astimezone(facts.period.zone).year,
                    s.starts_at.astimezone(facts.period.zone).month) for s in held}
    rated = [s for s in held if s.rate is not None]
    return {"org_id": org.id, "town": org.town_name, "organization": org.name,
            "members": org.members, "planned": len(regular), "due": len(past),
            "held": len(held), "held_share": _share(len(held), len(past)),
            "months": len(months), "months_held": len(held_months & set(months)),
            "half_day": sum(1 for s in held if s.half_day(ctx.min_minutes)),
            "mean_rate": _mean(s.rate for s in rated),
            "meeting_share": _share(sum(1 for s in rated if s.meets_target), len(rated)),
            "complete_share": _share(sum(1 for s in past if s.complete), len(past)),
            "late_entries": sum(s.late_entries for s in sessions),
            "late_entry_share": _share(sum(1 for s in past if s.late_entries), len(past)),
            "minutes_played": round(sum(s.seconds_played for s in sessions) / 60, 1)}


OVERVIEW_COLUMNS = [
    Column("town", "col_town"), Column("organization", "col_organization"),
    Column("members", "col_members", "int"), Column("planned", "col_planned", "int"),
    Column("due", "col_due", "int"), Column("held", "col_held", "int"),
    Column("held_share", "col_held_share", "rate"), Column("months", "col_months", "int"),
    Column("months_held", "col_months_held", "int"),
    Column("half_day", "col_half_day", "int"), Column("mean_rate", "col_mean_rate", "rate"),
    Column("meeting_share", "col_meeting_share", "rate"),
    Column("complete_share", "col_complete_share", "rate"),
    Column("late_entries", "col_late_entries", "int"),
    Column("late_entry_share", "col_late_entry_share", "rate"),
    Column("minutes_played", "col_minutes_played", "minutes"),
]


def _grouped(facts: Facts) -> dict[int, list[SessionFacts]]:
    by_org: dict[int, list[SessionFacts]] = defaultdict(list)
    for study in facts.sessions:
        by_org[study.org_id].append(study)
    return by_org


def overview(session: Session, facts: Facts, ctx: Context) -> Report:
    by_org = _grouped(facts)
    rows = [org_line(org, by_org[org.id], facts, ctx) for org in facts.orgs.values()]
    summary = _summary(rows)
    return Report("overview", "report_overview", {}, facts.period.text, OVERVIEW_COLUMNS, rows,
                  [Chart("bar", "chart_rates_by_org", "organization",
                         ("mean_rate", "meeting_share")),
                   Chart("bar", "chart_held_by_org", "organization", ("planned", "held"))],
                  summary)


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    due = sum(r["due"] for r in rows)
    held = sum(r["held"] for r in rows)
    return {"organizations": len(rows), "planned": sum(r["planned"] for r in rows),
            "due": due, "held": held, "held_share": _share(held, due),
            "mean_rate": _mean(r["mean_rate"] for r in rows),
            "late_entries": sum(r["late_entries"] for r in rows)}


# ---- one row per session


SESSION_COLUMNS = [
    Column("session_id", "col_session_id", "int"), Column("date", "col_date", "date"),
    Column("organization", "col_organization"), Column("kind", "col_kind"),
    Column("title", "col_title"), Column("expected", "col_expected", "int"),
    Column("present", "col_present", "int"), Column("late", "col_late", "int"),
    Column("leave", "col_leave", "int"), Column("absent", "col_absent", "int"),
    Column("others", "col_others", "int"), Column("rate", "col_rate", "rate"),
    Column("meets_target", "col_meets_target", "bool"), Column("held", "col_held", "bool"),
    Column("minutes_played", "col_minutes_played", "minutes"),
    Column("minutes_planned", "col_minutes_planned", "minutes"),
    *[Column(f"have_{h}", f"have_{h}") for h in HAVES],
    Column("late_entries", "col_late_entries", "int"),
]


def session_line(study: SessionFacts, facts: Facts) -> dict[str, Any]:
    org = facts.orgs.get(study.org_id)
    haves = study.haves()
    return {"session_id": study.id,
            "date": study.starts_at.astimezone(facts.period.zone).date().isoformat(),
            "organization": org.name if org else "", "kind": study.kind,
            "title": study.title, "expected": study.expected, "present": study.present,
            "late": study.late, "leave": study.leave, "absent": study.absent,
            "others": study.others, "rate": study.rate, "meets_target": study.meets_target,
            "held": study.held, "minutes_played": study.minutes_played,
            "minutes_planned": study.minutes_planned,
            **{f"have_{h}": haves[h] for h in HAVES}, "late_entries": study.late_entries}


def sessions_report(session: Session, facts: Facts, ctx: Context) -> Report:
    rows = [session_line(s, facts) for s in facts.sessions]
    return Report("sessions", "report_sessions", {}, facts.period.text, SESSION_COLUMNS, rows,
                  [Chart("line", "chart_rate_by_session", "date", ("rate",))],
                  {"sessions": len(rows)})


# ---- per member


MEMBER_COLUMNS = [
    Column("member_id", "col_member_id", "int"), Column("organization", "col_organization"),
    Column("name", "col_name"), Column("sessions", "col_sessions", "int"),
    Column("attended", "col_attended", "int"), Column("leave", "col_leave", "int"),
    Column("absent", "col_absent", "int"), Column("makeups_done", "col_makeups_done", "int"),
    Column("makeups_owed", "col_makeups_owed", "int"),
    Column("required_missed", "col_required_missed", "int"),
    Column("counted", "col_counted", "int"), Column("remaining", "col_remaining", "int"),
    Column("meets_target", "col_meets_eight", "bool"),
    Column("can_reach_target", "col_can_reach", "bool"),
]


def members_report(session: Session, facts: Facts, ctx: Context) -> Report:
    years = member_years(session, facts, ctx.policy)
    rows = [{"member_id": m.id, "organization": facts.orgs[m.org_id].name, "name": m.name,
             "sessions": m.sessions, "attended": m.attended, "leave": m.leave,
             "absent": m.absent, "makeups_done": m.makeups_done,
             "makeups_owed": m.makeups_owed, "required_missed": m.required_missed,
             "counted": m.counted, "remaining": m.remaining, "meets_target": m.meets_target,
             "can_reach_target": m.can_reach_target}
            for m in years.values() if m.org_id in facts.orgs]
    # Those below the bar first, the ones who can no longer reach it at the very top.
    rows.sort(key=lambda r: (r["meets_target"], r["can_reach_target"], r["counted"]))
    below = [r for r in rows if not r["meets_target"]]
    return Report("members", "report_members", {}, facts.period.text, MEMBER_COLUMNS, rows,
                  [], {"members": len(rows), "target": YEAR_TARGET, "below_target": len(below),
                       "cannot_reach": sum(1 for r in below if not r["can_reach_target"]),
                       "required_missed": sum(1 for r in rows if r["required_missed"])},
                  ["note_members_year"])


# ---- by month


TREND_COLUMNS = [
    Column("month", "col_month"), Column("due", "col_due", "int"),
    Column("held", "col_held", "int"), Column("mean_rate", "col_mean_rate", "rate"),
    Column("meeting_share", "col_meeting_share", "rate"),
    Column("complete_share", "col_complete_share", "rate"),
    Column("late_entries", "col_late_entries", "int"),
]


def trend(session: Session, facts: Facts, ctx: Context) -> Report:
    zone = facts.period.zone
    by_month: dict[str, list[SessionFacts]] = defaultdict(list)
    for study in facts.regular():
        by_month[study.starts_at.astimezone(zone).strftime("%Y-%m")].append(study)
    rows = []
    for year, month in facts.period.months():
        key = f"{year}-{month:02d}"
        past = [s for s in by_month[key] if s.started]
        held = [s for s in past if s.held]
        rated = [s for s in held if s.rate is not None]
        rows.append({"month": key, "due": len(past), "held": len(held),
                     "mean_rate": _mean(s.rate for s in rated),
                     "meeting_share": _share(sum(1 for s in rated if s.meets_target),
                                             len(rated)),
                     "complete_share": _share(sum(1 for s in past if s.complete), len(past)),
                     "late_entries": sum(s.late_entries for s in by_month[key])})
    return Report("trend", "report_trend", {}, facts.period.text, TREND_COLUMNS, rows,
                  [Chart("line", "chart_trend", "month",
                         ("mean_rate", "meeting_share", "complete_share"))], {})


# ---- the units one level down, ranked


RANKING_COLUMNS = [
    Column("rank", "col_rank", "int"), Column("unit", "col_unit"),
    Column("organizations", "col_organizations", "int"),
    Column("held_share", "col_held_share", "rate"), Column("mean_rate", "col_mean_rate", "rate"),
    Column("meeting_share", "col_meeting_share", "rate"),
    Column("complete_share", "col_complete_share", "rate"),
    Column("score", "col_score", "int"),
]


def ranking(session: Session, facts: Facts, ctx: Context) -> Report:
    """Organizations within a town, towns within the city, by a score of 100: the shares
    of sessions held, meeting the attendance target and with all five haves, equally
    weighted (the rating of catalog/reports/rating.py weighs more)."""
    by_org = _grouped(facts)
    lines = {org.id: org_line(org, by_org[org.id], facts, ctx) for org in facts.orgs.values()}
    units: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for org in facts.orgs.values():
        unit = org.town_name if facts.node.kind == Kind.CITY else org.name
        units[unit].append(lines[org.id])
    rows: list[dict[str, Any]] = []
    for unit, found in units.items():
        shares = {k: _mean(r[k] for r in found)
                  for k in ("held_share", "mean_rate", "meeting_share", "complete_share")}
        score = round(100 * fmean([shares[k] or 0.0 for k in
                                   ("held_share", "meeting_share", "complete_share")]))
        rows.append({"unit": unit, "organizations": len(found), **shares, "score": score})
    rows.sort(key=lambda r: (-r["score"], r["unit"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return Report("ranking", "report_ranking", {}, facts.period.text, RANKING_COLUMNS, rows,
                  [Chart("bar", "chart_ranking", "unit", ("score",))], {"units": len(rows)})


Builder = Callable[[Session, Facts, Context], Report]


def _rating(session: Session, facts: Facts, ctx: Context) -> Report:
    from catalog.reports.assessment import rating_report

    return rating_report(session, facts, ctx)


def _assessment(session: Session, facts: Facts, ctx: Context) -> Report:
    from catalog.reports.assessment import assessment_report

    return assessment_report(session, facts, ctx)


def _lazy(module: str, name: str) -> Builder:
    def built(session: Session, facts: Facts, ctx: Context) -> Report:
        import importlib

        found: Report = getattr(importlib.import_module(module), name)(session, facts, ctx)
        return found

    return built


BUILDERS: dict[str, Builder] = {
    "overview": overview, "sessions": sessions_report, "members": members_report,
    "trend": trend, "ranking": ranking, "rating": _rating, "assessment": _assessment,
    "must-watch": _lazy("catalog.reports.must_watch", "must_watch_report"),
    "themes": _lazy("catalog.reports.themes", "themes_report"),
    "card": _lazy("catalog.reports.cards", "card_report"),
    "cards": _lazy("catalog.reports.cards", "cards_report"),
    "flags": _lazy("catalog.reports.flags", "flags_report"),
}
NEEDS_RUBRIC = frozenset({"rating", "assessment"})


def build(session: Session, kind: str, node: OrgNode, label: str, period: Period,
          ctx: Context) -> Report:
    facts = load(session, node, period, ctx.policy, ctx.now)
    report = BUILDERS[kind](session, facts, ctx)
    report.node = node_json(node, label)
    return report
