"""The reports' routes; who may call each is declared in web/access.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.reports import card_views, views
from web.routing import route

routes: list[BaseRoute] = [
    route("/org/{node_id:int}/reports", views.reports_page, name="reports_page"),
    route("/api/org/{node_id:int}/reports/{kind:str}", views.api_report, name="api_report"),
    route("/org/{node_id:int}/cards/{month:str}", card_views.card_submit_form,
          name="card_submit_form", methods=["POST"]),
    route("/api/org/{node_id:int}/cards/{month:str}", card_views.api_card_submit,
          name="api_card_submit", methods=["POST"]),
]
