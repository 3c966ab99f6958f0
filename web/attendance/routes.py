"""The attendance area's routes; who may call each is declared in web/access.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.attendance import api_views, page_views
from web.routing import route

routes: list[BaseRoute] = [
    route("/api/sessions/{session_id:int}/signin-code", api_views.api_signin_code,
          name="api_signin_code"),
    route("/api/sessions/{session_id:int}/signins", api_views.api_signins,
          name="api_signins", methods=["POST"]),
    route("/api/sessions/{session_id:int}/sheets", api_views.api_sheets, name="api_sheets",
          methods=["POST"]),
    route("/api/signins/{row:int}/correct", api_views.api_signin_correct,
          name="api_signin_correct", methods=["POST"]),
    route("/api/sessions/{session_id:int}/attendance", api_views.api_attendance,
          name="api_attendance"),
    route("/api/members/{member_id:int}/record", api_views.api_member_record,
          name="api_member_record"),
    route("/api/org/{node_id:int}/groups", api_views.api_groups, name="api_groups",
          methods=["GET", "PUT"]),
    route("/signin/{session_id:int}", page_views.signin_page, name="signin_page"),
    route("/station/{node_id:int}/signin", page_views.station_signin, name="station_signin"),
    route("/members/{member_id:int}/record", page_views.member_record_page,
          name="member_record"),
]
