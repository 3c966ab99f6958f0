"""Tokens for exported playlists (M3U8, XSPF), so that a downloaded file never carries
the station's own token.

VLC on a station PC has no cookie and nobody signs in, so an export's URLs must carry a
credential. Were it the station token, whoever downloads an export (an inspector, a town
organizer) could play anything at any time as the village. An export token instead:

- plays only the items on that session's playlist (as it is when the stream is asked for);
- only on the session's day, in the server's time zone (from midnight before it starts
  to midnight after it ends);
- only while the station token it was issued under stands: renewing or revoking the
  station token revokes every export taken under it;
- is issued only to those who run the station (its administrator, and the town and city
  organizers and administrators above it, each recorded by name and role); an inspector's
  export lists the items with no token at all;
- records each playback under ``export:N``, so the log tells VLC from the TV.

The database keeps the token's SHA-256 only, like station tokens and session ids.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.org.models import OrgNode
from catalog.planning.models import PlaylistEntry, PlaylistExport, StudySession
from catalog.schema import utcnow

PREFIX = "x"  # tells an export token from a station token at a glance
MAX_TOKEN_CHARS = 64
# Who gets a working token: those who run stations. Inspectors check; members watch.
ISSUERS = frozenset({"admin", "town_organizer", "station_admin", "terminal"})
ISSUED = "export.issued"  # the ledger row kind


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def day_window(study: StudySession, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From local midnight before the session starts to local midnight after it ends."""
    first = study.starts_at.astimezone(zone).date()
    last = study.ends_at.astimezone(zone).date()
    return (datetime.combine(first, time(), zone),
            datetime.combine(last + timedelta(days=1), time(), zone))


@dataclass(frozen=True)
class Grant:
    """What one export token allows, read when a request carries it."""

    export_id: int
    session_id: int
    items: frozenset[int]
    opens: datetime
    closes: datetime
    issued_by: str

    @property
    def label(self) -> str:
        """How the ledger names who watched through it."""
        return f"export:{self.export_id}"

    def refusal(self, item_id: int | None, now: datetime | None = None) -> str | None:
        """The error key that refuses ``item_id`` now, or None when it may play."""
        moment = now or utcnow()
        if not self.opens <= moment < self.closes:
            return "export_outside_day"
        if item_id is None or item_id not in self.items:
            return "export_item_not_in_session"
        return None


def issue(session: Session, study: StudySession, station: OrgNode, issued_by: str,
          role: str, fmt: str) -> tuple[str, PlaylistExport] | None:
    """A new token for an export of ``study`` at ``station``, or None when this caller
    gets none (not one who runs stations, or the station has no token to stand under)."""
    if role not in ISSUERS or not station.station_token_digest:
        return None
    token = PREFIX + secrets.token_urlsafe(15)
    row = PlaylistExport(token_digest=_digest(token), session_id=study.id,
                         station_id=station.id,
                         station_token_digest=station.station_token_digest,
                         issued_by=issued_by[:160], issuer_role=role, format=fmt)
    session.add(row)
    session.flush()
    return token, row


def is_export_token(token: str) -> bool:
    return token.startswith(PREFIX) and 1 < len(token) <= MAX_TOKEN_CHARS


def grant_for(session: Session, token: str, zone: ZoneInfo
              ) -> tuple[Grant, OrgNode] | None:
    """The grant and station behind ``token``; None when it is unknown or revoked."""
    if not is_export_token(token):
        return None
    row = session.scalars(select(PlaylistExport).where(
        PlaylistExport.token_digest == _digest(token))).first()
    if row is None:
        return None
    station = session.get(OrgNode, row.station_id)
    study = session.get(StudySession, row.session_id)
    if (station is None or study is None
            or station.station_token_digest != row.station_token_digest
            or study.cancelled_at is not None):
        return None
    items = frozenset(session.scalars(select(PlaylistEntry.item_id).where(
        PlaylistEntry.session_id == study.id)))
    opens, closes = day_window(study, zone)
    return Grant(row.id, study.id, items, opens, closes, row.issued_by), station


def ledger_data(row: PlaylistExport, study: StudySession, station_label: str,
                items: list[int], zone: ZoneInfo) -> dict[str, object]:
    """The ``export.issued`` row: enough for an inspector to tell which export a playback
    came from and what it allowed, without the token."""
    opens, closes = day_window(study, zone)
    return {"export": row.id, "session": str(study.id), "station": station_label,
            "issued_by": row.issued_by, "role": row.issuer_role, "format": row.format,
            "items": items, "opens": opens.isoformat(), "closes": closes.isoformat()}
