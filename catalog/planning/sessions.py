"""Study sessions: town-wide activity-day rules, sessions, playlists and must-watch items."""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog import org
from catalog.errors import BadRequest, NotFound
from catalog.library.models import Item
from catalog.org.models import OrgNode
from catalog.planning.models import ActivityRule, MustWatch, PlaylistEntry, StudySession
from catalog.planning.rules import Due, Entry, SessionFacts
from catalog.schema import utcnow


class SessionKind(enum.StrEnum):
    PRESCRIBED = "prescribed"
    ELECTIVE = "elective"
    SPECIAL = "special"
    ASSEMBLY = "assembly"  # linked to a member assembly (党员大会)
    JULY1 = "july1"  # the Party's anniversary
    WINTER = "winter"  # winter training (冬训)
    MAKEUP = "makeup"  # a group make-up (补课) of earlier sessions (issue 16.5)


KIND_LABELS = {SessionKind.PRESCRIBED: ("规定课程", "Prescribed"),
               SessionKind.ELECTIVE: ("自选课程", "Elective"),
               SessionKind.SPECIAL: ("专题（必看、重大活动）", "Special"),
               SessionKind.ASSEMBLY: ("结合党员大会", "With a member assembly"),
               SessionKind.JULY1: ("七一主题活动", "July 1"),
               SessionKind.WINTER: ("冬训", "Winter training"),
               SessionKind.MAKEUP: ("补课", "Make-up")}
TOPICS = {"party_building": ("党的建设", "Party building"),
          "village_affairs": ("村务管理", "Village affairs"),
          "development": ("发展致富", "Development"),
          "civility": ("乡风文明", "Civility")}
RULE = re.compile(r"day:(\d{1,2})|ending:(\d)|weekday:([1-5]):([0-6])")
MAX_TITLE = 200


def kind_label(kind: str, lang: str = "zh") -> str:
    zh, en = KIND_LABELS[SessionKind(kind)]
    return en if lang == "en" else zh


def topic_label(topic: str, lang: str = "zh") -> str:
    zh, en = TOPICS[topic]
    return en if lang == "en" else zh


def parse_kind(text: str) -> SessionKind:
    try:
        return SessionKind(text)
    except ValueError:
        raise BadRequest("bad_session_kind", value=text,
                         expected=", ".join(k.value for k in SessionKind)) from None


def parse_topics(values: Sequence[str]) -> list[str]:
    unknown = [v for v in values if v not in TOPICS]
    if unknown:
        raise BadRequest("bad_topic", value=", ".join(unknown), expected=", ".join(TOPICS))
    return list(dict.fromkeys(values))


# ---- activity-day rules


def rule_dates(rule: str, year: int) -> list[date]:
    """The activity days a rule gives in a year.

    ``day:10`` the 10th of every month (the last day in shorter months); ``ending:6`` the
    first date of each month ending in 6 (the 6th; ``ending:0`` the 10th);
    ``weekday:2:0`` the second Monday (weekday 0 = Monday … 6 = Sunday).
    """
    match = RULE.fullmatch(rule.strip())
    if match is None or (match.group(1) and not 1 <= int(match.group(1)) <= 31):
        raise BadRequest("bad_rule", value=rule)
    days = []
    for month in range(1, 13):
        last = calendar.monthrange(year, month)[1]
        if match.group(1):
            day = min(int(match.group(1)), last)
        elif match.group(2):
            day = int(match.group(2)) or 10
        else:
            nth, weekday = int(match.group(3)), int(match.group(4))
            first = (weekday - date(year, month, 1).weekday()) % 7 + 1
            day = first + 7 * (nth - 1)
            if day > last:
                day -= 7
        days.append(date(year, month, day))
    return days


def local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), zone)


def first_station(session: Session, home: OrgNode) -> OrgNode | None:
    stations = [n for n in org.children(session, home) if n.kind == org.Kind.STATION]
    return stations[0] if stations else None


def apply_rule(session: Session, rule: ActivityRule, zone: ZoneInfo) -> int:
    """Make the rule's sessions for every organization of the town that has none of them
    yet (one added to the town since, say); sessions already made, moved or not, stay as
    they are. Returns how many were made."""
    town = org.get_node(session, rule.town_id)
    done = set(session.scalars(select(StudySession.org_id).where(
        StudySession.rule_id == rule.id)))
    made = 0
    for home in org.subtree(session, town, org.Kind.ORGANIZATION):
        if home.id in done:
            continue
        station = first_station(session, home)
        for day in rule_dates(rule.rule, rule.year):
            start = local(day, rule.start_minute, zone)
            session.add(StudySession(
                org_id=home.id, station_id=station.id if station else None, rule_id=rule.id,
                kind=SessionKind.PRESCRIBED, title=f"{day.month}月主题党日",
                starts_at=start, ends_at=start + timedelta(minutes=rule.minutes),
                topics=["party_building", "development"]))
            made += 1
    session.flush()
    return made


