"""Roster import (upload → preview → apply) and export, for an organization or a town."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from catalog import org
from catalog.errors import BadRequest, NotFound
from catalog.org import roster
from web.auth import principal_of
from web.i18n import pick_lang
from web.views import render

KEEP_UPLOADS_SECONDS = 24 * 3600
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _uploads(request: Request) -> Path:
    folder: Path = request.app.state.settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _upload_path(request: Request, token: str, suffix: str) -> Path:
    user = principal_of(request).user
    assert user is not None
    # The token is random and the path names its owner: no one applies another's upload.
    if not token.replace("-", "").replace("_", "").isalnum() or suffix not in ("csv", "xlsx"):
        raise BadRequest("roster_upload_gone")
    return _uploads(request) / f"{user.id}-{token}.{suffix}"


def _forget_old_uploads(folder: Path) -> None:
    cutoff = time.time() - KEEP_UPLOADS_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def roster_export(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in MEDIA_TYPES:
        raise NotFound("page_not_found", path=request.url.path)
    with request.app.state.db.session() as session:
        node = org.get_node(session, request.path_params["node_id"])
        table = roster.export_table(session, node, pick_lang(request))
    data = roster.to_csv(table) if fmt == "csv" else roster.to_xlsx(table)
    filename = quote(f"{node.name}-花名册.{fmt}")
    return Response(data, media_type=MEDIA_TYPES[fmt], headers={
        "content-disposition": f"attachment; filename=roster.{fmt}; filename*=UTF-8''{filename}"})


def _page(request: Request, **context: object) -> Response:
    with request.app.state.db.session() as session:
        node = org.get_node(session, request.path_params["node_id"])
    return render(request, "roster_import.html", node=node, **context)


async def roster_import(request: Request) -> Response:
    """GET: the upload form. POST: the preview of what the uploaded file would do."""
    if request.method in ("GET", "HEAD"):
        return _page(request, plan=None, token="", result=None)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise BadRequest("roster_bad_type", filename="—")
    try:
        data = await upload.read(roster.MAX_BYTES + 1)
    finally:
        await upload.close()
    name = upload.filename
    rows = roster.read_table(data, name)
    suffix = "xlsx" if name.lower().endswith(".xlsx") else "csv"

    def plan() -> roster.Plan:
        with request.app.state.db.session() as session:
            node = org.get_node(session, request.path_params["node_id"])
            return roster.plan_import(session, node, rows)

    outcome = await run_in_threadpool(plan)
    token = secrets.token_urlsafe(16)
    _forget_old_uploads(_uploads(request))
    _upload_path(request, token, suffix).write_bytes(data)
    return _page(request, plan=outcome, token=token, suffix=suffix, filename=name,
                 result=None)


async def roster_apply(request: Request) -> Response:
    form = await request.form()
    path = _upload_path(request, str(form.get("token", "")), str(form.get("suffix", "")))
    if not path.is_file():
        raise BadRequest("roster_upload_gone")
    rows = roster.read_table(path.read_bytes(), path.name)

    def apply() -> roster.Plan:
        with request.app.state.db.transaction() as session:
            node = org.get_node(session, request.path_params["node_id"])
            return roster.apply_import(session, node, rows)

    outcome = await run_in_threadpool(apply)
    path.unlink(missing_ok=True)
    return _page(request, plan=outcome, token="", result=True)
