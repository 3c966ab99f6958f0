"""A rescan of the library started from a station's page (issue 14.6).

One scan at a time, in a background thread of the server; the page polls
GET /stations/{id}/rescan for its progress. It is the CLI's scan (indexer.pipeline.Scanner)
with the same lock file, so it never runs beside `yuanjiao scan`, and like the CLI it
brings the search index up to date afterwards. Roots: the settings' library_roots, else
every root already in the catalog (the folders `yuanjiao scan DIR` was given).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from catalog import org
from catalog.db import Database
from catalog.errors import NotFound, YuanjiaoError
from catalog.library.models import LibraryRoot
from catalog.messages import message
from catalog.org.models import OrgNode
from catalog.schema import utcnow
from catalog.settings import Settings
from catalog.terminal import printable
from indexer.pipeline import Progress, Scanner, ScanResult, scan_lock
from indexer.search_index import SearchIndex
from web.auth import principal_of
from web.i18n import pick_lang, translator
from web.negotiation import wants_json
from web.params import parse_choice

logger = logging.getLogger("yuanjiao")
CLOSE_WAIT_SECONDS = 30.0


class NothingToScan(YuanjiaoError):
    status = 409  # the server's state, not the request, is what is missing


class RescanCancelled(Exception):
    """Raised from the progress callbacks, in the scan's own thread, to stop it between
    files when the server shuts down (what was written stays written, as on Ctrl-C)."""


@dataclass
class Job:
    number: int
    station_id: int
    station_name: str
    started_by: str
    roots: list[str]
    started_at: datetime = field(default_factory=utcnow)
    state: str = "running"  # running, done, failed
    found: int = 0
    total: int | None = None  # known once the walk is over
    done: int = 0
    current: str = ""
    finished_at: datetime | None = None
    result: ScanResult | None = None
    error: YuanjiaoError | None = None

    def finish(self, result: ScanResult) -> None:
        self.result = result
        self.finished_at = utcnow()
        self.state = "done"

    def fail(self, error: YuanjiaoError) -> None:
        self.error = error
        self.finished_at = utcnow()
        self.state = "failed"

    def to_json(self, lang: str) -> dict[str, Any]:
        t = translator(lang)
        summary = self.result.summary_fields() if self.result else None
        missing = [os.fsdecode(r) for r in self.result.missing_roots] if self.result else []
        if self.state == "running":
            text = (t("rescan_walking", found=self.found) if self.total is None else
                    t("rescan_examining", done=self.done, total=self.total))
        elif self.error is not None:
            text = self.error.message(lang)
        else:
            assert summary is not None
            text = message("scan_summary", lang, **summary)
        return {
            "id": self.number, "state": self.state,
            "station": {"id": self.station_id, "name": self.station_name},
            "started_by": self.started_by, "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "roots": self.roots, "found": self.found, "total": self.total, "done": self.done,
            "current": self.current, "summary": summary, "missing_roots": missing,
            "error": self.error.key if self.error else None, "message": text,
        }


class PageProgress(Progress):
    """What the scan tells the page: counts kept on the job, read by polling."""

    def __init__(self, job: Job, cancelled: threading.Event) -> None:
        self.job = job
        self.cancelled = cancelled

    def _check(self) -> None:
        if self.cancelled.is_set():
            raise RescanCancelled

    def found(self, count: int) -> None:
        self.job.found += count
        self._check()

    def planned(self, total_work: int) -> None:
        self.job.done = 0
        self.job.total = total_work
        self._check()

    def advanced(self, rel_path: str) -> None:
        self.job.done += 1
        self.job.current = printable(rel_path[-60:])
        self._check()


class Rescans:
    """The server's one rescan at a time (app.state.rescans): the running one, or the
    last one finished, kept for the page to show."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._count = 0
        self.last: Job | None = None

    def start(self, db: Database, settings: Settings, search: SearchIndex | None,
              roots: list[Path], station: OrgNode, who: str) -> tuple[Job, bool]:
        """The running job and False, or a new job started and True."""
        with self._lock:
            if self.last is not None and self.last.state == "running":
                return self.last, False
            if self._cancel.is_set():
                raise NothingToScan("rescan_closing")
            with scan_lock(settings.data_dir):
                pass  # `yuanjiao scan` holds it: refused now (409) rather than on the page
            self._count += 1
            job = Job(self._count, station.id, station.name, who,
                      [os.fsdecode(r) for r in roots])
            thread = threading.Thread(target=self._run, args=(job, db, settings, search,
                                                              roots),
                                      name="rescan", daemon=True)
            self.last, self._thread = job, thread
            thread.start()
        logger.info("rescan %d started by %s from station %s: %s", job.number, who,
                    printable(station.name), ", ".join(printable(r) for r in job.roots))
        return job, True

    def _run(self, job: Job, db: Database, settings: Settings, search: SearchIndex | None,
             roots: list[Path]) -> None:
        try:
            result = Scanner(db, settings, PageProgress(job, self._cancel)).scan(roots)
        except RescanCancelled:
            job.fail(NothingToScan("rescan_cancelled"))
            return
        except YuanjiaoError as exc:
            job.fail(exc)
            return
        except Exception as exc:  # a thread's error would go nowhere: onto the page then
            logger.exception("rescan %d failed", job.number)
            job.fail(YuanjiaoError("rescan_failed", detail=type(exc).__name__))
            return
        if search is not None and result.changed:
            try:
                # A rebuild under way (at start-up) may have read the catalog before
                # this scan wrote to it: the changed items go in after it.
                while search.rebuilding.is_set() and not self._cancel.wait(0.2):
                    pass
                search.update(db, result.changed)
            except Exception:  # the catalog is right; `yuanjiao reindex` repairs the index
                logger.exception("rescan %d: search index update failed", job.number)
        job.finish(result)
        logger.info("rescan %d finished: %s", job.number,
                    message("scan_summary", "en", **result.summary_fields()))

    def close(self, timeout: float = CLOSE_WAIT_SECONDS) -> None:
        """Stop a running scan between two files and wait for it (at shutdown)."""
        self._cancel.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def rescan_roots(db: Database, settings: Settings) -> list[Path]:
    if settings.library_roots:
        return list(settings.library_roots)
    with db.session() as session:
        return [Path(p) for p in session.scalars(select(LibraryRoot.path)
                                                 .order_by(LibraryRoot.id))]


