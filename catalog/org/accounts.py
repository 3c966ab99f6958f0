"""Accounts, roles, login sessions and login throttling.

Passwords are Argon2id hashes (argon2-cffi), re-hashed at the next login when the
parameters change. A login session is a random id handed to the browser once; the
table keeps its SHA-256, so a copy of the database lets no one in.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from catalog.errors import BadRequest, NotFound, YuanjiaoError
from catalog.org.models import LoginFailure, LoginSession, Member, OrgNode, User
from catalog.org.tree import Kind, ensure_city, kind_label
from catalog.schema import utcnow

HASHER = PasswordHasher()
PASSWORD_MIN = 8
THROTTLE_WINDOW = timedelta(hours=1)
# Spent on a login for a name that does not exist, so that timing does not tell.
_DUMMY_HASH = HASHER.hash("not a password of anyone")


class Role(enum.StrEnum):
    ADMIN = "admin"
    TOWN_ORGANIZER = "town_organizer"
    STATION_ADMIN = "station_admin"
    INSPECTOR = "inspector"
    MEMBER = "member"


ROLE_LABELS = {Role.ADMIN: ("系统管理员", "Administrator"),
               Role.TOWN_ORGANIZER: ("乡镇组织员", "Town organizer"),
               Role.STATION_ADMIN: ("站点管理员", "Station administrator"),
               Role.INSPECTOR: ("督查人员", "Inspector"),
               Role.MEMBER: ("党员", "Member")}

# The node kind each role is attached to; admins and inspectors may sit at any level.
ROLE_NODE_KINDS = {Role.ADMIN: {Kind.CITY},
                   Role.TOWN_ORGANIZER: {Kind.TOWN},
                   Role.STATION_ADMIN: {Kind.ORGANIZATION},
                   Role.INSPECTOR: {Kind.CITY, Kind.TOWN, Kind.ORGANIZATION},
                   Role.MEMBER: {Kind.ORGANIZATION}}


def role_label(role: str, lang: str = "zh") -> str:
    zh, en = ROLE_LABELS[Role(role)]
    return en if lang == "en" else zh


class LoginRefused(YuanjiaoError):
    status = 401


class LoginThrottled(YuanjiaoError):
    status = 429


@dataclass(frozen=True)
class Limits:
    per_account: int = 100
    per_address: int = 1000
    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)


def check_password_rules(password: str, username: str) -> None:
    if len(password) < PASSWORD_MIN or password.lower() == username.lower():
        raise BadRequest("weak_password", min=PASSWORD_MIN)


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise BadRequest("bad_role", value=text,
                         expected=", ".join(r.value for r in Role)) from None


def create_user(session: Session, username: str, password: str, role: Role, node: OrgNode,
                member: Member | None = None, display_name: str = "",
                must_change: bool = False) -> User:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise BadRequest("bad_username", value=username)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise BadRequest("user_exists", username=username)
    if node.kind not in ROLE_NODE_KINDS[role]:
        kinds = sorted(ROLE_NODE_KINDS[role])
        raise BadRequest("role_node_mismatch", role=role_label(role), role_en=role_label(
            role, "en"), node=node.name, kinds="、".join(kind_label(k) for k in kinds),
            kinds_en=", ".join(kind_label(k, "en") for k in kinds))
    if role == Role.MEMBER and (member is None or member.org_id != node.id):
        raise BadRequest("member_account_needs_member", username=username)
    check_password_rules(password, username)
    user = User(username=username, display_name=display_name or username,
                password_hash=HASHER.hash(password), role=role.value, node_id=node.id,
                member_id=member.id if member else None, must_change_password=must_change)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(
        func.lower(User.username) == username.strip().lower())).first()
    if user is None:
        raise NotFound("user_not_found", username=username)
    return user


def set_password(session: Session, user: User, password: str, must_change: bool = False) -> None:
    """A new password; every session of the user ends, wherever it is."""
    check_password_rules(password, user.username)
    user.password_hash = HASHER.hash(password)
    user.must_change_password = must_change
    user.password_changed_at = utcnow()
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def set_disabled(session: Session, user: User, disabled: bool) -> None:
    user.disabled = disabled
    if disabled:
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def bootstrap_admin(session: Session, city_name: str = "本市") -> str | None:
    """On a first start: the city node and an ``admin`` whose one-time password is
    returned (to be printed once) and must be changed at first login."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    root = ensure_city(session, city_name)
    password = one_time_password()
    create_user(session, "admin", password, Role.ADMIN, root, display_name="管理员",
                must_change=True)
    return password


# ---- logging in


def _failures(session: Session, column: InstrumentedAttribute[str], value: str,
              since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(LoginFailure).where(
        column == value, LoginFailure.at >= since)) or 0


def authenticate(session: Session, username: str, password: str, address: str,
                 limits: Limits, now: datetime | None = None) -> User:
    """The user these credentials name, or LoginRefused / LoginThrottled.

    Throttling counts failures in the last hour, per account and per address, and is
    checked before the password: past the limit even the right password is refused, so
    guessing cannot go on from one place or against one account.
    """
    now = now or utcnow()
    since = now - THROTTLE_WINDOW
    key = username.strip().lower()[:64]
    if (_failures(session, LoginFailure.username, key, since) >= limits.per_account
            or _failures(session, LoginFailure.address, address, since) >= limits.per_address):
        raise LoginThrottled("login_throttled", minutes=int(THROTTLE_WINDOW.total_seconds() // 60))
    user = session.scalars(select(User).where(func.lower(User.username) == key)).first()
    try:
        HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and not user.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        raise LoginRefused("login_refused")  # the caller records it: this rolls back
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.last_login_at = now
    return user


def record_failure(session: Session, username: str, address: str) -> None:
    now = utcnow()
    # Failures older than the window count for nothing: they go, so that a guessing
    # attack cannot grow the table without end.
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - THROTTLE_WINDOW))
    session.add(LoginFailure(username=username.strip().lower()[:64], address=address[:64],
                             at=now))


def forget_expired_sessions(session: Session, limits: Limits) -> None:
    """Sessions past their idle or absolute limit that no request came back for."""
    now = utcnow()
    session.execute(delete(LoginSession).where(
        (LoginSession.last_seen_at < now - limits.idle)
        | (LoginSession.created_at < now - limits.absolute)))


# ---- sessions


def _digest(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def open_session(session: Session, user: User, address: str, user_agent: str) -> str:
    """A new session id (never one the browser brought along, so fixation gains nothing)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(LoginSession(id_hash=_digest(raw), user_id=user.id,
                             csrf=secrets.token_urlsafe(24), created_at=now, last_seen_at=now,
                             address=address[:64], user_agent=user_agent[:500]))
    return raw


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf: str


def session_user(session: Session, raw_id: str, limits: Limits,
                 now: datetime | None = None) -> SignedIn | None:
    """Who this cookie belongs to, or None when it is unknown, expired or revoked."""
    if not raw_id or len(raw_id) > 128:
        return None
    now = now or utcnow()
    row = session.get(LoginSession, _digest(raw_id))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if (user is None or user.disabled or now - row.last_seen_at > limits.idle
            or now - row.created_at > limits.absolute):
        session.delete(row)
        return None
    # Written at most once a minute: a page and its video segments are many requests.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return SignedIn(user, row.csrf)


def close_session(session: Session, raw_id: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.id_hash == _digest(raw_id)))


def user_json(user: User, lang: str = "zh") -> dict[str, object]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "role": user.role, "role_label": role_label(user.role, lang),
            "node_id": user.node_id, "member_id": user.member_id, "disabled": user.disabled,
            "must_change_password": user.must_change_password}
