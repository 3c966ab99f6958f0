"""Must-watch completion (issue 18.1): per item sent down and per organization it applies
to, done (played at one of the organization's stations between its issue and its
deadline), done late, overdue (the deadline passed, not played) or pending."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.evidence.models import Playback
from catalog.library.models import Item
from catalog.org.models import OrgNode
from catalog.planning.models import MustWatch
from catalog.reports.facts import Facts
from catalog.reports.table import Column, Report

COLUMNS = [Column("item_id", "col_item_id", "int"), Column("item", "col_must_item"),
           Column("deadline", "col_deadline", "date"), Column("town", "col_town"),
           Column("organization", "col_organization"), Column("state", "col_state"),
           Column("played_on", "col_played_on", "date")]


def must_watch_report(session: Session, facts: Facts, ctx: Any) -> Report:
    zone = facts.period.zone
    musts = session.execute(
        select(MustWatch, Item.title).join(Item, Item.id == MustWatch.item_id)
        .where(MustWatch.deadline >= facts.period.first,
               MustWatch.issued_on < facts.period.last)
        .order_by(MustWatch.deadline, MustWatch.id)).all()
    paths = dict(session.execute(select(OrgNode.id, OrgNode.path).where(
        OrgNode.id.in_({n for must, _ in musts for n in must.node_ids}))).all())
    station_org = {label: org.id for org in facts.orgs.values() for label in org.stations}
    today = facts.now.astimezone(zone).date()
    rows: list[dict[str, Any]] = []
    for must, title in musts:
        scopes = [paths[n] for n in must.node_ids if n in paths]
        since = datetime.combine(must.issued_on, time(), zone)
        first_play: dict[int, datetime] = {}
        for station, at in session.execute(
                select(Playback.station, func.min(Playback.opened_at))
                .where(Playback.item_id == must.item_id, Playback.opened_at >= since,
                       Playback.station.in_(list(station_org)))
                .group_by(Playback.station)):
            org_id = station_org[station]
            first_play[org_id] = min(at, first_play.get(org_id, at))
        end = datetime.combine(must.deadline + timedelta(days=1), time(), zone)
        for org in facts.orgs.values():
            if not any(org.path.startswith(p) for p in scopes):
                continue
            played = first_play.get(org.id)
            state = ("done" if played is not None and played < end else
                     "done_late" if played is not None else
                     "overdue" if today > must.deadline else "pending")
            rows.append({"must_id": must.id, "item_id": must.item_id, "item": title,
                         "deadline": must.deadline.isoformat(), "town": org.town_name,
                         "organization": org.name, "org_id": org.id, "state": state,
                         "played_on": played.astimezone(zone).date().isoformat()
                         if played else None})
    states = Counter(r["state"] for r in rows)
    return Report("must-watch", "report_must_watch", {}, facts.period.text, COLUMNS, rows, [],
                  {"done": states["done"], "done_late": states["done_late"],
                   "overdue": states["overdue"], "pending": states["pending"]})
