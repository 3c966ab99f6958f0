"""The session record on the session page: the five haves, and forms for minutes and
feedback that work on an old PC without scripts (a plain POST, then back to the page)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from catalog import org, planning, records
from catalog.attendance import Policy
from catalog.errors import BadRequest
from catalog.messages import message
from catalog.org.models import Member
from catalog.planning.models import StudySession
from catalog.planning.sessions import TOPICS
from catalog.records.models import RecordRow
from media.photos import MAX_BYTES
from web.auth import principal_of
from web.i18n import pick_lang
from web.records.api_views import haves_json, photo_add, reply_checked, row_json, session_record
from web.records.service import records_of
from web.views import render


def session_panel(request: Request, session_id: int) -> dict[str, Any]:
    zone = ZoneInfo(request.app.state.settings.timezone)
    lang = pick_lang(request)
    policy = Policy.of(request.app.state.settings)
    with request.app.state.db.session() as session:
        study = session.get_one(StudySession, session_id)
        haves = haves_json(records.five_haves(session, study, policy), zone, lang)
        found = session_record(session, study, zone)
        roster = [(m.id, m.name) for m in session.scalars(
            select(Member).where(Member.org_id == study.org_id).order_by(Member.name))]
    current = {name: next((r for r in found[name] if r["current"]), None)
               for name in ("minutes", "feedback")}
    return {"template": "_record_panel.html", "session_id": session_id, "haves": haves,
            "photos": found["photos"],
            "record": found, "current": current, "roster": roster,
            "topics": [(code, labels[1] if lang == "en" else labels[0])
                       for code, labels in TOPICS.items()]}


async def record_form(request: Request) -> Response:
    form = await request.form()
    session_id = request.path_params["session_id"]
    which = form.get("form")
    actor = principal_of(request).label
    nonce = str(form.get("nonce") or "")[:65]

    def enter() -> None:
        service = records_of(request)
        if which == "minutes":
            speakers = []
            for raw in form.getlist("speakers"):
                text = str(raw)
                if not (text.isascii() and text.isdigit() and len(text) < 10):
                    raise BadRequest("bad_field", field="speakers")
                speakers.append(int(text))
            service.minutes(session_id, topics=[str(t) for t in form.getlist("topics")],
                            speakers=speakers, summary=str(form.get("summary", "")),
                            decisions=str(form.get("decisions", "")), actor=actor,
                            nonce=nonce)
        elif which == "photo":
            from starlette.datastructures import UploadFile

            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise BadRequest("photo_bad_type")
            try:
                upload.file.seek(0)
                data = upload.file.read(MAX_BYTES + 1)
            finally:
                upload.file.close()
            photo_add(request, session_id, data, nonce, str(form.get("purpose") or "session"))
        elif which == "feedback":
            service.feedback(session_id, {k: str(form.get(k, "")) for k in
                                          ("how_it_went", "opinions", "requests",
                                           "problems")}, actor, nonce)
        else:
            raise BadRequest("bad_field", field="form")

    await run_in_threadpool(enter)
    target = request.app.url_path_for("session_page", session_id=session_id)
    return RedirectResponse(f"{target}#record", status_code=303)


def session_list_column(request: Request, sessions: list[StudySession]) -> dict[str, Any]:
    """The five haves of each listed session as five small marks (web/planning's list)."""
    lang = pick_lang(request)
    policy = Policy.of(request.app.state.settings)
    marks: dict[int, list[dict[str, str]]] = {}
    with request.app.state.db.session() as session:
        for listed in sessions:
            if listed.cancelled_at is not None:
                continue
            study = session.get_one(StudySession, listed.id)
            marks[study.id] = [
                {"code": h.code, "state": h.state, "label": message(f"have_{h.code}", lang),
                 "state_label": message(f"have_state_{h.state}", lang),
                 "short": message(f"have_short_{h.code}", lang)}
                for h in records.five_haves(session, study, policy)]
    return {"title": message("five_haves_title", lang), "marks": marks}


FEEDBACK_PAGE_SIZE = 200


def feedback_page(request: Request) -> Response:
    """A town's (or organization's) feedback from its stations, newest first, each with
    the replies; the town's editors reply from here."""
    zone = ZoneInfo(request.app.state.settings.timezone)
    principal = principal_of(request)
    with request.app.state.db.session() as session:
        node = org.get_node(session, request.path_params["node_id"])
        studies = {s.id: (s, home) for s, home in planning.sessions_under(session, node)}
        found = list(session.scalars(select(RecordRow).where(
            RecordRow.session_id.in_(studies), RecordRow.kind.in_(
                (records.FEEDBACK, records.REPLY))).order_by(RecordRow.seq.desc())))
        superseded = {r.supersedes_seq for r in found if r.supersedes_seq is not None}
        replies: dict[int, list[dict[str, Any]]] = {}
        for row in found:
            if row.kind == records.REPLY and row.replies_to is not None:
                replies.setdefault(row.replies_to, []).insert(0, row_json(row, zone, set()))
        items = [{"row": row_json(r, zone, superseded), "study": studies[r.session_id][0],
                  "home": studies[r.session_id][1], "replies": replies.get(r.seq, [])}
                 for r in found if r.kind == records.FEEDBACK and r.seq not in superseded]
        return render(request, "feedback.html", node=node, items=items[:FEEDBACK_PAGE_SIZE],
                      can_reply=principal.edits(node), zone=zone)


async def feedback_reply_form(request: Request) -> Response:
    form = await request.form()
    seq = request.path_params["seq"]
    back = str(form.get("back") or "")
    from starlette.concurrency import run_in_threadpool


    await run_in_threadpool(reply_checked, request, seq, str(form.get("text", "")),
                            str(form.get("nonce") or "")[:65])
    target = back if back.startswith("/org/") and "//" not in back else "/"
    return RedirectResponse(target, status_code=303)
