"""Every route, tried by anonymous, a station terminal and every role, on objects inside
and outside the caller's part of the tree; each allowed or refused as intended.

The expectations below are written out independently of web/access.py: a change there
that lets someone see what they should not makes this test fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from yj_testing import make_settings

from catalog import org, planning
from catalog.db import Database
from catalog.models import Member, OrgNode
from catalog.org import demo_org
from web.access import RULES
from web.app import create_app
from web.routing import route

# What each route needs, written from the issue (roles, subtree), not read from RULES.
PUBLIC, VIEWER, STAFF, ADMIN_ONLY = "public", "viewer", "staff", "admin"
ORGANIZERS = "organizers"  # admin and town organizers: they send must-watch items down
# Editors, whose object the handler then looks up in their subtree (a ledger row's id).
EDITORS_ANYWHERE = "editors_anywhere"
# Read inside the subtree, and by the terminal of the station concerned (its TV, VLC).
STATION_READ = "station_read"
SELF, SELF_OR_TERMINAL = "self", "self_or_terminal"
# A session's notice: read inside the subtree, and by a member of its organization once
# published (the world's sessions are published; an unpublished one is tried below).
NOTICE_READ = "notice_read"
NODE_READ, NODE_EDIT = "node_read", "node_edit"
# Member routes: read; edit where members may ask (API: scope first); edit for editors only.
MEMBER_READ, MEMBER_EDIT, EDITOR_MEMBER_EDIT = "member_r", "member_w", "editor_member_w"

# route name → (category, method, path template, form data)
ROUTES: dict[str, tuple[str, str, str, dict[str, str] | None]] = {
    "login": (PUBLIC, "GET", "/login", None),
    "healthz": (PUBLIC, "GET", "/healthz", None),
    "station_link": (PUBLIC, "GET", "/t/{token}", None),
    "static": (PUBLIC, "GET", "/static/site.css", None),
    "logout": (SELF, "POST", "/logout", {}),
    "account_password": (SELF, "GET", "/account/password", None),
    "api_me": (SELF_OR_TERMINAL, "GET", "/api/me", None),
    "catalog": (VIEWER, "GET", "/", None),
    "item": (VIEWER, "GET", "/items/{item}", None),
    "watch": (VIEWER, "GET", "/watch/{item}", None),
    "stream": (VIEWER, "GET", "/stream/{item}", None),
    "hls_playlist": (VIEWER, "GET", "/hls/999999/main.m3u8", None),
    "hls_segment": (VIEWER, "GET", "/hls/999999/0.ts", None),
    "hls_copied_segment": (VIEWER, "GET", "/hls/999999/c0.ts", None),
    "poster": (VIEWER, "GET", "/posters/999999.jpg", None),
    "api_subtitles": (VIEWER, "GET", "/api/items/{item}/subtitles", None),
    "subtitle": (VIEWER, "GET", "/subtitles/999999/0.vtt", None),
    "search": (VIEWER, "GET", "/search?q=水稻", None),
    "api_search": (VIEWER, "GET", "/api/search?q=shuidao", None),
    "api_items": (VIEWER, "GET", "/api/items", None),
    "api_item": (VIEWER, "GET", "/api/items/{item}", None),
    # (No CSRF token: the view id is the secret. An empty form is no report: 400.)
    "api_view_report": (VIEWER, "POST", "/api/views/0123456789abcdef0123456789abcdef", {}),
    "api_discs": (STAFF, "GET", "/api/discs", None),
    "scan_errors": (STAFF, "GET", "/scan-errors", None),
    "api_scan_errors": (STAFF, "GET", "/api/scan-errors", None),
    "playbacks": (STAFF, "GET", "/playbacks", None),
    "api_playbacks": (STAFF, "GET", "/api/playbacks", None),
    "ledger_page": (STAFF, "GET", "/ledger", None),
    # (An empty check is refused with the field named: 400, nothing verified.)
    "ledger_check": (STAFF, "POST", "/ledger/check", {"kind": "code"}),
    "org_home": (STAFF, "GET", "/org", None),
    "api_org": (STAFF, "GET", "/api/org", None),
    "api_members": (STAFF, "GET", "/api/members", None),
    "api_users": (ADMIN_ONLY, "GET", "/api/users", None),
    "users_page": (ADMIN_ONLY, "GET", "/users", None),
    "user_create": (ADMIN_ONLY, "POST", "/users/new", {"node_id": "x"}),
    # (POSTs on accounts by id: tried in tests/web/test_user_pages.py, where their effect
    # is checked; here only that nobody but an admin passes.)
    "user_password": (ADMIN_ONLY, "POST", "/users/999999/password", {}),
    "user_disable": (ADMIN_ONLY, "POST", "/users/999999/disable", {}),
    "org_node": (NODE_READ, "GET", "/org/{org}", None),
    "roster_export": (NODE_READ, "GET", "/org/{org}/roster.xlsx", None),
    "station_page": (NODE_READ, "GET", "/stations/{station}", None),
    "api_node": (NODE_READ, "GET", "/api/org/{org}", None),
    # Edits carry data that fails validation after the guard (400): nothing changes.
    "org_add_child": (NODE_EDIT, "POST", "/org/{org}/children", {"name": ""}),
    "org_rename": (NODE_EDIT, "POST", "/org/{org}/rename", {"name": ""}),
    "org_add_member": (NODE_EDIT, "POST", "/org/{org}/members", {"name": ""}),
    "roster_import": (NODE_EDIT, "GET", "/org/{org}/import", None),
    "roster_apply": (NODE_EDIT, "POST", "/org/{org}/import/apply", {"token": "x"}),
    "station_token": (NODE_EDIT, "POST", "/stations/{station}/token", {"action": "check"}),
    "api_node_children": (NODE_EDIT, "POST", "/api/org/{org}/children", {"name": ""}),
    "api_node_members": (NODE_EDIT, "POST", "/api/org/{org}/members", {"name": ""}),
    "member_page": (MEMBER_READ, "GET", "/members/{member}", None),
    "api_member": (MEMBER_READ, "GET", "/api/members/{member}", None),
    "member_update": (EDITOR_MEMBER_EDIT, "POST", "/members/{member}/edit", {"name": ""}),
    # Planning.
    "sessions": (STAFF, "GET", "/sessions", None),
    "api_sessions": (STAFF, "GET", "/api/sessions", None),
    "api_must_watch": (STAFF, "GET", "/api/must-watch?node={org}", None),
    "must_watch_create": (ORGANIZERS, "POST", "/must-watch", {"item_id": "x"}),
    "session_create": (NODE_EDIT, "POST", "/org/{org}/sessions", {"date": "x"}),
    "org_rules": (NODE_EDIT, "POST", "/org/{org}/rules", {"year": "x"}),
    "api_plans": (NODE_READ, "GET", "/api/org/{org}/plans?year=2027", None),
    "org_ical": (NODE_READ, "GET", "/org/{org}/sessions.ics", None),
    "plan_page": (NODE_READ, "GET", "/org/{org}/plan?year=2027", None),
    "session_page": (NODE_READ, "GET", "/sessions/{session}", None),
    "session_notice": (NOTICE_READ, "GET", "/sessions/{session}/notice", None),
    "api_session": (NODE_READ, "GET", "/api/sessions/{session}", None),
    "session_move": (NODE_EDIT, "POST", "/sessions/{session}/move", {"date": "x"}),
    "session_publish": (NODE_EDIT, "POST", "/sessions/{session}/publish", {"topics": "x"}),
    # (No reason given: refused beside the field, nothing cancelled.)
    "session_cancel": (NODE_EDIT, "POST", "/sessions/{session}/cancel", {"reason": ""}),
    "api_session_compose": (NODE_EDIT, "POST", "/api/sessions/{session}/compose",
                            {"months": "x"}),
    "session_m3u8": (STATION_READ, "GET", "/sessions/{session}/playlist.m3u8", None),
    "session_xspf": (STATION_READ, "GET", "/sessions/{session}/playlist.xspf", None),
    "station_tv": (STATION_READ, "GET", "/station/{station}", None),
    "station_open": (STATION_READ, "GET", "/station/{station}/open?theme=politics", None),
    # Only its editors follow a rescan; starting one is tried in EXTRA, with a bad action.
    "station_rescan": (NODE_EDIT, "GET", "/stations/{station}/rescan", None),
    # (A form is not the JSON it takes: 400 after the guard, nothing made.)
    "api_org_sessions": (NODE_EDIT, "POST", "/api/org/{org}/sessions", {"x": "y"}),
    # Attendance (issue 16). The TV's code and roll call: staff and the station's TV.
    "api_signin_code": (STATION_READ, "GET", "/api/sessions/{session}/signin-code", None),
    "api_attendance": (STATION_READ, "GET", "/api/sessions/{session}/attendance", None),
    "station_signin": (STATION_READ, "GET", "/station/{station}/signin", None),
    # A phone with the TV's code and no account reaches it; what each caller may do
    # there (codes, marks, other stations) is tried in tests/web/test_attendance.py.
    "api_signins": (PUBLIC, "POST", "/api/sessions/{session}/signins", {}),
    "signin_page": (PUBLIC, "GET", "/signin/{session}?c=ABCDEFGH", None),
    # (No file: 400 after the guard, nothing kept.)
    "api_sheets": (NODE_EDIT, "POST", "/api/sessions/{session}/sheets", {}),
    "api_signin_correct": (EDITORS_ANYWHERE, "POST", "/api/signins/999999/correct", {}),
    "api_member_record": (MEMBER_READ, "GET", "/api/members/{member}/record", None),
    "member_record": (MEMBER_READ, "GET", "/members/{member}/record", None),
    "api_groups": (NODE_EDIT, "GET", "/api/org/{org}/groups", None),
    # The session record (issue 17).
    "api_five_haves": (STATION_READ, "GET", "/api/sessions/{session}/five-haves", None),
    "api_minutes": (NODE_READ, "GET", "/api/sessions/{session}/minutes", None),
    "api_feedback": (NODE_READ, "GET", "/api/sessions/{session}/feedback", None),
    "api_feedback_reply": (EDITORS_ANYWHERE, "POST", "/api/feedback/999999/reply", {}),
    # (No form named: 400 after the guard, nothing written.)
    "session_record_form": (NODE_EDIT, "POST", "/sessions/{session}/record", {"form": "x"}),
    "api_photos": (NODE_READ, "GET", "/api/sessions/{session}/photos", None),
    "feedback_page": (NODE_READ, "GET", "/org/{org}/feedback", None),
    "books_page": (NODE_READ, "GET", "/org/{org}/books?book=roster&period=2027", None),
    "reports_page": (NODE_READ, "GET", "/org/{org}/reports?kind=overview&period=2027", None),
    "api_report": (NODE_READ, "GET", "/api/org/{org}/reports/sessions?period=2027-03", None),
    "card_submit_form": (NODE_EDIT, "POST", "/org/{org}/cards/2027-03", {"examples": ""}),
    "api_card_submit": (NODE_EDIT, "POST", "/api/org/{org}/cards/2027-03", {}),
    "feedback_reply_form": (EDITORS_ANYWHERE, "POST", "/feedback/999999/reply", {}),
    # (No such photo of the session: 404 photo_not_found after the guard.)
    "photo_file": (NODE_READ, "GET", "/sessions/{session}/photos/" + "0" * 64 + ".jpg", None),
}
# Extra methods of routes above, tried too.
EXTRA = [("roster_import", NODE_EDIT, "POST", "/org/{org}/import", {}),
         ("api_session", NODE_EDIT, "PUT", "/api/sessions/{session}", {"items": "x"}),
         ("api_plans", NODE_EDIT, "PUT", "/api/org/{org}/plans?year=2027", {"x": "y"}),
         ("plan_page", NODE_EDIT, "POST", "/org/{org}/plan?year=x", {}),
         ("api_member", MEMBER_EDIT, "PUT", "/api/members/{member}", {"name": ""}),
         ("station_rescan", NODE_EDIT, "POST", "/stations/{station}/rescan",
          {"action": "check"}),
         ("api_groups", NODE_EDIT, "PUT", "/api/org/{org}/groups", {"x": "y"}),
         ("api_minutes", NODE_EDIT, "POST", "/api/sessions/{session}/minutes", {"x": "y"}),
         ("api_feedback", NODE_EDIT, "POST", "/api/sessions/{session}/feedback", {"x": "y"}),
         ("api_photos", NODE_EDIT, "POST", "/api/sessions/{session}/photos", {})]

# Who asks: (username or pseudo-role, role, the scope's kind)
CALLERS = ["anonymous", "terminal", "admin", "inspector", "chengguan", "dongcun", "zhangsan"]
ROLE = {"admin": "admin", "inspector": "inspector", "chengguan": "town_organizer",
        "dongcun": "station_admin", "zhangsan": "member"}
STAFF_USERS = {"admin", "inspector", "chengguan", "dongcun"}
EDITOR_USERS = {"admin", "chengguan", "dongcun"}
CITY_WIDE = {"admin", "inspector"}

# Targets: "near" lies inside every caller's subtree (东村, 张三 himself); "far" outside
# the town and station callers' (河西村, 吴十); "neighbour" is 张三's fellow member 李四.
SIDES = ["near", "far", "neighbour"]


def expected(category: str, caller: str, side: str) -> str:
    """allowed, login (401), forbidden (403) or hidden (404)."""
    signed_in = caller in ROLE
    refused = "forbidden" if signed_in else "login"
    if category == PUBLIC:
        return "allowed"
    if category == VIEWER:
        return "login" if caller == "anonymous" else "allowed"
    if category == SELF:
        return "allowed" if signed_in else "login"
    if category == SELF_OR_TERMINAL:
        return "allowed" if signed_in or caller == "terminal" else "login"
    if category == ADMIN_ONLY:
        return "allowed" if caller == "admin" else refused
    if category == STAFF:
        return "allowed" if caller in STAFF_USERS else refused
    if category == ORGANIZERS:
        return "allowed" if caller in ("admin", "chengguan") else refused
    if category == EDITORS_ANYWHERE:
        return "allowed" if caller in EDITOR_USERS else refused
    if category == NOTICE_READ:
        if caller == "zhangsan":  # his own branch (near, neighbour), not another's (far)
            return "hidden" if side == "far" else "allowed"
        category = NODE_READ
    if category == STATION_READ:
        # The terminal belongs to the far station (河西村站点).
        if caller == "terminal":
            return "allowed" if side == "far" else "hidden"
        category = NODE_READ
    if category in (NODE_READ, NODE_EDIT):
        allowed_roles = STAFF_USERS if category == NODE_READ else EDITOR_USERS
        if caller not in allowed_roles:
            return refused
        if side == "far" and caller not in CITY_WIDE:
            return "hidden"
        return "allowed"
    # members
    if category == EDITOR_MEMBER_EDIT and caller not in EDITOR_USERS:
        return refused if caller not in STAFF_USERS else "forbidden"
    if caller == "zhangsan":
        if side != "near":
            return "hidden"
        return "allowed" if category == MEMBER_READ else "forbidden"
    if caller not in STAFF_USERS:
        return refused
    if side == "far" and caller not in CITY_WIDE:
        return "hidden"
    if category == MEMBER_EDIT and caller not in EDITOR_USERS:
        return "forbidden"
    return "allowed"


def outcome(response: Any) -> str:
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 401:
        assert response.json()["error"] == "login_required"
        return "login"
    if response.status_code == 403:
        assert response.json()["error"] == "forbidden", response.text[:200]
        return "forbidden"
    json_body = response.headers.get("content-type", "").startswith("application/json")
    if (response.status_code == 404 and json_body and response.json()["error"]
            in ("node_not_found", "member_not_found", "session_not_found")):
        return "hidden"
    return "allowed"


@dataclass
class World:
    client: TestClient
    db: Database
    ids: dict[str, dict[str, int]]
    token: str
    sessions: dict[str, tuple[dict[str, str], str]]  # caller → (cookies, csrf)


def _login(client: TestClient, username: str) -> tuple[dict[str, str], str]:
    client.cookies.clear()
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    done = client.post("/login", data={"csrf": csrf.group(1), "username": username,
                                       "password": demo_org.DEMO_PASSWORD, "next": "/api/me"})
    assert done.status_code == 200, done.text[:300]
    return dict(client.cookies.items()), done.json()["csrf"]


@pytest.fixture
def world(tmp_path: Any, db_url: str, demo_library: Any) -> Iterator[World]:
    from indexer.pipeline import Scanner

    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    Scanner(db, settings).scan([demo_library])
    with db.transaction() as session:
        nodes = demo_org.build(session)
        member = {m.name: m.id for m in session.scalars(select(Member))}
        far_station = session.get_one(OrgNode, nodes["河西村站点"].id)
        token = org.token_of(session, far_station) or ""
        sessions = {}
        for name in ("东村党支部", "河西村党支部"):
            start = planning.local(date(2027, 3, 10), 8 * 60 + 30, ZoneInfo("Asia/Shanghai"))
            study = planning.create_session(
                session, nodes[name], start, start + timedelta(hours=4), f"{name}三月")
            planning.publish_notice(study, "请全体党员准时参加。")
            sessions[name] = study.id
        ids = {"near": {"org": nodes["东村党支部"].id, "station": nodes["东村站点"].id,
                        "member": member["张三"], "session": sessions["东村党支部"]},
               "far": {"org": nodes["河西村党支部"].id, "station": nodes["河西村站点"].id,
                       "member": member["吴十"], "session": sessions["河西村党支部"]},
               "neighbour": {"org": nodes["东村党支部"].id, "station": nodes["东村站点"].id,
                             "member": member["李四"], "session": sessions["东村党支部"]}}
    app = create_app(settings, db)
    with TestClient(app, headers={"accept": "application/json"}) as client:
        item = client.get("/api/items?station_token=" + token).json()["items"][0]["id"]
        for side in ids.values():
            side["item"] = item
        sessions = {name: _login(client, name) for name in ROLE}
        sessions["terminal"] = ({}, "")
        sessions["anonymous"] = ({}, "")
        yield World(client, db, ids, token, sessions)
    db.close()


def _ask(world: World, caller: str, method: str, template: str, data: dict[str, str] | None,
         side: str) -> Any:
    cookies, csrf = world.sessions[caller]
    client = world.client
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    path = template.format(token=world.token, **world.ids[side])
    if caller == "terminal":
        path += ("&" if "?" in path else "?") + "station_token=" + world.token
    if method == "GET":
        return client.get(path, follow_redirects=False)
    headers = {"x-csrf-token": csrf} if csrf else {}
    if method == "PUT":
        return client.put(path, json=data or {}, headers=headers)
    return client.request(method, path, data=data, headers=headers, follow_redirects=False)


def test_every_route_has_a_rule_and_a_row_here() -> None:
    app = create_app(make_settings(__import__("pathlib").Path("/nonexistent"), "sqlite://"))
    names = {r.name for r in app.routes if isinstance(r, Route | Mount)}
    assert names - set(RULES) == set(), "routes without an access rule (web/access.py)"
    assert names - set(ROUTES) == set(), "routes missing from this matrix"
    assert set(RULES) - names == set(), "rules for routes that do not exist"


def test_a_route_without_a_rule_refuses_everyone(world: World) -> None:
    async def secret(request: Any) -> Any:
        raise AssertionError("reached")

    routes = world.client.app.router.routes  # type: ignore[attr-defined]
    routes.append(route("/undeclared", secret, "undeclared"))
    for caller in CALLERS:
        response = _ask(world, caller, "GET", "/undeclared", None, "near")
        assert outcome(response) in ("forbidden", "login"), caller


def test_role_route_matrix(world: World) -> None:
    rows = [(name, *spec) for name, spec in ROUTES.items() if name != "logout"] + EXTRA
    wrong = []
    tried = 0
    for name, category, method, template, data in rows:
        scoped = category in (NODE_READ, NODE_EDIT, MEMBER_READ, MEMBER_EDIT, EDITOR_MEMBER_EDIT,
                              STATION_READ, NOTICE_READ)
        sides = SIDES if scoped else ["near"]
        for side in sides:
            for caller in CALLERS:
                got = outcome(_ask(world, caller, method, template, data, side))
                want = expected(category, caller, side)
                tried += 1
                if got != want:
                    wrong.append(f"{method} {name} [{side}] as {caller}: {got}, want {want}")
    assert not wrong, "\n".join(wrong)
    assert tried > 300


@pytest.mark.parametrize("caller", CALLERS)
def test_logout_needs_a_session(world: World, caller: str) -> None:
    got = outcome(_ask(world, caller, "POST", "/logout", {}, "near"))
    assert got == expected(SELF, caller, "near")


def test_pages_send_the_anonymous_to_the_login_page(world: World) -> None:
    world.client.cookies.clear()
    response = world.client.get("/org/1", headers={"accept": "text/html"},
                                follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/org/1"


def test_a_member_reads_only_his_branchs_published_notices(world: World) -> None:
    """Issue 14.7: 张三 opens his own branch's notice once published; before that, and
    always for another branch, it does not exist for him. Staff see both."""
    zone = ZoneInfo("Asia/Shanghai")
    with world.db.transaction() as session:
        start = planning.local(date(2027, 4, 10), 8 * 60, zone)
        drafts = {}
        for side in ("near", "far"):
            home = session.get_one(OrgNode, world.ids[side]["org"])
            drafts[side] = planning.create_session(
                session, home, start, start + timedelta(hours=4), f"未发布{side}").id
    path = "/sessions/{}/notice"
    want = {("zhangsan", "near"): "hidden", ("zhangsan", "far"): "hidden",
            ("dongcun", "near"): "allowed", ("dongcun", "far"): "hidden",
            ("admin", "near"): "allowed", ("admin", "far"): "allowed"}
    got = {(caller, side): outcome(_ask(world, caller, "GET", path.format(drafts[side]), None,
                                        side)) for caller, side in want}
    assert got == want
    with world.db.transaction() as session:
        planning.publish_notice(planning.get_session(session, drafts["near"]), "")
    opened = _ask(world, "zhangsan", "GET", path.format(drafts["near"]), None, "near")
    assert outcome(opened) == "allowed" and "未发布near" in opened.text


# ---- exported playlists (issue 14.3): their own token, never the station's

# caller → what the M3U8 of a session today at the caller's station gives VLC: "working"
# (a token of its own that plays), "no_token" (URLs that need a login), or the refusal.
EXPORTS = {"anonymous": "login", "terminal": "working", "admin": "working",
           "inspector": "no_token", "chengguan": "working", "dongcun": "working",
           "zhangsan": "forbidden"}


def _today_session(world: World, side: str, day_offset: int = 0) -> int:
    zone = ZoneInfo("Asia/Shanghai")
    from datetime import datetime

    day = datetime.now(zone).date() + timedelta(days=day_offset)
    with world.db.transaction() as session:
        home = session.get_one(OrgNode, world.ids[side]["org"])
        start = planning.local(day, 0, zone)
        study = planning.create_session(session, home, start, start + timedelta(hours=4),
                                        f"导出{side}{day_offset}")
        planning.set_playlist(session, study, [world.ids[side]["item"]])
        return study.id


def _urls(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("http")]


def _vlc(world: World, url: str, item: int | None = None) -> Any:
    """What VLC gets for one URL of the export: no cookie, nothing but the URL."""
    client = world.client
    client.cookies.clear()
    path = url.split("//", 1)[1].split("/", 1)[1]
    if item is not None:
        path = re.sub(r"^stream/\d+", f"stream/{item}", path)
    return client.get("/" + path, headers={"range": "bytes=0-0"})


def test_exports_carry_their_own_token_limited_to_the_session_and_its_day(
        world: World) -> None:
    today = {side: _today_session(world, side) for side in ("near", "far")}
    later = {side: _today_session(world, side, 2) for side in ("near", "far")}
    items = world.client.get("/api/items?station_token=" + world.token).json()["items"]
    other = next(i["id"] for i in items if i["id"] != world.ids["near"]["item"])
    wrong = []
    for caller, want in EXPORTS.items():
        side = "far" if caller == "terminal" else "near"  # each at his own station
        got = _ask(world, caller, "GET", f"/sessions/{today[side]}/playlist.m3u8", None, side)
        if got.status_code != 200:
            if outcome(got) != want:
                wrong.append(f"{caller}: export {outcome(got)}, want {want}")
            continue
        urls = _urls(got.text)
        assert len(urls) == 1 and world.token not in got.text, caller
        if "export=" not in urls[0]:
            status = _vlc(world, urls[0]).status_code
            if want != "no_token" or status != 401:
                wrong.append(f"{caller}: URLs without a token (stream {status}), want {want}")
            continue
        if want != "working":
            wrong.append(f"{caller}: got a token, want {want}")
        plays = _vlc(world, urls[0])
        beside = _vlc(world, urls[0], other)
        if plays.status_code != 206 or beside.status_code != 403 or beside.json()[
                "error"] != "export_item_not_in_session":
            wrong.append(f"{caller}: session item {plays.status_code}, other item "
                         f"{beside.status_code}")
        ahead = _ask(world, caller, "GET", f"/sessions/{later[side]}/playlist.m3u8", None, side)
        early = _vlc(world, _urls(ahead.text)[0])
        if early.status_code != 403 or early.json()["error"] != "export_outside_day":
            wrong.append(f"{caller}: a session in two days plays today ({early.status_code})")
    assert not wrong, "\n".join(wrong)


def test_renewing_the_station_token_revokes_its_exports(world: World) -> None:
    near = _today_session(world, "near")
    url = _urls(_ask(world, "dongcun", "GET", f"/sessions/{near}/playlist.m3u8", None,
                     "near").text)[0]
    assert _vlc(world, url).status_code == 206
    with world.db.transaction() as session:
        org.issue_token(session, session.get_one(OrgNode, world.ids["near"]["station"]))
    refused = _vlc(world, url)
    assert refused.status_code == 401 and refused.json()["error"] == "export_token_invalid"
    # A token that was never issued is refused the same way, not taken for a login.
    forged = _vlc(world, re.sub(r"export=x[\w-]+", "export=xforged", url))
    assert forged.status_code == 401 and forged.json()["error"] == "export_token_invalid"