def _station(db: Database, node_id: int) -> OrgNode:
    with db.session() as session:
        station = org.get_node(session, node_id)
        if station.kind != org.Kind.STATION:
            raise NotFound("node_not_found", node_id=node_id)
        session.expunge(station)
        return station


def rescans_of(request: Request) -> Rescans:
    found: Rescans = request.app.state.rescans
    return found


def status_json(request: Request, roots: list[Path]) -> dict[str, Any]:
    lang = pick_lang(request)
    job = rescans_of(request).last
    if job is None:
        return {"id": None, "state": "idle", "roots": [os.fsdecode(r) for r in roots],
                "message": translator(lang)("rescan_idle")}
    return job.to_json(lang)


async def station_rescan(request: Request) -> Response:
    """GET: the rescan's state as JSON. POST (action=start): start one, or get the one
    running; a page form is sent back to the station page, a script gets the JSON."""
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    station = await run_in_threadpool(_station, db, request.path_params["node_id"])
    roots = await run_in_threadpool(rescan_roots, db, settings)
    if request.method != "POST":
        return JSONResponse(status_json(request, roots))
    parse_choice((await request.form()).get("action"), "action", ("start",))
    if not roots:
        raise NothingToScan("rescan_no_roots")
    who = principal_of(request).label
    job, started = await run_in_threadpool(
        rescans_of(request).start, db, settings, getattr(request.app.state, "search", None),
        roots, station, who)
    if wants_json(request):
        return JSONResponse(job.to_json(pick_lang(request)) | {"started": started},
                            status_code=202 if started else 200)
    page = request.app.url_path_for("station_page", node_id=station.id)
    return RedirectResponse(f"{page}#rescan", status_code=303)
