"""The monthly report card (月报卡, issue 18.2), one per organization and month: generated
from the ledger (sessions held and their kind, themes, minutes, attendance per session,
members reached, make-ups, must-watch, five haves) plus the station's own text (学用典型
examples of learning applied, problems, needs). The station administrator confirms and
submits it: a ``report.card`` ledger row holding the text and the figures as submitted;
submitting again is a new row naming the one it supersedes. The town sees which cards
are in, late (after the due day of the next month) or missing.

Row data::

    {"org": 3, "month": "2027-03", "actor": "user:dongcun", "nonce": "…", "late": false,
     "supersedes": null, "text": {"examples": "…", "problems": "…", "needs": "…"},
     "figures": {…}}
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from catalog.db import Database
from catalog.errors import BadRequest, NotFound
from catalog.evidence.ledger import Entry, parse_at
from catalog.evidence.projections import RowsCheck
from catalog.library.themes import Theme
from catalog.org.models import OrgNode
from catalog.org.tree import Kind
from catalog.records.entries import in_force
from catalog.reports.facts import Facts, members_reached, theme_seconds
from catalog.reports.models import ReportCardRow
from catalog.reports.must_watch import must_watch_report
from catalog.reports.period import Period, month_period
from catalog.reports.table import Column, Report

CARD = "report.card"
KINDS = frozenset({CARD})
TEXT_FIELDS = ("examples", "problems", "needs")
TEXT_MAX = 5000
Write = Callable[[str, dict[str, Any]], Entry]


def data(org_id: int, month: str, *, actor: str, nonce: str, late: bool,
         supersedes: int | None, text: dict[str, str], figures: dict[str, Any]
         ) -> dict[str, Any]:
    return {"org": org_id, "month": month, "actor": actor, "nonce": nonce, "late": late,
            "supersedes": supersedes, "text": text, "figures": figures}


def values(entry: Entry) -> dict[str, Any]:
    d = entry.data
    if not isinstance(d["text"], dict) or not isinstance(d["figures"], dict):
        raise TypeError("text, figures")
    if d["supersedes"] is not None and not isinstance(d["supersedes"], int):
        raise TypeError("supersedes")
    return {"ledger": entry.ledger, "seq": entry.seq, "kind": entry.kind,
            "org_id": int(d["org"]), "month": str(d["month"]), "actor": str(d["actor"]),
            "nonce": str(d["nonce"]), "at": parse_at(entry.at), "late": bool(d["late"]),
            "supersedes_seq": d["supersedes"],
            "body": {"text": d["text"], "figures": d["figures"]}}


def project(connection: Connection, entries: list[Entry]) -> None:
    made = [values(e) for e in entries if e.kind in KINDS]
    if made:
        connection.execute(insert(ReportCardRow), made)


class CardsCheck(RowsCheck):
    """The ``report_cards`` table against the report card rows of one ledger."""

    def __init__(self) -> None:
        super().__init__(ReportCardRow.__table__, KINDS, values)


def parse_month(text: str) -> str:
    try:
        return date.fromisoformat(f"{text.strip()}-01").strftime("%Y-%m")
    except ValueError:
        raise BadRequest("bad_card_month", value=text[:20]) from None


def due_day(month: str, due_days: int) -> date:
    first = date.fromisoformat(f"{month}-01")
    after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return after.replace(day=max(1, min(due_days, 28)))


def current_card(session: Session, org_id: int, month: str) -> ReportCardRow | None:
    return in_force(session.scalars(select(ReportCardRow).where(
        ReportCardRow.org_id == org_id, ReportCardRow.month == month)
        .order_by(ReportCardRow.seq)).all())


def card_state(row: ReportCardRow | None, month: str, today: date, due_days: int) -> str:
    """in (submitted by the due day), late (after it), missing (not in, the due day
    passed), open (not in yet, still time)."""
    if row is not None:
        return "late" if row.late else "in"
    return "missing" if today > due_day(month, due_days) else "open"


# ---- the generated card


def card_figures(session: Session, facts: Facts, ctx: Any) -> dict[str, Any]:
    """The card's figures for the one organization of ``facts`` (a month)."""
    zone = facts.period.zone
    played = theme_seconds(session, facts.node, facts.period)
    reached = members_reached(session, facts.node, facts.period)
    regular = facts.regular()
    held = [s for s in regular if s.held]
    themes: dict[str, float] = {}
    for study in held:
        for theme, seconds in played.get(study.id, {}).items():
            themes[theme] = themes.get(theme, 0.0) + seconds
    owed = done = 0
    for study in regular:
        if not study.ended:
            continue
        missing = study.leave + study.absent
        made = sum(1 for sid, _ in facts.makeups if sid == study.id)
        owed += max(missing - made, 0)
        done += made
    musts = must_watch_report(session, facts, ctx).rows
    due = [s for s in regular if s.started]
    return {
        "sessions": [{"id": s.id, "date": s.starts_at.astimezone(zone).strftime("%Y-%m-%d"),
                      "kind": s.kind, "title": s.title, "held": s.held,
                      "expected": s.expected, "attended": s.attended, "rate": s.rate,
                      "minutes_played": s.minutes_played, "haves": s.haves()}
                     for s in regular],
        "held": len(held), "kinds_held": sorted({s.kind for s in held}),
        "themes": {t: round(v / 60, 1) for t, v in sorted(themes.items())},
        "themes_covered": sum(1 for t in themes if t != Theme.UNCLASSIFIED),
        "minutes_played": round(sum(s.seconds_played for s in held) / 60, 1),
        "members_reached": sum(reached.values()),
        "members": sum(o.members for o in facts.orgs.values()),
        "makeups_owed": owed, "makeups_done": done,
        "must_watch_done": sum(1 for r in musts if r["state"] in ("done", "done_late")),
        "must_watch_due": len(musts),
        "five_haves_complete": sum(1 for s in due if s.complete), "due": len(due),
    }


