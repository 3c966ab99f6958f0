"""The planning area's routes; who may call each is declared in web/access.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.planning import export_views, planning_views, town_views, tv_views
from web.routing import route

routes: list[BaseRoute] = [
    route("/sessions", planning_views.sessions_page, name="sessions"),
    route("/api/sessions", planning_views.api_sessions, name="api_sessions"),
    route("/org/{node_id:int}/sessions", planning_views.session_create,
          name="session_create", methods=["POST"]),
    route("/api/org/{node_id:int}/sessions", planning_views.api_org_sessions,
          name="api_org_sessions", methods=["POST"]),
    route("/sessions/{session_id:int}", planning_views.session_page, name="session_page"),
    route("/sessions/{session_id:int}/move", planning_views.session_move,
          name="session_move", methods=["POST"]),
    route("/sessions/{session_id:int}/publish", planning_views.session_publish,
          name="session_publish", methods=["POST"]),
    route("/sessions/{session_id:int}/cancel", planning_views.session_cancel,
          name="session_cancel", methods=["POST"]),
    route("/sessions/{session_id:int}/notice", planning_views.session_notice,
          name="session_notice"),
    route("/sessions/{session_id:int}/playlist.m3u8", export_views.session_m3u8,
          name="session_m3u8"),
    route("/sessions/{session_id:int}/playlist.xspf", export_views.session_xspf,
          name="session_xspf"),
    route("/api/sessions/{session_id:int}", planning_views.api_session,
          name="api_session", methods=["GET", "PUT"]),
    route("/api/sessions/{session_id:int}/compose", planning_views.api_session_compose,
          name="api_session_compose", methods=["POST"]),
    route("/org/{node_id:int}/rules", town_views.org_rules, name="org_rules", methods=["POST"]),
    route("/api/org/{node_id:int}/plans", town_views.api_plans,
          name="api_plans", methods=["GET", "PUT"]),
    route("/org/{node_id:int}/plan", town_views.plan_page,
          name="plan_page", methods=["GET", "POST"]),
    route("/org/{node_id:int}/sessions.ics", export_views.org_ical, name="org_ical"),
    route("/must-watch", town_views.must_watch_create,
          name="must_watch_create", methods=["POST"]),
    route("/api/must-watch", town_views.api_must_watch, name="api_must_watch"),
    route("/station/{node_id:int}", export_views.station_tv, name="station_tv"),
    route("/station/{node_id:int}/open", tv_views.station_open, name="station_open"),
]
