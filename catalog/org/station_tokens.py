"""A station's terminal token, stored so that a copy of the database opens nothing.

The token behind a station's QR code lets a TV stream as that station with no one
signing in, so it is a password. Like session ids (catalog/org/accounts.py), the database
keeps only its SHA-256 digest, which is enough to recognise it. Unlike a session id,
administrators must be able to show the link again (a TV's browser loses its cookie),
so the token is not random but ``HMAC(key, salt)``: the salt is in the database, the
key in ``station-token.key`` in the data directory, beside ``ledger-key.pem``. The
server re-derives the token to show it; a database dump, a backup, or the copy a town
receives by sync holds salts and digests and no token. Servers sharing one database
share that file (README, "Accounts, the organization tree and stations"); without it
they still recognise tokens but can only show a new one.

Tokens issued before this scheme (migration 0007) have a digest and no salt: they keep
working, and the station page offers a new one to show its link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.keyfile import KEY_FILE, KEY_INFO, load_key  # noqa: F401  (its home once)
from catalog.org.models import OrgNode
from catalog.schema import utcnow

TOKEN_CHARS = 16  # 96 bits, as the random tokens had


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _derive(key: bytes, salt: str) -> str:
    mac = hmac.new(key, b"station-token:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:TOKEN_CHARS]


def _key(session: Session) -> bytes | None:
    key = session.info.get(KEY_INFO)
    return key if isinstance(key, bytes) else None


def issue(session: Session, station: OrgNode) -> str:
    """A new token for ``station``; the old one stops working at once."""
    key = _key(session)
    salt = secrets.token_hex(16)
    token = _derive(key, salt) if key else secrets.token_urlsafe(12)
    station.station_token_salt = salt if key else None
    station.station_token_digest = digest(token)
    station.token_issued_at = utcnow()
    return token


def revoke(station: OrgNode) -> None:
    station.station_token_digest = station.station_token_salt = None
    station.token_issued_at = None


def token_of(session: Session, station: OrgNode) -> str | None:
    """The station's current token, when this server can derive it."""
    key = _key(session)
    if key is None or not station.station_token_salt or not station.station_token_digest:
        return None
    token = _derive(key, station.station_token_salt)
    # A key other than the one that issued it derives another token: show none.
    return token if hmac.compare_digest(digest(token), station.station_token_digest) else None


def station_by_token(session: Session, token: str, kind: str) -> OrgNode | None:
    if not token or len(token) > 64:
        return None
    return session.scalars(select(OrgNode).where(
        OrgNode.station_token_digest == digest(token), OrgNode.kind == kind)).first()
