"""The demo's organization tree, members and one account of each role (README lists
them). Idempotent: running it again changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import org
from catalog.org import accounts
from catalog.org.models import Member, OrgNode, User

DEMO_PASSWORD = "yuanjiao-demo"

TREE = {
    "城关镇": {"东村党支部": ("东村站点", "CG-001"), "西村党支部": ("西村站点", "CG-002")},
    "河西镇": {"河西村党支部": ("河西村站点", "HX-001")},
}
MEMBERS = {
    "东村党支部": [("张三", "13800000001", "full", False), ("李四", "13800000002", "full", False),
                   ("王五", "13800000003", "probationary", False),
                   ("赵六", "", "mobile", True), ("钱七", "13800000005", "activist", False)],
    "西村党支部": [("孙八", "13800000011", "full", False), ("周九", "", "farmer", False)],
    "河西村党支部": [("吴十", "13800000021", "full", False)],
}
USERS = [("admin", accounts.Role.ADMIN, None, "系统管理员"),
         ("inspector", accounts.Role.INSPECTOR, None, "市督查组"),
         ("chengguan", accounts.Role.TOWN_ORGANIZER, "城关镇", "城关镇组织员"),
         ("hexi", accounts.Role.TOWN_ORGANIZER, "河西镇", "河西镇组织员"),
         ("dongcun", accounts.Role.STATION_ADMIN, "东村党支部", "东村站点管理员"),
         ("zhangsan", accounts.Role.MEMBER, "东村党支部", "张三")]


def _child(session: Session, parent: OrgNode, name: str, code: str | None = None) -> OrgNode:
    for node in org.children(session, parent):
        if node.name == name:
            return node
    return org.add_node(session, parent, name, code)


def build(session: Session, city_name: str = "本市") -> dict[str, OrgNode]:
    """The tree, members and accounts; returns the nodes by name."""
    city = org.ensure_city(session, city_name)
    nodes = {city.name: city}
    for town_name, organizations in TREE.items():
        town = nodes[town_name] = _child(session, city, town_name)
        for org_name, (station_name, code) in organizations.items():
            home = nodes[org_name] = _child(session, town, org_name)
            nodes[station_name] = _child(session, home, station_name, code)
            for name, phone, category, exempt in MEMBERS.get(org_name, []):
                if not session.scalar(select(Member.id).where(Member.org_id == home.id,
                                                              Member.name == name)):
                    org.add_member(session, home, org.MemberFields(
                        name, phone, org.Category(category), exempt))
    for username, role, node_name, display in USERS:
        if session.scalar(select(User.id).where(User.username == username)):
            continue
        node = nodes[node_name] if node_name else city
        member = None
        if role == accounts.Role.MEMBER:
            member = session.scalars(select(Member).where(Member.org_id == node.id,
                                                          Member.name == display)).one()
        accounts.create_user(session, username, DEMO_PASSWORD, role, node, member, display)
    return nodes
