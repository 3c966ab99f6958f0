"""A session's playlist for VLC (M3U8, XSPF) with an export token of its own in every
URL (catalog/planning/exports.py), a town's sessions as an iCalendar feed, and the station's TV
mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from catalog import org, planning
from catalog.errors import NotFound
from catalog.org.models import OrgNode
from catalog.planning import exports
from catalog.planning.models import StudySession
from catalog.schema import utcnow
from catalog.terminal import printable
from web.auth import principal_of, set_station_cookie
from web.evidence.ledger_rows import record
from web.i18n import pick_lang
from web.org.org_views import public_base
from web.planning.forms import zone_of
from web.planning.planning_views import session_json
from web.planning.tv_views import open_themes, server_clock, station_token_of, tv_url
from web.views import render


def _stream_urls(request: Request, study: StudySession, items: list[dict[str, object]],
                 token: str | None) -> list[str]:
    query = {"session": str(study.id)} | ({"export": token} if token else {})
    base = public_base(request)
    return [f"{base}{request.app.url_path_for('stream', item_id=item['id'])}?"
            f"{urlencode(query)}" for item in items]


def _issue(request: Request, fmt: str) -> tuple[dict[str, object], str | None]:
    """The session's JSON and, for one who runs its station, a new export token, whose
    download is a ledger row before the token leaves the server (catalog/planning/exports.py)."""
    principal = principal_of(request)
    zone = zone_of(request)
    with request.app.state.db.transaction() as session:
        study = planning.get_session(session, request.path_params["session_id"])
        station = session.get(OrgNode, study.station_id) if study.station_id else None
        data = session_json(session, study, request)
        items = data["items"]
        assert isinstance(items, list)
        issued = None
        # A HEAD acts on nothing; a cancelled session plays nothing.
        if station is not None and request.method == "GET" and study.cancelled_at is None:
            who = principal.label or f"terminal:{org.station_label(station)}"
            issued = exports.issue(session, study, station, who, principal.role, fmt)
        if issued is None:
            return data, None
        token, row = issued
        row_data = exports.ledger_data(row, study, org.station_label(station),
                                       [int(i["id"]) for i in items], zone)
    # The token never leaves the server before its row is written, so a refused row
    # leaves a token no one holds.
    record(request, exports.ISSUED, row_data)
    return data, token


def _load(request: Request, fmt: str) -> tuple[dict[str, object], list[str]]:
    data, token = _issue(request, fmt)
    items = data["items"]
    assert isinstance(items, list)
    with request.app.state.db.session() as session:
        study = planning.get_session(session, request.path_params["session_id"])
    return data, _stream_urls(request, study, items, token)


def _attachment(name: str) -> dict[str, str]:
    from urllib.parse import quote

    return {"content-disposition": f"attachment; filename=session.{name.rsplit('.', 1)[1]}; "
                                   f"filename*=UTF-8''{quote(name)}"}


def session_m3u8(request: Request) -> Response:
    data, urls = _load(request, "m3u8")
    items = data["items"]
    assert isinstance(items, list)
    # A newline in a title would start a line of its own: a URL the player would fetch.
    lines = ["#EXTM3U", f"#PLAYLIST:{printable(data['title'])}"]
    for item, url in zip(items, urls, strict=True):
        seconds = int(item["duration"] or -1)
        lines += [f"#EXTINF:{seconds},{printable(item['title'])}", url]
    return Response("\n".join(lines) + "\n", media_type="audio/x-mpegurl; charset=utf-8",
                    headers=_attachment(f"{data['title']}.m3u8"))


def session_xspf(request: Request) -> Response:
    data, urls = _load(request, "xspf")
    items = data["items"]
    assert isinstance(items, list)
    tracks = "".join(
        f"<track><location>{escape(url)}</location><title>{escape(str(item['title']))}"
        f"</title>" + (f"<duration>{int(float(item['duration']) * 1000)}</duration>"
                       if item["duration"] else "") + "</track>"
        for item, url in zip(items, urls, strict=True))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<playlist version="1" xmlns="http://xspf.org/ns/0/">'
            f"<title>{escape(str(data['title']))}</title><trackList>{tracks}</trackList>"
            "</playlist>\n")
    return Response(body, media_type="application/xspf+xml",
                    headers=_attachment(f"{data['title']}.xspf"))


def _ical_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r", "").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """RFC 5545 lines are at most 75 octets; longer ones continue after CRLF and a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > 75:
            out.append(current.decode())
            current = b" "
        current += encoded
    out.append(current.decode())
    return "\r\n".join(out)


def org_ical(request: Request) -> Response:
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    host = request.url.hostname or "yuanjiao"
    with request.app.state.db.session() as session:
        node = org.get_node(session, request.path_params["node_id"])
        found = planning.sessions_under(session, node, utcnow() - timedelta(days=400))
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//yuanjiao//study sessions//ZH",
                 "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{_ical_text(node.name)} 主题党日"]
        for study, home in found:
            page = public_base(request) + request.app.url_path_for(
                "session_page", session_id=study.id)
            lines += ["BEGIN:VEVENT", f"UID:session-{study.id}@{host}", f"DTSTAMP:{stamp}",
                      f"DTSTART:{study.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
                      f"DTEND:{study.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
                      f"SUMMARY:{_ical_text(f'{home.name} · {study.title}')}",
                      f"LOCATION:{_ical_text(home.name)}",
                      f"DESCRIPTION:{_ical_text(study.notice or '')}", f"URL:{page}",
                      "END:VEVENT"]
        lines.append("END:VCALENDAR")
    return Response("\r\n".join(_fold(line) for line in lines) + "\r\n",
                    media_type="text/calendar; charset=utf-8")


def station_tv(request: Request) -> Response:
    """Today's session at this station, full screen, for a TV and its remote control."""
    zone = zone_of(request)
    now = datetime.now(zone)
    with request.app.state.db.session() as session:
        station = org.get_node(session, request.path_params["node_id"])
        if station.kind != org.Kind.STATION:
            raise NotFound("node_not_found", node_id=station.id)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        study = session.scalars(select(StudySession).where(
            StudySession.station_id == station.id, StudySession.ends_at >= day_start,
            StudySession.cancelled_at.is_(None),
            StudySession.starts_at < day_start + timedelta(days=31))
            .order_by(StudySession.starts_at)).first()
        data = session_json(session, study, request) if study else None
        today = study is not None and study.starts_at.astimezone(zone).date() == now.date()
        # A day without a session: the catalog by theme for open viewing (issue 14.6).
        themes = [] if today else open_themes(session, pick_lang(request))
    token = station_token_of(request)
    response = render(request, "tv.html", station=station, study=data, token=token,
                      today=today, themes=themes, server_clock=server_clock(request),
                      # The attendance area's sign-in screen, by its route's name.
                      signin_url=tv_url(request, "station_signin", station.id),
                      theme_url=lambda value: tv_url(request, "station_open", station.id,
                                                     theme=value))
    if token:
        set_station_cookie(response, request, token)
    return response
