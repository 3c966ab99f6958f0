"""The organization's tables: the tree of nodes, members, accounts and sign-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalog.schema import Base, UTCDateTime, utcnow


class OrgNode(Base):
    """A node of the organization tree: city → towns → organizations (village party
    branches) → stations. ``path`` ("/1/4/9/") makes "is this inside that subtree" a
    prefix test; nodes are renamed, never moved, so it never changes."""

    __tablename__ = "org_nodes"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_org_nodes_parent_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(400), default="", index=True)
    # A station's terminal credential as its digest and the salt it is derived from
    # (catalog/org/station_tokens.py): the database alone opens nothing.
    station_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    station_token_salt: Mapped[str | None] = mapped_column(String(32))
    token_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Member(Base):
    """A person on an organization's roster (party members and, for some activities,
    villagers). A phone number, when known, identifies the person across re-imports."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("org_id", "name", "phone", name="uq_members_org_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    category: Mapped[str] = mapped_column(String(20))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(Base):
    """A sign-in account: a role scoped to a node of the tree (a member: to their record)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginSession(Base):
    """A signed-in browser. Only a hash of the cookie's id is kept, so a copy of the
    database does not let anyone sign in."""

    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(Text, default="")


class LoginFailure(Base):
    """One failed sign-in, counted per account and per address for throttling."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
