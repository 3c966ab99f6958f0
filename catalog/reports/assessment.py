"""The rating report and the annual assessment (issue 18.3, 18.4).

The assessment says per organization whether it meets the policy and, for each rule it
fails, the evidence (sessions, members, months) behind it; an organization that fails
any rule, or whose rating is lagging, is flagged 不得推荐为先进 (not to be recommended as
an advanced collective, its secretary not as an advanced individual). A town meets the
policy when none of its organizations is lagging; it lists the ones that are."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.reports.facts import Facts, SessionFacts
from catalog.reports.members import member_years
from catalog.reports.rating import Rating, Rubric, past_months, rate
from catalog.reports.table import Chart, Column, Report

RULES = ("monthly_day", "half_day", "attendance", "five_haves", "members_eight",
         "required_made_up", "no_veto")


def rating_report(session: Session, facts: Facts, ctx: Any) -> Report:
    rubric: Rubric = ctx.rubric
    ratings = rate(session, facts, rubric, ctx.policy)
    columns = [Column("town", "col_town"), Column("organization", "col_organization"),
               *[Column(f"item_{i.code}", "col_item", "int", (f"{i.label_zh}（{i.weight:g}）",
                                                             f"{i.label_en} ({i.weight:g})"))
                 for i in rubric.items],
               Column("total", "col_total", "int"), Column("vetoes", "col_vetoes"),
               Column("grade", "col_grade")]
    rows = [_rating_row(r, rubric) for r in ratings]
    grades: dict[str, int] = defaultdict(int)
    for row in rows:
        grades[row["grade"]] += 1
    return Report("rating", "report_rating", {}, facts.period.text, columns, rows,
                  [Chart("bar", "chart_rating", "organization", ("total",))],
                  {"advanced": grades["advanced"], "ordinary": grades["ordinary"],
                   "lagging": grades["lagging"], "rubric": Path(rubric.source).name},
                  ["note_rating"])


def _rating_row(found: Rating, rubric: Rubric) -> dict[str, Any]:
    return {"org_id": found.org.id, "town": found.org.town_name,
            "organization": found.org.name,
            **{f"item_{code}": points for code, points in found.points.items()},
            "total": found.total,
            "vetoes": "；".join(f"{v.label_zh}（{'、'.join(e)}）" if e else v.label_zh
                               for v, e in found.vetoes),
            "veto_codes": [v.code for v, _ in found.vetoes],
            "grade": found.grade}


def _failures(facts: Facts, sessions: list[SessionFacts], rating: Rating, years: list[Any],
              ctx: Any) -> dict[str, list[Any]]:
    """Rule → its evidence (empty list: the rule holds)."""
    zone = facts.period.zone
    held = [s for s in sessions if s.held]
    held_months = {(s.starts_at.astimezone(zone).year, s.starts_at.astimezone(zone).month)
                   for s in held}
    due = [s for s in sessions if s.ended]
    return {
        "monthly_day": [f"{y}-{m:02d}" for y, m in past_months(facts, complete=True)
                        if (y, m) not in held_months],
        "half_day": [s.id for s in held if not s.half_day(ctx.min_minutes)],
        "attendance": [s.id for s in held if s.meets_target is False],
        "five_haves": [s.id for s in due if not s.complete],
        "members_eight": [m.id for m in years if not m.meets_target
                          and not m.can_reach_target],
        "required_made_up": [m.id for m in years if m.required_missed],
        "no_veto": [v.code for v, _ in rating.vetoes],
    }


ASSESSMENT_COLUMNS = [
    Column("town", "col_town"), Column("organization", "col_organization"),
    Column("meets_policy", "col_meets_policy", "bool"), Column("grade", "col_grade"),
    Column("total", "col_total", "int"), Column("failed", "col_failed_rules"),
    Column("not_recommended", "col_not_recommended", "bool"),
]


def assessment_report(session: Session, facts: Facts, ctx: Any) -> Report:
    rubric: Rubric = ctx.rubric
    years = member_years(session, facts, ctx.policy)
    ratings = {r.org.id: r for r in rate(session, facts, rubric, ctx.policy, years=years)}
    by_org_years: dict[int, list[Any]] = defaultdict(list)
    for year in years.values():
        by_org_years[year.org_id].append(year)
    by_org: dict[int, list[SessionFacts]] = defaultdict(list)
    for study in facts.regular():
        by_org[study.org_id].append(study)
    rows: list[dict[str, Any]] = []
    for org in facts.orgs.values():
        rating = ratings[org.id]
        failures = _failures(facts, by_org[org.id], rating, by_org_years[org.id], ctx)
        failed = [rule for rule in RULES if failures[rule]]
        meets = not failed
        rows.append({"org_id": org.id, "town_id": org.town_id, "town": org.town_name,
                     "organization": org.name, "meets_policy": meets, "grade": rating.grade,
                     "total": rating.total, "failed": "、".join(failed),
                     "failed_rules": failed, "evidence": {r: failures[r] for r in failed},
                     "not_recommended": not meets or rating.grade == "lagging"})
    towns: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        towns[row["town"]].append(row)
    summary = {"organizations": len(rows),
               "meeting_policy": sum(1 for r in rows if r["meets_policy"]),
               "not_recommended": sum(1 for r in rows if r["not_recommended"])}
    report = Report("assessment", "report_assessment", {}, facts.period.text,
                    ASSESSMENT_COLUMNS, rows, [], summary, ["note_assessment"])
    names = {m.id: m.name for m in years.values()}
    report.extra["members"] = {str(i): names.get(i, str(i)) for row in rows
                               for rule in ("members_eight", "required_made_up")
                               for i in row["evidence"].get(rule, [])}
    report.extra["vetoes"] = {v.code: [v.label_zh, v.label_en] for v in rubric.vetoes}
    report.extra["towns"] = [
        {"town": town, "meets_policy": all(r["grade"] != "lagging" for r in found),
         "lagging": [r["organization"] for r in found if r["grade"] == "lagging"]}
        for town, found in towns.items()]
    return report