CARD_COLUMNS = [
    Column("date", "col_date", "date"), Column("kind", "col_kind"),
    Column("title", "col_title"), Column("held", "col_held", "bool"),
    Column("expected", "col_expected", "int"), Column("attended", "col_attended", "int"),
    Column("rate", "col_rate", "rate"), Column("minutes_played", "col_minutes_played",
                                               "minutes"),
    Column("complete", "col_five_haves", "bool"),
]


def card_report(session: Session, facts: Facts, ctx: Any) -> Report:
    """``card`` for an organization and a month: the generated card with its submission."""
    month = facts.period.first.strftime("%Y-%m")
    whole = month_period(facts.period.first.year, facts.period.first.month, facts.period.zone)
    if facts.node.kind != Kind.ORGANIZATION or (whole.first, whole.last) != (
            facts.period.first, facts.period.last):
        raise BadRequest("card_needs_org_month", name=facts.node.name)
    figures = card_figures(session, facts, ctx)
    submitted = current_card(session, facts.node.id, month)
    today = facts.now.astimezone(facts.period.zone).date()
    rows = [{**{k: s[k] for k in ("date", "kind", "title", "held", "expected", "attended",
                                  "rate", "minutes_played")},
             "session_id": s["id"], "complete": all(v == "done" for v in s["haves"].values())}
            for s in figures["sessions"]]
    summary = {k: figures[k] for k in ("held", "minutes_played", "themes_covered",
                                       "members_reached", "members", "makeups_owed",
                                       "makeups_done", "must_watch_done", "must_watch_due",
                                       "five_haves_complete", "due")}
    summary["card_state"] = card_state(submitted, month, today, ctx.card_due_days)
    report = Report("card", "report_card", {}, month, CARD_COLUMNS, rows, [], summary)
    report.extra = {"month": month, "themes": figures["themes"],
                    "kinds_held": figures["kinds_held"],
                    "due_day": due_day(month, ctx.card_due_days).isoformat(),
                    "submitted": None if submitted is None else {
                        "seq": submitted.seq, "at": submitted.at.isoformat(),
                        "actor": submitted.actor, "late": submitted.late,
                        "text": submitted.body.get("text", {}),
                        "supersedes": submitted.supersedes_seq}}
    return report


