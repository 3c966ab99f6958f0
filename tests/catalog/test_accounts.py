"""Accounts and sessions in the catalog, on SQLite and PostgreSQL: Argon2 hashes and their
rehash, session timeouts, throttling windows, the first admin, roles bound to levels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from catalog import org
from catalog.db import Database
from catalog.errors import BadRequest
from catalog.models import LoginSession, User, utcnow
from catalog.org import accounts, demo_org
from catalog.org.accounts import Limits, LoginRefused, LoginThrottled, Role
from catalog.org.scope import Kind, Principal

PASSWORD = demo_org.DEMO_PASSWORD


@pytest.fixture
def tree(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {name: node.id for name, node in demo_org.build(session).items()}


def test_passwords_are_argon2id_and_rehashed_when_parameters_change(
        db: Database, tree: dict[str, int]) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with db.transaction() as session:
        user = accounts.find_user(session, "hexi")
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        user.password_hash = weak.hash(PASSWORD)  # as an older release would have stored it
    with db.transaction() as session:
        accounts.authenticate(session, "HeXi", PASSWORD, "10.0.0.1", Limits())
    with db.session() as session:
        stored = accounts.find_user(session, "hexi").password_hash
    assert "m=8192" not in stored and not accounts.HASHER.check_needs_rehash(stored)


def test_sessions_end_when_idle_or_old(db: Database, tree: dict[str, int]) -> None:
    limits = Limits(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
    with db.transaction() as session:
        raw = accounts.open_session(session, accounts.find_user(session, "hexi"), "", "")
    now = utcnow()
    with db.transaction() as session:
        assert accounts.session_user(session, raw, limits, now + timedelta(minutes=29))
    with db.transaction() as session:  # each use moves the idle window on
        for step in range(1, 16):
            assert accounts.session_user(session, raw, limits, now + timedelta(minutes=29 * step))
    with db.transaction() as session:  # …but not past the absolute limit
        assert accounts.session_user(session, raw, limits, now + timedelta(hours=8, minutes=1)) \
            is None
    with db.session() as session:
        assert session.scalars(select(LoginSession)).all() == []  # and it is gone
    with db.transaction() as session:
        other = accounts.open_session(session, accounts.find_user(session, "hexi"), "", "")
    with db.transaction() as session:
        assert accounts.session_user(session, other, limits, utcnow() + timedelta(minutes=31)) \
            is None


def test_throttling_counts_only_the_last_hour(db: Database, tree: dict[str, int]) -> None:
    limits = Limits(per_account=3)
    start = utcnow()
    with db.transaction() as session:
        for n in range(3):
            accounts.record_failure(session, "hexi", f"10.0.0.{n}")
    with db.transaction() as session, pytest.raises(LoginThrottled):
        accounts.authenticate(session, "hexi", PASSWORD, "10.0.0.9", limits, start)
    with db.transaction() as session:
        later = start + timedelta(hours=1, minutes=1)
        assert accounts.authenticate(session, "hexi", PASSWORD, "10.0.0.9", limits, later)


def test_disabled_accounts_cannot_sign_in_and_lose_their_sessions(
        db: Database, tree: dict[str, int]) -> None:
    with db.transaction() as session:
        user = accounts.find_user(session, "dongcun")
        raw = accounts.open_session(session, user, "", "")
        accounts.set_disabled(session, user, True)
    with db.transaction() as session:
        assert accounts.session_user(session, raw, Limits()) is None
    with db.transaction() as session, pytest.raises(LoginRefused):
        accounts.authenticate(session, "dongcun", PASSWORD, "", Limits())


def test_the_first_start_makes_one_admin_who_must_change_the_password(db: Database) -> None:
    with db.transaction() as session:
        password = accounts.bootstrap_admin(session, "示范市")
        assert password and len(password) >= 12
        assert accounts.bootstrap_admin(session) is None  # only once
    with db.transaction() as session:
        admin = accounts.authenticate(session, "admin", password, "", Limits())
        assert admin.must_change_password and admin.role == Role.ADMIN
        assert org.city(session).name == "示范市"  # type: ignore[union-attr]


@pytest.mark.parametrize(("role", "node"), [("town_organizer", "东村党支部"),
                                             ("station_admin", "城关镇"),
                                             ("member", "东村党支部")])
def test_roles_sit_at_their_level(db: Database, tree: dict[str, int], role: str,
                                  node: str) -> None:
    with db.transaction() as session, pytest.raises(BadRequest):
        accounts.create_user(session, f"x-{role}", "long-enough-1", Role(role),
                             org.get_node(session, tree[node]))


def test_a_principal_sees_its_subtree_only(db: Database, tree: dict[str, int]) -> None:
    with db.session() as session:
        user = session.scalars(select(User).where(User.username == "chengguan")).one()
        town = org.get_node(session, tree["城关镇"])
        principal = Principal(Kind.USER, user, town)
        assert principal.sees(org.get_node(session, tree["东村站点"]))
        assert principal.edits(org.get_node(session, tree["西村党支部"]))
        assert not principal.sees(org.get_node(session, tree["河西村党支部"]))
        assert not principal.sees(org.get_node(session, tree["本市"]))
    # A node whose id starts like another's is not inside it (/1/2/ and /1/22/).
    from catalog.models import OrgNode

    assert not org.within(OrgNode(path="/1/22/"), OrgNode(path="/1/2/"))
    assert org.within(OrgNode(path="/1/2/22/"), OrgNode(path="/1/2/"))


def test_abandoned_sessions_and_old_failures_are_cleared(db: Database,
                                                         tree: dict[str, int]) -> None:
    from catalog.models import LoginFailure

    limits = Limits(idle=timedelta(minutes=30))
    with db.transaction() as session:
        user = accounts.find_user(session, "hexi")
        accounts.open_session(session, user, "", "")
        kept = accounts.open_session(session, user, "", "")
        for row in session.scalars(select(LoginSession)):
            row.last_seen_at = utcnow() - timedelta(hours=1)
        session.add(LoginFailure(username="hexi", address="x", at=utcnow() - timedelta(hours=2)))
    with db.transaction() as session:
        accounts.session_user(session, kept, Limits(idle=timedelta(hours=2)))  # comes back
        accounts.forget_expired_sessions(session, limits)
        accounts.record_failure(session, "hexi", "y")
    with db.session() as session:
        assert len(session.scalars(select(LoginSession)).all()) == 1
        assert [f.address for f in session.scalars(select(LoginFailure))] == ["y"]