def add_rule(session: Session, town: OrgNode, year: int, rule: str, start_minute: int,
             minutes: int) -> ActivityRule:
    if town.kind != org.Kind.TOWN:
        raise BadRequest("rule_needs_town", name=town.name)
    rule_dates(rule, year)  # validates
    if not 2000 <= year <= 2100 or not 0 <= start_minute < 24 * 60 or not 30 <= minutes <= 720:
        raise BadRequest("bad_rule", value=f"{year} {rule} {start_minute} {minutes}")
    found = ActivityRule(town_id=town.id, year=year, rule=rule.strip(),
                         start_minute=start_minute, minutes=minutes)
    session.add(found)
    session.flush()
    return found


# ---- sessions


def get_session(session: Session, session_id: int) -> StudySession:
    found = session.get(StudySession, session_id)
    if found is None:
        raise NotFound("session_not_found", session_id=session_id)
    return found


def create_session(session: Session, home: OrgNode, starts_at: datetime, ends_at: datetime,
                   title: str, kind: SessionKind = SessionKind.PRESCRIBED,
                   topics: Sequence[str] = (), group_name: str = "") -> StudySession:
    if home.kind != org.Kind.ORGANIZATION:
        raise BadRequest("session_needs_organization", name=home.name)
    _check_span(starts_at, ends_at)
    station = first_station(session, home)
    study = StudySession(org_id=home.id, station_id=station.id if station else None,
                         kind=kind, title=_title(title), starts_at=starts_at, ends_at=ends_at,
                         topics=parse_topics(topics), group_name=group_name[:100])
    session.add(study)
    session.flush()
    return study


def link_makeup(session: Session, study: StudySession, session_ids: Sequence[int]) -> None:
    """A make-up session (kind ``makeup``) names the earlier sessions of its own
    organization that it makes up (issue 16.5)."""
    if study.kind != SessionKind.MAKEUP.value:
        raise BadRequest("makes_up_needs_makeup_kind")
    for session_id in session_ids:
        earlier = session.get(StudySession, session_id)
        if earlier is None or earlier.org_id != study.org_id or earlier.id == study.id:
            raise BadRequest("makes_up_unknown", session_id=session_id)
        if earlier.starts_at >= study.starts_at:
            raise BadRequest("makes_up_later", session_id=session_id)
    study.makes_up = sorted(set(session_ids))


def _title(text: str) -> str:
    title = " ".join(text.split())
    if not title or len(title) > MAX_TITLE:
        raise BadRequest("bad_name", field="title", value=text[:40], limit=MAX_TITLE)
    return title