CARDS_COLUMNS = [Column("town", "col_town"), Column("organization", "col_organization"),
                 Column("month", "col_month"), Column("card_state", "col_card_state"),
                 Column("submitted_at", "col_submitted_at", "date"),
                 Column("actor", "col_actor")]


def cards_report(session: Session, facts: Facts, ctx: Any) -> Report:
    """``cards``: which cards of each month of the period are in, late or missing."""
    zone = facts.period.zone
    today = facts.now.astimezone(zone).date()
    months = [f"{y}-{m:02d}" for y, m in facts.period.months()
              if date(y, m, 1) <= today]
    found = session.scalars(select(ReportCardRow).where(
        ReportCardRow.org_id.in_(list(facts.orgs)), ReportCardRow.month.in_(months))
        .order_by(ReportCardRow.seq)).all()
    superseded = {r.supersedes_seq for r in found if r.supersedes_seq is not None}
    latest = {(r.org_id, r.month): r for r in found if r.seq not in superseded}
    rows = []
    for month in months:
        for org in facts.orgs.values():
            row = latest.get((org.id, month))
            rows.append({"org_id": org.id, "town": org.town_name, "organization": org.name,
                         "month": month,
                         "card_state": card_state(row, month, today, ctx.card_due_days),
                         "submitted_at": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                         if row else None, "actor": row.actor if row else ""})
    states = {s: sum(1 for r in rows if r["card_state"] == s)
              for s in ("in", "late", "missing", "open")}
    return Report("cards", "report_cards", {}, facts.period.text, CARDS_COLUMNS, rows, [],
                  states)


class ReportCards:
    """Submitting cards: one at a time per process, a retried request (same nonce)
    answered with its first row."""

    def __init__(self, db: Database, zone: ZoneInfo, due_days: int, write: Write) -> None:
        self.db = db
        self.zone = zone
        self.due_days = due_days
        self.write = write
        self._lock = threading.Lock()

    def submit(self, org_id: int, month: str, text: dict[str, Any], actor: str, nonce: str,
               figures_of: Callable[[Session, OrgNode, Period], dict[str, Any]],
               now: datetime) -> tuple[ReportCardRow | Entry, bool]:
        month = parse_month(month)
        body = {}
        for name in TEXT_FIELDS:
            value = text.get(name, "")
            if not isinstance(value, str):
                raise BadRequest("bad_card_text", field=name)
            if len(value) > TEXT_MAX:
                raise BadRequest("card_text_too_long", field=name, max=TEXT_MAX)
            body[name] = value.strip()
        if len(nonce) > 64:
            raise BadRequest("bad_nonce")
        period = month_period(int(month[:4]), int(month[5:]), self.zone)
        if period.start > now:
            raise BadRequest("card_month_ahead", month=month)
        with self._lock:
            with self.db.session() as session:
                home = session.get(OrgNode, org_id)
                if home is None or home.kind != Kind.ORGANIZATION:
                    raise NotFound("node_not_found", node_id=org_id)
                seen = nonce and session.scalars(select(ReportCardRow).where(
                    ReportCardRow.org_id == org_id, ReportCardRow.nonce == nonce)).first()
                if seen:
                    return seen, False
                before = current_card(session, org_id, month)
                figures = figures_of(session, home, period)
            late = now.astimezone(self.zone).date() > due_day(month, self.due_days)
            entry = self.write(CARD, data(org_id, month, actor=actor, nonce=nonce, late=late,
                                          supersedes=before.seq if before else None,
                                          text=body, figures=figures))
            return entry, True
