"""The org area's routes; who may call each is declared in web/access.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.org import account_views, org_views, roster_views, user_views
from web.routing import route

routes: list[BaseRoute] = [
    route("/login", account_views.login, name="login", methods=["GET", "POST"]),
    route("/logout", account_views.logout, name="logout", methods=["POST"]),
    route("/account/password", account_views.account_password,
          name="account_password", methods=["GET", "POST"]),
    route("/api/me", account_views.api_me, name="api_me"),
    route("/api/users", account_views.api_users, name="api_users"),
    route("/users", user_views.users_page, name="users_page"),
    route("/users/new", user_views.user_create, name="user_create", methods=["POST"]),
    route("/users/{user_id:int}/password", user_views.user_password,
          name="user_password", methods=["POST"]),
    route("/users/{user_id:int}/disable", user_views.user_disable,
          name="user_disable", methods=["POST"]),
    route("/t/{token}", account_views.station_link, name="station_link"),
    route("/org", org_views.org_home, name="org_home"),
    route("/org/{node_id:int}", org_views.org_node, name="org_node"),
    route("/org/{node_id:int}/children", org_views.org_add_child,
          name="org_add_child", methods=["POST"]),
    route("/org/{node_id:int}/rename", org_views.org_rename, name="org_rename", methods=["POST"]),
    route("/org/{node_id:int}/members", org_views.org_add_member,
          name="org_add_member", methods=["POST"]),
    route("/org/{node_id:int}/roster.{fmt}", roster_views.roster_export, name="roster_export"),
    route("/org/{node_id:int}/import", roster_views.roster_import,
          name="roster_import", methods=["GET", "POST"]),
    route("/org/{node_id:int}/import/apply", roster_views.roster_apply,
          name="roster_apply", methods=["POST"]),
    route("/members/{member_id:int}", org_views.member_page, name="member_page"),
    route("/members/{member_id:int}/edit", org_views.member_update,
          name="member_update", methods=["POST"]),
    route("/stations/{node_id:int}", org_views.station_page, name="station_page"),
    route("/stations/{node_id:int}/token", org_views.station_token,
          name="station_token", methods=["POST"]),
    route("/api/org", org_views.api_org, name="api_org"),
    route("/api/org/{node_id:int}", org_views.api_node, name="api_node"),
    route("/api/org/{node_id:int}/children", org_views.org_add_child,
          name="api_node_children", methods=["POST"]),
    route("/api/org/{node_id:int}/members", org_views.org_add_member,
          name="api_node_members", methods=["POST"]),
    route("/api/members", org_views.api_members, name="api_members"),
    route("/api/members/{member_id:int}", org_views.api_member,
          name="api_member", methods=["GET", "PUT"]),
]