def _check_span(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at or ends_at - starts_at > timedelta(hours=12):
        raise BadRequest("bad_span", starts=starts_at.isoformat(), ends=ends_at.isoformat())


def _not_cancelled(study: StudySession) -> None:
    if study.cancelled_at is not None:
        raise BadRequest("session_cancelled", title=study.title)


def move_session(study: StudySession, starts_at: datetime, ends_at: datetime) -> None:
    _not_cancelled(study)
    _check_span(starts_at, ends_at)
    study.starts_at, study.ends_at, study.moved = starts_at, ends_at, True
    study.moved_at = utcnow()


def publish_notice(study: StudySession, text: str) -> None:
    _not_cancelled(study)
    study.notice = text.strip()[:5000]
    study.notice_published_at = utcnow()


MAX_REASON = 500


def cancel_session(study: StudySession, reason: str) -> None:
    """Kept, with its reason, shown struck through; never deleted. Its exports stop."""
    _not_cancelled(study)
    text = " ".join(reason.split())
    if not text or len(text) > MAX_REASON:
        raise BadRequest("cancel_reason_needed", limit=MAX_REASON)
    study.cancelled_at, study.cancel_reason = utcnow(), text


def entered_afterwards(study: StudySession) -> bool:
    """Created or last moved after it started: the record was made afterwards, which an
    inspector must be able to tell from a session planned in time."""
    return (study.created_at is not None and study.created_at > study.starts_at) or (
        study.moved_at is not None and study.moved_at > study.starts_at)


def notice_state(study: StudySession) -> str:
    """``none``, ``on_time`` (published before the start) or ``late``."""
    if study.notice_published_at is None:
        return "none"
    return "on_time" if study.notice_published_at <= study.starts_at else "late"


def set_playlist(session: Session, study: StudySession, item_ids: Sequence[int],
                 notes: Sequence[str] | None = None) -> None:
    if len(item_ids) > 200:
        raise BadRequest("playlist_too_long", limit=200)
    known = set(session.scalars(select(Item.id).where(Item.id.in_(item_ids))))
    unknown = [i for i in item_ids if i not in known]
    if unknown:
        raise NotFound("item_not_found", item_id=unknown[0])
    session.execute(delete(PlaylistEntry).where(PlaylistEntry.session_id == study.id))
    for position, item_id in enumerate(item_ids):
        session.add(PlaylistEntry(session_id=study.id, position=position, item_id=item_id,
                                  note=notes[position] if notes else ""))
    session.flush()


def playlist(session: Session, study: StudySession) -> list[tuple[PlaylistEntry, Item]]:
    rows = session.execute(select(PlaylistEntry, Item).join(Item, PlaylistEntry.item_id
                                                             == Item.id)
                           .where(PlaylistEntry.session_id == study.id)
                           .order_by(PlaylistEntry.position)).all()
    return [(e, i) for e, i in rows]


def sessions_under(session: Session, scope: OrgNode, start: datetime | None = None,
                   end: datetime | None = None) -> list[tuple[StudySession, OrgNode]]:
    query = (select(StudySession, OrgNode).join(OrgNode, StudySession.org_id == OrgNode.id)
             .where(OrgNode.path.startswith(scope.path, autoescape=True)))
    if start is not None:
        query = query.where(StudySession.starts_at >= start)
    if end is not None:
        query = query.where(StudySession.starts_at < end)
    return [(s, o) for s, o in session.execute(query.order_by(StudySession.starts_at,
                                                               OrgNode.name))]


# ---- must-watch


def mark_must_watch(session: Session, item_id: int, issuer: OrgNode, issued_on: date,
                    deadline: date, nodes: Sequence[OrgNode], note: str = "") -> MustWatch:
    if session.get(Item, item_id) is None:
        raise NotFound("item_not_found", item_id=item_id)
    if deadline < issued_on:
        raise BadRequest("bad_deadline", deadline=deadline.isoformat(),
                         issued=issued_on.isoformat())
    if not nodes or any(not org.within(n, issuer) for n in nodes):
        raise BadRequest("must_watch_scope", name=issuer.name)
    found = MustWatch(item_id=item_id, issued_by=issuer.id, issued_on=issued_on,
                      deadline=deadline, node_ids=[n.id for n in nodes], note=note[:500])
    session.add(found)
    session.flush()
    return found


def applies_to(session: Session, must: MustWatch, home: OrgNode) -> bool:
    nodes = session.scalars(select(OrgNode).where(OrgNode.id.in_(must.node_ids))).all()
    return any(org.within(home, n) for n in nodes)


def due_for(session: Session, home: OrgNode, on: date, zone: ZoneInfo,
            exclude_session: int | None = None) -> list[tuple[MustWatch, Item, bool]]:
    """Must-watch items issued by ``on`` whose deadline has not passed, for ``home``:
    (must-watch, item, already in another of its sessions before the deadline)."""
    musts = session.execute(select(MustWatch, Item).join(Item, MustWatch.item_id == Item.id)
                            .where(MustWatch.issued_on <= on, MustWatch.deadline >= on)
                            .order_by(MustWatch.deadline, MustWatch.id)).all()
    found = []
    for must, item in musts:
        if applies_to(session, must, home):
            found.append((must, item, _scheduled(session, home, must, zone, exclude_session)))
    return found


def _scheduled(session: Session, home: OrgNode, must: MustWatch, zone: ZoneInfo,
               exclude_session: int | None) -> bool:
    before = datetime.combine(must.deadline + timedelta(days=1), time(), zone)
    query = (select(StudySession.id).join(PlaylistEntry,
                                          PlaylistEntry.session_id == StudySession.id)
             .where(StudySession.org_id == home.id, StudySession.starts_at < before,
                    PlaylistEntry.item_id == must.item_id))
    if exclude_session is not None:
        query = query.where(StudySession.id != exclude_session)
    return session.scalar(query.limit(1)) is not None


def pending_must_watch(session: Session, home: OrgNode, today: date,
                       zone: ZoneInfo) -> list[tuple[MustWatch, Item]]:
    """What an organization's page lists: due items not yet in any session before their
    deadline."""
    return [(m, i) for m, i, scheduled in due_for(session, home, today, zone) if not scheduled]


# ---- the rules' view


def recently_shown(session: Session, station_id: int | None, before: datetime,
                   months: int) -> set[int]:
    if station_id is None:
        return set()
    since = before - timedelta(days=30 * months)
    return set(session.scalars(
        select(PlaylistEntry.item_id).join(StudySession,
                                           PlaylistEntry.session_id == StudySession.id)
        .where(StudySession.station_id == station_id, StudySession.starts_at >= since,
               StudySession.starts_at < before)))


def entry_of(item: Item) -> Entry:
    return Entry(item.id, item.title, item.theme, item.duration,
                 present=item.missing_since is None,
                 playable=item.kind in ("video", "audio") and bool(item.duration))


def facts(session: Session, study: StudySession, zone: ZoneInfo,
          min_minutes: int) -> SessionFacts:
    home = org.get_node(session, study.org_id)
    on = study.starts_at.astimezone(zone).date()
    due = [Due(item.id, item.title, must.deadline, scheduled)
           for must, item, scheduled in due_for(session, home, on, zone, study.id)]
    overlapping: list[str] = []
    if study.station_id is not None:
        overlapping = list(session.scalars(select(StudySession.title).where(
            StudySession.station_id == study.station_id, StudySession.id != study.id,
            StudySession.starts_at < study.ends_at, StudySession.ends_at > study.starts_at)))
    return SessionFacts(study.kind, study.starts_at, study.ends_at, study.discussion_minutes,
                        study.notice_published_at,
                        [entry_of(item) for _, item in playlist(session, study)], due,
                        overlapping, min_minutes)
