"""Who may use each route, declared in one place.

Every route's name maps to a rule: the roles (and pseudo-roles) allowed, and the path
parameter whose object must lie in the caller's part of the organization tree. A route
missing here refuses everyone (web/auth.py), and tests/web/test_access_matrix.py fails
while one exists. Lists (members, playbacks) are narrowed to the caller's subtree by
their handlers.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = frozenset({"admin"})
EDITORS = frozenset({"admin", "town_organizer", "station_admin"})
STAFF = EDITORS | {"inspector"}
USERS = STAFF | {"member"}
# A station's terminal (by its token) and, on a server with guest_viewing, a guest.
VIEWERS = USERS | {"terminal", "guest"}
ANYONE = VIEWERS | {"anonymous"}
# The media an exported playlist names, for VLC by the export's token (catalog/planning/exports.py),
# which the guard limits further to the session's items on its day.
MEDIA = VIEWERS | {"export"}


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    # The path parameter's object that must be the caller's: "node" (node_id), "member"
    # (member_id), "session" (session_id), "notice" (session_id: a session, or for a
    # member his own organization's once its notice is published), "station" (node_id of
    # a station, which its own terminal may also open).
    scope: str | None = None
    edit: bool = False  # the object must be one the caller may change, even for a GET
    while_must_change: bool = False  # usable before a forced password change
    # False only where a secret in the path stands in for the CSRF token (a player page's
    # view id, web/evidence/view_reports.py): terminals and guests hold no token to send.
    csrf: bool = True


RULES: dict[str, Rule] = {
    # Public: the way in, and the probe monitoring uses.
    "login": Rule(ANYONE, while_must_change=True),
    "healthz": Rule(ANYONE),
    "station_link": Rule(ANYONE),
    "static": Rule(ANYONE),
    # One's own account.
    "logout": Rule(USERS, while_must_change=True),
    "account_password": Rule(USERS, while_must_change=True),
    "api_me": Rule(USERS | {"terminal"}, while_must_change=True),
    # Watching: the catalog is the city's, shared by every station.
    "catalog": Rule(VIEWERS),
    "item": Rule(VIEWERS),
    "watch": Rule(VIEWERS),
    "stream": Rule(MEDIA),
    "hls_playlist": Rule(MEDIA),
    "hls_segment": Rule(MEDIA),
    "hls_copied_segment": Rule(MEDIA),
    "poster": Rule(VIEWERS),
    "api_subtitles": Rule(VIEWERS),
    "subtitle": Rule(VIEWERS),
    "search": Rule(VIEWERS),
    "api_search": Rule(VIEWERS),
    "api_items": Rule(VIEWERS),
    "api_item": Rule(VIEWERS),
    "api_view_report": Rule(VIEWERS, csrf=False),
    # The library's upkeep and the playback evidence.
    "api_discs": Rule(STAFF),
    "scan_errors": Rule(STAFF),
    "api_scan_errors": Rule(STAFF),
    "playbacks": Rule(STAFF),
    "api_playbacks": Rule(STAFF),
    "ledger_page": Rule(STAFF),
    "ledger_check": Rule(STAFF),
    # The organization tree, members and stations.
    "org_home": Rule(STAFF),
    "org_node": Rule(STAFF, "node"),
    "org_add_child": Rule(EDITORS, "node"),
    "org_rename": Rule(EDITORS, "node"),
    "org_add_member": Rule(EDITORS, "node"),
    "roster_export": Rule(STAFF, "node"),
    "roster_import": Rule(EDITORS, "node", edit=True),
    "roster_apply": Rule(EDITORS, "node"),
    "member_page": Rule(USERS, "member"),
    "member_update": Rule(EDITORS, "member"),
    "station_page": Rule(STAFF, "node"),
    "station_token": Rule(EDITORS, "node"),
    # A rescan of the library, started and followed from the station page (issue 14.6).
    "station_rescan": Rule(EDITORS, "node", edit=True),
    "api_org": Rule(STAFF),
    "api_node": Rule(STAFF, "node"),
    "api_node_children": Rule(EDITORS, "node"),
    "api_node_members": Rule(EDITORS, "node"),
    "api_members": Rule(STAFF),
    "api_member": Rule(USERS, "member"),
    "api_users": Rule(ADMIN),
    "users_page": Rule(ADMIN),
    "user_create": Rule(ADMIN),
    "user_password": Rule(ADMIN),
    "user_disable": Rule(ADMIN),
    # Planning: sessions, playlists, rules, plans, must-watch items, exports, TV mode.
    "sessions": Rule(STAFF),
    "api_sessions": Rule(STAFF),
    "session_create": Rule(EDITORS, "node"),
    "session_page": Rule(STAFF, "session"),
    "session_move": Rule(EDITORS, "session"),
    "session_publish": Rule(EDITORS, "session"),
    "session_cancel": Rule(EDITORS, "session"),
    # A member opens his own branch's published notice from his page (issue 14.7).
    "session_notice": Rule(USERS, "notice"),
    "session_m3u8": Rule(STAFF | {"terminal"}, "session"),
    "session_xspf": Rule(STAFF | {"terminal"}, "session"),
    "api_session": Rule(STAFF, "session"),
    "api_session_compose": Rule(EDITORS, "session"),
    "org_rules": Rule(EDITORS, "node"),
    "api_plans": Rule(STAFF, "node"),
    "plan_page": Rule(STAFF, "node"),
    "org_ical": Rule(STAFF, "node"),
    "must_watch_create": Rule(frozenset({"admin", "town_organizer"})),
    "api_must_watch": Rule(STAFF),
    "station_tv": Rule(STAFF | {"terminal"}, "station"),
    "station_open": Rule(STAFF | {"terminal"}, "station"),
    # The JSON twin of the session form (issue 16.8).
    "api_org_sessions": Rule(EDITORS, "node"),
    # Attendance (issue 16). The code and the roll call: staff and the station's TV.
    "api_signin_code": Rule(STAFF | {"terminal"}, "session"),
    "api_attendance": Rule(STAFF | {"terminal"}, "session"),
    "station_signin": Rule(STAFF | {"terminal"}, "station"),
    # A phone holding the TV's code signs in without an account, so the route takes no
    # CSRF token and no scope: the handler checks the code, or for a mark (no code) the
    # caller's rights over the session and the CSRF token or same origin
    # (web/attendance/api_views.py).
    "api_signins": Rule(ANYONE, csrf=False),
    "signin_page": Rule(ANYONE),
    # Corrections: an editor of the session's organization (checked by the handler, as
    # the path names a ledger row).
    "api_signin_correct": Rule(EDITORS),
    "api_sheets": Rule(EDITORS, "session"),
    "api_member_record": Rule(USERS, "member"),
    "member_record": Rule(USERS, "member"),
    "api_groups": Rule(EDITORS, "node"),
    # The session record (issue 17): minutes and feedback by the session's editors, read
    # by staff; a reply to feedback by an editor above (checked by the handler).
    "api_five_haves": Rule(STAFF | {"terminal"}, "session"),
    "api_minutes": Rule(STAFF, "session"),
    "api_feedback": Rule(STAFF, "session"),
    "api_feedback_reply": Rule(EDITORS),
    "session_record_form": Rule(EDITORS, "session"),
    "api_photos": Rule(STAFF, "session"),
    "feedback_page": Rule(STAFF, "node"),
    "books_page": Rule(STAFF, "node"),
    # Reports (issue 18): read-only projections of the ledger, of the caller's subtree.
    "reports_page": Rule(STAFF, "node"),
    "api_report": Rule(STAFF, "node"),
    # The month's report card is the station's to submit (its organization's editors).
    "card_submit_form": Rule(EDITORS, "node"),
    "api_card_submit": Rule(EDITORS, "node"),
    "feedback_reply_form": Rule(EDITORS),
    "photo_file": Rule(STAFF, "session"),
}


def rule_for(name: str) -> Rule | None:
    return RULES.get(name)
