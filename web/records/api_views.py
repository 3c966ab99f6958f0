"""The session record's JSON routes (issue 17): minutes, feedback, replies, five haves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from catalog import records
from catalog.attendance import Policy
from catalog.errors import BadRequest, Forbidden, NotFound
from catalog.evidence.ledger import Entry
from catalog.messages import message
from catalog.org.models import OrgNode
from catalog.planning.models import StudySession
from catalog.records.models import RecordRow
from web.attendance.api_views import parse_at_event
from web.auth import principal_of
from web.i18n import pick_lang
from web.params import json_int
from web.records.service import records_of
from web.views import json_object


def _iso(moment: Any, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def row_json(row: RecordRow, zone: ZoneInfo, superseded: set[int]) -> dict[str, Any]:
    return {"seq": row.seq, "kind": row.kind, "actor": row.actor, "at": _iso(row.at, zone),
            "at_event": _iso(row.at_event, zone), "late_entry": row.late_entry,
            "supersedes": row.supersedes_seq, "replies_to": row.replies_to,
            "current": row.seq not in superseded, **row.body}


def session_record(session: Any, study: StudySession, zone: ZoneInfo) -> dict[str, Any]:
    rows = list(session.scalars(select(RecordRow).where(RecordRow.session_id == study.id)
                                .order_by(RecordRow.seq)))
    superseded = {r.supersedes_seq for r in rows if r.supersedes_seq is not None}
    return {"minutes": [row_json(r, zone, superseded) for r in rows
                        if r.kind == records.MINUTES],
            "feedback": [row_json(r, zone, superseded) for r in rows
                         if r.kind == records.FEEDBACK],
            "replies": [row_json(r, zone, superseded) for r in rows
                        if r.kind == records.REPLY],
            "photos": [row_json(r, zone, superseded) for r in rows
                       if r.kind == records.PHOTO]}


def haves_json(haves: list[records.Have], zone: ZoneInfo, lang: str) -> list[dict[str, Any]]:
    return [{"code": h.code, "label": message(f"have_{h.code}", lang), "state": h.state,
             "state_label": message(f"have_state_{h.state}", lang), "at": _iso(h.at, zone),
             **h.detail} for h in haves]


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def api_five_haves(request: Request) -> Response:
    policy = Policy.of(request.app.state.settings)
    with request.app.state.db.session() as session:
        study = session.get_one(StudySession, request.path_params["session_id"])
        haves = records.five_haves(session, study, policy)
    done = sum(1 for h in haves if h.state == "done")
    return JSONResponse({"session_id": study.id, "done": done, "of": len(haves),
                         "haves": haves_json(haves, _zone(request), pick_lang(request))})


async def api_minutes(request: Request) -> Response:
    body = await json_object(request) if request.method == "POST" else None
    return await run_in_threadpool(_entries, request, body, records.MINUTES)


async def api_feedback(request: Request) -> Response:
    body = await json_object(request) if request.method == "POST" else None
    return await run_in_threadpool(_entries, request, body, records.FEEDBACK)


def _entries(request: Request, body: dict[str, Any] | None, kind: str) -> Response:
    session_id = request.path_params["session_id"]
    zone = _zone(request)
    if body is not None:
        service = records_of(request)
        actor = principal_of(request).label
        nonce = str(body.get("nonce") or "")[:65]
        at_event = parse_at_event(body.get("at_event"))
        if kind == records.MINUTES:
            topics, speakers = body.get("topics") or [], body.get("speakers") or []
            if not isinstance(topics, list) or not isinstance(speakers, list):
                raise BadRequest("bad_field", field="topics" if not isinstance(
                    topics, list) else "speakers")
            row, written = service.minutes(
                session_id, topics=[str(t) for t in topics],
                speakers=[json_int(s, "speakers", 1, 2**31 - 1) for s in speakers],
                summary=body.get("summary", ""), decisions=body.get("decisions", ""),
                actor=actor, nonce=nonce, at_event=at_event)
        else:
            row, written = service.feedback(session_id, body, actor, nonce, at_event)
        seq = row.seq
    with request.app.state.db.session() as session:
        study = session.get_one(StudySession, session_id)
        found = session_record(session, study, zone)
    name = "minutes" if kind == records.MINUTES else "feedback"
    answer: dict[str, Any] = {"session_id": session_id, name: found[name]}
    if kind == records.FEEDBACK:
        answer["replies"] = found["replies"]
    if body is None:
        return JSONResponse(answer)
    answer["seq"] = seq
    return JSONResponse(answer, status_code=201 if written else 200)


async def api_feedback_reply(request: Request) -> Response:
    body = await json_object(request)
    return await run_in_threadpool(_reply, request, body)


def _reply(request: Request, body: dict[str, Any]) -> Response:
    """A town organizer's (or the city's) reply to a station's feedback: a row too."""
    seq = request.path_params["seq"]
    text = body.get("text", "")
    if not isinstance(text, str):
        raise BadRequest("bad_field", field="text")
    row, written = reply_checked(request, seq, text, str(body.get("nonce") or "")[:65])
    return JSONResponse({"seq": row.seq, "replies_to": seq},
                        status_code=201 if written else 200)


