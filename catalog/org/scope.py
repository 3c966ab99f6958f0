"""Who is asking, and which part of the tree they may see and change."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from catalog.org.accounts import Role
from catalog.org.models import Member, OrgNode, User
from catalog.org.tree import within


# What scope needs of the areas above it (planning), by shape, so that the organization
# imports nothing of theirs (pyproject.toml's contracts).
class Grant(Protocol):
    """What an export's token allows (catalog/planning/exports.py)."""

    @property
    def label(self) -> str: ...

    @property
    def session_id(self) -> int: ...

    def refusal(self, item_id: int | None, now: datetime | None = None) -> str | None: ...


class Noticed(Protocol):
    """A study session as its notice's readers are told apart."""

    @property
    def org_id(self) -> int: ...

    @property
    def notice_published_at(self) -> datetime | None: ...


class Kind(enum.StrEnum):
    ANONYMOUS = "anonymous"
    GUEST = "guest"  # not signed in, on a server that lets guests watch (guest_viewing)
    TERMINAL = "terminal"  # a station's TV or PC, by the station's token
    EXPORT = "export"  # VLC playing an exported playlist, by the export's token
    USER = "user"


EDITORS = frozenset({Role.ADMIN, Role.TOWN_ORGANIZER, Role.STATION_ADMIN})


@dataclass(frozen=True)
class Principal:
    kind: Kind
    user: User | None = None
    node: OrgNode | None = None  # the scope's root: the user's node, or the station
    station: OrgNode | None = None  # set for terminals
    csrf: str = ""
    grant: Grant | None = None  # set for exports: what the export's token allows

    @property
    def role(self) -> str:
        """The role name the access table uses: a Role, or terminal/guest/anonymous."""
        return self.user.role if self.user else self.kind.value

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def sees(self, node: OrgNode) -> bool:
        if self.user is None or self.node is None or self.user.role == Role.MEMBER:
            return False
        return within(node, self.node)

    def edits(self, node: OrgNode) -> bool:
        return self.user is not None and self.user.role in EDITORS and self.sees(node)

    def sees_member(self, member: Member, org: OrgNode) -> bool:
        if self.user is not None and self.user.role == Role.MEMBER:
            return self.user.member_id == member.id
        return self.sees(org)

    def reads_notice(self, study: Noticed, home: OrgNode, member: Member | None) -> bool:
        """A session's notice: whoever sees its organization, and a member of that
        organization once the notice is published (issue 14.7). ``member`` is the
        caller's own member record: his organization is the record's, which a roster
        import may have changed since the account was made."""
        if self.sees(home):
            return True
        user = self.user
        return (user is not None and user.role == Role.MEMBER and member is not None
                and user.member_id == member.id and member.org_id == study.org_id
                and study.notice_published_at is not None)

    def edits_member(self, org: OrgNode) -> bool:
        return self.edits(org)

    def manages_users(self) -> bool:
        return self.user is not None and self.user.role == Role.ADMIN

    @property
    def label(self) -> str:
        """Who watched, as the ledger records it (never a phone number or password)."""
        if self.user is not None:
            return f"user:{self.user.username}"
        if self.grant is not None:
            return self.grant.label
        return ""


ANONYMOUS = Principal(Kind.ANONYMOUS)
GUEST = Principal(Kind.GUEST)
