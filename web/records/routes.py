"""The session record's routes; who may call each is declared in web/access.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.records import api_views, book_views, page_views
from web.routing import route

routes: list[BaseRoute] = [
    route("/api/sessions/{session_id:int}/five-haves", api_views.api_five_haves,
          name="api_five_haves"),
    route("/api/sessions/{session_id:int}/minutes", api_views.api_minutes,
          name="api_minutes", methods=["GET", "POST"]),
    route("/api/sessions/{session_id:int}/feedback", api_views.api_feedback,
          name="api_feedback", methods=["GET", "POST"]),
    route("/api/sessions/{session_id:int}/photos", api_views.api_photos, name="api_photos",
          methods=["GET", "POST"]),
    route("/sessions/{session_id:int}/photos/{sha:str}.jpg", api_views.photo_file,
          name="photo_file"),
    route("/api/feedback/{seq:int}/reply", api_views.api_feedback_reply,
          name="api_feedback_reply", methods=["POST"]),
    route("/org/{node_id:int}/books", book_views.books_page, name="books_page"),
    route("/org/{node_id:int}/feedback", page_views.feedback_page, name="feedback_page"),
    route("/feedback/{seq:int}/reply", page_views.feedback_reply_form,
          name="feedback_reply_form", methods=["POST"]),
    route("/sessions/{session_id:int}/record", page_views.record_form,
          name="session_record_form", methods=["POST"]),
]