def reply_checked(request: Request, seq: int, text: str, nonce: str
                  ) -> tuple[RecordRow | Entry, bool]:
    """The reply, by one who may edit the feedback's organization (else it is not found,
    or forbidden for one who only sees it)."""
    principal = principal_of(request)
    ledger = request.app.state.settings.station
    with request.app.state.db.session() as session:
        sent = session.get(RecordRow, (ledger, seq))
        study = session.get(StudySession, sent.session_id) if sent else None
        home = session.get(OrgNode, study.org_id) if study else None
        if sent is None or sent.kind != records.FEEDBACK or home is None \
                or not principal.sees(home):
            raise NotFound("feedback_not_found", seq=seq)
        if not principal.edits(home):
            raise Forbidden("forbidden")
    return records_of(request).reply(seq, text, principal.label, ledger, nonce)




async def api_photos(request: Request) -> Response:
    """POST: an evidence photo (JPEG, PNG or HEIC ≤ 15 MB, form field ``file``): its
    EXIF time becomes the row's ``at_event``; what is served is re-encoded without any
    metadata. GET: the session's photos."""
    session_id = request.path_params["session_id"]
    if request.method == "GET":
        return await run_in_threadpool(_photo_list, request, session_id)
    from starlette.datastructures import UploadFile

    from media.photos import MAX_BYTES

    form = await request.form(max_files=1, max_part_size=1 << 20)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequest("photo_bad_type")
    try:
        data = await upload.read(MAX_BYTES + 1)
    finally:
        await upload.close()
    nonce = str(form.get("nonce") or "")[:65]
    purpose = str(form.get("purpose") or "session")
    if purpose not in ("session", "sheet"):
        raise BadRequest("bad_field", field="purpose")
    return await run_in_threadpool(photo_add, request, session_id, data, nonce, purpose)


def photo_add(request: Request, session_id: int, data: bytes, nonce: str, purpose: str
               ) -> Response:
    from catalog.records import photos
    from media.photos import PhotoRefused, clean_photo

    zone = _zone(request)
    try:
        photo = clean_photo(data, zone)
    except PhotoRefused as refused:
        raise BadRequest(refused.reason) from None
    digests = photos.keep(request.app.state.settings.data_dir, data, photo.served,
                          photo.thumb)
    body = {**digests, "content_type": photo.content_type, "size": len(data),
            "width": photo.width, "height": photo.height, "purpose": purpose,
            "exif_time": photo.taken_at is not None}
    taken = photo.taken_at
    if taken is not None and taken > datetime.now(zone) + timedelta(minutes=1):
        taken = None  # a camera clock in the future claims nothing
        body["exif_time"] = False
    row, written = records_of(request).photo(session_id, body, principal_of(request).label,
                                             nonce, taken)
    return JSONResponse({"seq": row.seq, **body}, status_code=201 if written else 200)


def _photo_list(request: Request, session_id: int) -> Response:
    zone = _zone(request)
    with request.app.state.db.session() as session:
        rows = session.scalars(select(RecordRow).where(
            RecordRow.session_id == session_id, RecordRow.kind == records.PHOTO)
            .order_by(RecordRow.seq)).all()
        found = [row_json(r, zone, set()) for r in rows]
    return JSONResponse({"session_id": session_id, "photos": found})


def photo_file(request: Request) -> Response:
    """A photo as served (``?size=thumb`` its thumbnail): the re-encoded copy, never the
    original, and only a photo of this session."""
    from catalog.records import photos

    session_id, digest = request.path_params["session_id"], request.path_params["sha"]
    with request.app.state.db.session() as session:
        rows = session.scalars(select(RecordRow.body).where(
            RecordRow.session_id == session_id, RecordRow.kind == records.PHOTO)).all()
    if not any(isinstance(b, dict) and b.get("sha256") == digest for b in rows):
        raise NotFound("photo_not_found", sha256=digest[:12])
    part = "thumb" if request.query_params.get("size") == "thumb" else "served"
    data = photos.read(request.app.state.settings.data_dir, digest, part)
    if data is None:
        raise NotFound("photo_not_found", sha256=digest[:12])
    return Response(data, media_type="image/jpeg",
                    headers={"cache-control": "private, max-age=86400"})
