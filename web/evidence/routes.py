"""The evidence area's routes; who may call each is declared in web/access.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.evidence import ledger_views, playback_log, view_reports
from web.routing import route

routes: list[BaseRoute] = [
    route("/api/views/{view}", view_reports.view_report, name="api_view_report", methods=["POST"]),
    route("/playbacks", playback_log.playbacks_page, name="playbacks"),
    route("/api/playbacks", playback_log.api_playbacks, name="api_playbacks"),
    route("/ledger", ledger_views.ledger_page, name="ledger_page"),
    route("/ledger/check", ledger_views.ledger_check, methods=["POST"], name="ledger_check"),
]
