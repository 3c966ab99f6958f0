"""The organization tree (city → towns → organizations → stations) and its members."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, object_session

from catalog.errors import BadRequest, NotFound
from catalog.org import station_tokens
from catalog.org.models import Member, OrgNode
from catalog.schema import utcnow


class Kind(enum.StrEnum):
    CITY = "city"
    TOWN = "town"
    ORGANIZATION = "organization"
    STATION = "station"


CHILD_KIND = {Kind.CITY: Kind.TOWN, Kind.TOWN: Kind.ORGANIZATION,
              Kind.ORGANIZATION: Kind.STATION}

KIND_LABELS = {Kind.CITY: ("市", "City"), Kind.TOWN: ("乡镇", "Town"),
               Kind.ORGANIZATION: ("基层党组织", "Organization"),
               Kind.STATION: ("终端站点", "Station")}


class Category(enum.StrEnum):
    FULL = "full"
    PROBATIONARY = "probationary"
    MOBILE = "mobile"
    ACTIVIST = "activist"
    RESERVE_CADRE = "reserve_cadre"
    FARMER = "farmer"
    VILLAGER = "villager"


CATEGORY_LABELS = {
    Category.FULL: ("正式党员", "Full member"),
    Category.PROBATIONARY: ("预备党员", "Probationary member"),
    Category.MOBILE: ("流动党员", "Mobile member"),
    Category.ACTIVIST: ("入党积极分子", "Activist"),
    Category.RESERVE_CADRE: ("后备干部", "Reserve cadre"),
    Category.FARMER: ("农民群众", "Farmer"),
    Category.VILLAGER: ("村民", "Villager"),
}

NAME_MAX = 100
PHONE = re.compile(r"1\d{10}")


def kind_label(kind: str, lang: str = "zh") -> str:
    zh, en = KIND_LABELS[Kind(kind)]
    return en if lang == "en" else zh


def category_label(category: str, lang: str = "zh") -> str:
    zh, en = CATEGORY_LABELS[Category(category)]
    return en if lang == "en" else zh


def parse_category(text: str) -> Category:
    """A category from its code or either label, as people type them in rosters."""
    folded = text.strip().lower().replace(" ", "_")
    for category, (zh, en) in CATEGORY_LABELS.items():
        if folded in (category.value, zh, en.lower().replace(" ", "_")):
            return category
    raise BadRequest("bad_category", value=text,
                     expected="、".join(zh for zh, _ in CATEGORY_LABELS.values()))


def clean_name(text: str, field: str = "name") -> str:
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX:
        raise BadRequest("bad_name", field=field, value=text[:40], limit=NAME_MAX)
    return name


def clean_phone(text: str) -> str:
    phone = re.sub(r"[\s-]", "", text or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not PHONE.fullmatch(phone):
        raise BadRequest("bad_phone", value=text)
    return phone


YES = {"是", "免", "y", "yes", "true", "1", "√", "on"}
NO = {"", "否", "n", "no", "false", "0", "off"}


def parse_exempt(text: str) -> bool:
    folded = text.strip().lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise BadRequest("bad_exempt", value=text)


# ---- the tree


def city(session: Session) -> OrgNode | None:
    return session.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None))
                           .order_by(OrgNode.id)).first()


def ensure_city(session: Session, name: str = "本市") -> OrgNode:
    root = city(session)
    if root is None:
        root = OrgNode(kind=Kind.CITY, name=clean_name(name))
        session.add(root)
        session.flush()
        root.path = f"/{root.id}/"
    return root


def add_node(session: Session, parent: OrgNode, name: str, code: str | None = None) -> OrgNode:
    kind = CHILD_KIND.get(Kind(parent.kind))
    if kind is None:
        raise BadRequest("node_no_children", name=parent.name)
    name = clean_name(name)
    if session.scalar(select(OrgNode.id).where(OrgNode.parent_id == parent.id,
                                                 OrgNode.name == name)):
        raise BadRequest("node_exists", name=name, parent=parent.name)
    code = (code or "").strip() or None
    if code and session.scalar(select(OrgNode.id).where(OrgNode.code == code)):
        raise BadRequest("code_exists", code=code)
    node = OrgNode(parent_id=parent.id, kind=kind, name=name, code=code)
    session.add(node)
    session.flush()
    node.path = f"{parent.path}{node.id}/"
    if kind == Kind.STATION:
        issue_token(session, node)
    return node


def get_node(session: Session, node_id: int) -> OrgNode:
    node = session.get(OrgNode, node_id)
    if node is None:
        raise NotFound("node_not_found", node_id=node_id)
    return node


def rename(node: OrgNode, name: str) -> None:
    node.name = clean_name(name)


def children(session: Session, node: OrgNode) -> Sequence[OrgNode]:
    return session.scalars(select(OrgNode).where(OrgNode.parent_id == node.id)
                           .order_by(OrgNode.name)).all()


def ancestors(session: Session, node: OrgNode) -> list[OrgNode]:
    ids = [int(part) for part in node.path.strip("/").split("/") if part][:-1]
    found = {n.id: n for n in session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def subtree(session: Session, root: OrgNode, kind: Kind | None = None) -> Sequence[OrgNode]:
    query = select(OrgNode).where(OrgNode.path.startswith(root.path, autoescape=True))
    if kind is not None:
        query = query.where(OrgNode.kind == kind)
    return session.scalars(query.order_by(OrgNode.path)).all()


def within(node: OrgNode, scope: OrgNode) -> bool:
    return node.path.startswith(scope.path)


def organization_by_name(session: Session, scope: OrgNode, name: str) -> OrgNode | None:
    """The organization called ``name`` inside ``scope`` (the scope itself when it is one)."""
    name = " ".join(name.split())
    if scope.kind == Kind.ORGANIZATION and (not name or name == scope.name):
        return scope
    matches = [n for n in subtree(session, scope, Kind.ORGANIZATION) if n.name == name]
    return matches[0] if len(matches) == 1 else None


# ---- stations


def issue_token(session: Session, station: OrgNode) -> str:
    """A new terminal token for a station; the old one stops working at once."""
    return station_tokens.issue(session, station)


def revoke_token(station: OrgNode) -> None:
    station_tokens.revoke(station)


def token_of(session: Session, station: OrgNode) -> str | None:
    return station_tokens.token_of(session, station)


def station_by_token(session: Session, token: str) -> OrgNode | None:
    return station_tokens.station_by_token(session, token, Kind.STATION)


def station_label(station: OrgNode) -> str:
    """How playbacks and the ledger name a station: its code, else its id."""
    return station.code or f"station-{station.id}"


# ---- members


@dataclass(frozen=True)
class MemberFields:
    name: str
    phone: str
    category: Category
    exempt: bool
    note: str = ""


def add_member(session: Session, org: OrgNode, fields: MemberFields) -> Member:
    if org.kind != Kind.ORGANIZATION:
        raise BadRequest("members_need_organization", name=org.name)
    member = Member(org_id=org.id, name=fields.name, phone=fields.phone,
                    category=fields.category.value, exempt=fields.exempt, note=fields.note)
    session.add(member)
    session.flush()
    return member


def update_member(member: Member, fields: MemberFields) -> bool:
    """Apply ``fields``; whether anything changed."""
    values = {"name": fields.name, "phone": fields.phone, "category": fields.category.value,
              "exempt": fields.exempt, "note": fields.note}
    changed = {k: v for k, v in values.items() if getattr(member, k) != v}
    for key, value in changed.items():
        setattr(member, key, value)
    if changed:
        member.updated_at = utcnow()
    return bool(changed)


def get_member(session: Session, member_id: int) -> tuple[Member, OrgNode]:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("member_not_found", member_id=member_id)
    return member, session.get_one(OrgNode, member.org_id)


def members_under(session: Session, scope: OrgNode, q: str = "", offset: int = 0,
                  limit: int = 100) -> tuple[int, list[tuple[Member, OrgNode]]]:
    query = (select(Member, OrgNode).join(OrgNode, Member.org_id == OrgNode.id)
             .where(OrgNode.path.startswith(scope.path, autoescape=True)))
    if q:
        like = f"%{q}%"
        query = query.where(or_(Member.name.like(like), Member.phone.like(like)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(OrgNode.path, Member.name, Member.id)
                           .offset(offset).limit(limit)).all()
    return total, [(m, o) for m, o in rows]


def node_json(node: OrgNode, lang: str = "zh", with_token: bool = False) -> dict[str, object]:
    data: dict[str, object] = {"id": node.id, "parent_id": node.parent_id, "kind": node.kind,
                               "kind_label": kind_label(node.kind, lang), "name": node.name,
                               "code": node.code}
    attached = object_session(node)
    if with_token and node.kind == Kind.STATION:
        data["token"] = token_of(attached, node) if attached is not None else None
    return data


def member_json(member: Member, org: OrgNode, lang: str = "zh") -> dict[str, object]:
    return {"id": member.id, "name": member.name, "phone": member.phone,
            "category": member.category, "category_label": category_label(member.category, lang),
            "exempt": member.exempt, "note": member.note, "organization_id": org.id,
            "organization": org.name}
