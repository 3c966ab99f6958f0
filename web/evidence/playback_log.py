"""Playback evidence on the web side: the stream observer that feeds the tracker, the
lines on the server's terminal, and the playback log page with its JSON and CSV twins."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import org, tables
from catalog.errors import BadRequest
from catalog.evidence.ledger import Entry, parse_at
from catalog.evidence.models import Playback as PlaybackRow
from catalog.evidence.playbacks import OPEN, Playback, PlaybackTracker
from catalog.terminal import json_line, printable
from web.auth import principal_of
from web.i18n import pick_lang
from web.library.streaming import StreamInfo
from web.params import MAX_ID, int_param, optional_int_param
from web.views import render


class PlaybackObserver:
    """Streams as the responder reports them → playbacks (catalog/evidence/playbacks.py)."""

    def __init__(self, tracker: PlaybackTracker) -> None:
        self.tracker = tracker

    def opened(self, stream: StreamInfo) -> None:
        stream.extra["playback"] = self.tracker.started(
            stream.client, stream.user_agent, stream.item_id, stream.title, stream.method,
            stream.member, stream.station, stream.session, stream.view)

    def progressed(self, stream: StreamInfo, first: int, last: int) -> None:
        playback = stream.extra.get("playback")
        if playback is None:
            return
        start = end = 0.0
        if stream.span is not None and stream.size:
            begin, finish = stream.span
            scale = (finish - begin) / stream.size
            start, end = begin + first * scale, begin + (last + 1) * scale
        self.tracker.delivered(playback, start, end, last - first + 1)

    def closed(self, stream: StreamInfo) -> None:
        playback = stream.extra.get("playback")
        if playback is not None:
            self.tracker.finished(playback)


class TerminalLines:
    """One line per playback open and close on the server's standard output, e.g.

    ``PLAY  2027-03-10 09:12:03 station=XC-012 item=123 《水稻种植技术》 direct``
    ``client=10.0.0.23 ledger=#4512`` (on one line)
    """

    def __init__(self, log_format: str, timezone: str, out: TextIO | None = None) -> None:
        self.json = log_format == "json"
        self.zone = ZoneInfo(timezone)
        self.out = out

    def __call__(self, kind: str, playback: Playback, entry: Entry) -> None:
        out = self.out or sys.stdout
        data = entry.data
        if self.json:
            out.write(json_line({"event": kind, "seq": entry.seq, "at": entry.at,
                                 "ledger": entry.ledger, **data}) + "\n")
        else:
            opening = kind == OPEN
            moment = parse_at(entry.at).astimezone(self.zone)
            seconds = "" if opening else f" seconds={data['seconds'] or 0:.0f}"
            if not opening and data.get("failure"):
                seconds += f" failed={printable(data['failure'])}"
            out.write(f"{'PLAY ' if opening else 'END  '} {moment:%Y-%m-%d %H:%M:%S} "
                      f"station={printable(playback.station)} item={playback.item_id} "
                      f"《{printable(playback.title)}》 {printable(playback.method)} "
                      f"client={printable(playback.client)}"
                      f"{seconds} ledger=#{entry.seq}\n")
        out.flush()


# --- the playback log ----------------------------------------------------------------------

PER_PAGE = 100


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest("bad_date", name=name, value=text[:40]) from exc


def _text(request: Request, name: str, limit: int = 100) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > limit:
        raise BadRequest("bad_filter", name=name, limit=limit)
    return value


def _query(request: Request) -> dict[str, Any]:
    params = request.query_params
    return {"from": _day(params.get("from"), "from"), "to": _day(params.get("to"), "to"),
            "item": optional_int_param(request, "item", 1, MAX_ID),
            "session": optional_int_param(request, "session", 1, MAX_ID),
            "station": _text(request, "station", 64), "member": _text(request, "member", 64),
            "title": _text(request, "title"),
            "page": int_param(request, "page", 1, 1, 10**6)}


def _like(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _stations_in_scope(request: Request) -> list[str] | None:
    """The station labels below a town's or organization's staff; None: the whole city
    (playbacks without a station token carry the server's own station setting)."""
    node = principal_of(request).node
    if node is None or node.parent_id is None:
        return None
    with request.app.state.db.session() as session:
        return [org.station_label(n) for n in org.subtree(session, node, org.Kind.STATION)]


def _load(request: Request, query: dict[str, Any], everything: bool = False
          ) -> tuple[int, list[dict[str, Any]]]:
    settings = request.app.state.settings
    zone = ZoneInfo(settings.timezone)
    conditions = [PlaybackRow.ledger == settings.station]
    stations = _stations_in_scope(request)
    if stations is not None:
        conditions.append(PlaybackRow.station.in_(stations))
    if query["from"]:
        conditions.append(PlaybackRow.opened_at >= datetime.combine(query["from"], time(),
                                                                    zone))
    if query["to"]:
        conditions.append(PlaybackRow.opened_at < datetime.combine(
            query["to"] + timedelta(days=1), time(), zone))
    if query["item"]:
        conditions.append(PlaybackRow.item_id == query["item"])
    if query["session"]:
        conditions.append(PlaybackRow.session == str(query["session"]))
    if query["station"]:
        conditions.append(PlaybackRow.station == query["station"])
    if query["member"]:
        conditions.append(PlaybackRow.member == "user:" + query["member"].removeprefix("user:"))
    if query["title"]:
        conditions.append(PlaybackRow.title.like(_like(query["title"]), escape="\\"))
    with request.app.state.db.session() as session:
        total = session.scalar(select(func.count()).select_from(PlaybackRow).where(*conditions))
        statement = (select(PlaybackRow).where(*conditions)
                     .order_by(PlaybackRow.open_seq.desc()))
        if not everything:
            statement = statement.limit(PER_PAGE).offset((query["page"] - 1) * PER_PAGE)
        found = [_row_json(p, zone) for p in session.scalars(statement)]
    return total or 0, found


def _row_json(p: PlaybackRow, zone: ZoneInfo) -> dict[str, Any]:
    return {"seq": p.open_seq, "close_seq": p.close_seq, "station": p.station,
            "member": p.member.removeprefix("user:") if p.member else None,
            "session": int(p.session) if p.session else None, "item_id": p.item_id,
            "title": p.title, "method": p.method, "client": p.client,
            "opened_at": p.opened_at.astimezone(zone).isoformat(timespec="seconds"),
            "closed_at": (p.closed_at.astimezone(zone).isoformat(timespec="seconds")
                          if p.closed_at else None),
            "seconds": round(p.seconds), "bytes_sent": p.bytes_sent,
            "ended_by": p.ended_by or None, "failure": p.failure or None}


async def api_playbacks(request: Request) -> Response:
    query = _query(request)
    if request.query_params.get("format") == "csv":
        _, found = await run_in_threadpool(_load, request, query, True)
        return _csv(found, pick_lang(request))
    total, found = await run_in_threadpool(_load, request, query)
    return JSONResponse({"total": total, "page": query["page"], "per_page": PER_PAGE,
                         "playbacks": found})


CSV_HEADERS = {
    "zh": ["台账序号", "站点", "活动", "党员账号", "课件编号", "课件", "方式", "终端", "开始",
           "结束", "收看秒数", "结束原因", "播放失败原因"],
    "en": ["seq", "station", "session", "member", "item", "title", "method", "client",
           "opened", "closed", "watched seconds", "ended by", "failure"],
}


def _csv(found: list[dict[str, Any]], lang: str) -> Response:
    rows = [[p["seq"], p["station"], p["session"], p["member"], p["item_id"], p["title"],
             p["method"], p["client"], p["opened_at"], p["closed_at"], p["seconds"],
             p["ended_by"], p["failure"]] for p in found]
    # Titles come from file names and sidecars: formula-safe, with Excel's BOM.
    return Response(tables.to_csv([CSV_HEADERS[lang], *rows]),
                    media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="playbacks.csv"'})


async def playbacks_page(request: Request) -> Response:
    query = _query(request)
    total, found = await run_in_threadpool(_load, request, query)
    kept = request.url.remove_query_params(["page", "lang", "format"]).query
    return render(request, "playbacks.html", playbacks=found, total=total, query=query,
                  per_page=PER_PAGE, station=request.app.state.settings.station,
                  csv_query=kept)
