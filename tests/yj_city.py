"""A generated city for the reports' tests and benchmark (issue 18.1): the organization
tree, rosters, groups, accounts, a library, a year of study sessions with playlists, and
the ledger's projections (attendance rows, playbacks, minutes and feedback) with the
cases the reports must get right — corrections and corrections of corrections, late
entries, guests, people a session does not expect, a device signing in a crowd, make-ups,
playback just inside and just outside a session's span or tagged with it at another
time, superseded and late records, notices late or never published, sessions in
progress at ``now`` and none of the future ones with a row.

Rows go in with SQLAlchemy Core (``insert(table)`` and lists of dicts, a few thousand
a transaction) into the real tables, so the column names are the models', and the same
code makes the tests' few hundred members and the benchmark's hundred thousand. Ids are
given here (so that rows can name each other without reading anything back); on
PostgreSQL the id sequences are moved past them at the end. Everything is drawn from one
seeded ``random.Random``: the same arguments make the same city.

The generator decides what people do, never what the reports should say: that is
tests/reports_oracle.py's job, from the rows alone.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select, text

from catalog.attendance.models import AttendanceRow, GroupMember, MemberGroup
from catalog.db import Database
from catalog.evidence.models import Playback
from catalog.library.models import Item, LibraryRoot
from catalog.library.themes import LEARNING_THEMES, Theme
from catalog.org.models import Member, OrgNode, User
from catalog.planning.models import MustWatch, PlaylistEntry, StudySession
from catalog.records.models import RecordRow

ZONE = ZoneInfo("Asia/Shanghai")
LEDGER = "CITY-TEST"
CHUNK = 5000
GROUP = "第一学习小组"
NO_SUCH_GROUP = "已撤销的小组"  # an elective naming a group the organization no longer has
# Who is on a roster: mostly full members; the last four are never expected.
CATEGORIES = (("full", 78), ("probationary", 7), ("mobile", 4), ("activist", 6),
              ("villager", 3), ("reserve_cadre", 2))
# What an expected member's mark is, by weight; None: never marked.
MARKS = (("present", 70), ("late", 8), ("leave", 7), ("absent", 4), ("exempt", 1),
         (None, 10))
LATE_ENTRY = timedelta(hours=24)  # Policy.late_entry_hours: rows written later are 补登
PAPER_STATUS = ("present", "late", "leave", "absent")


@dataclass
class City:
    city_id: int
    town_ids: list[int]
    org_ids: list[int]
    member_ids: list[int]
    station_ids: list[int]
    session_ids: list[int]
    now: datetime
    ledger: str = LEDGER
    rows: dict[str, int] = field(default_factory=dict)  # rows inserted, per table
    orgs_of_town: dict[int, list[int]] = field(default_factory=dict)
    no_station_code: list[int] = field(default_factory=list)  # orgs: station-{id} label
    no_station: list[int] = field(default_factory=list)  # orgs without a station


@dataclass
class _Person:
    id: int
    org: int
    category: str
    exempt: bool
    in_group: bool

    @property
    def expectable(self) -> bool:
        return self.category in ("full", "probationary") and not self.exempt


@dataclass
class _Org:
    id: int
    index: int
    town: int
    station: int | None
    label: str | None  # the station label playbacks carry
    people: list[_Person]
    admin: str


@dataclass
class _Study:
    id: int
    org: _Org
    kind: str
    group: str
    starts: datetime
    ends: datetime
    cancelled: bool
    items: list[int]
    makes_up: list[int] = field(default_factory=list)


class _Sink:
    """Per-table buffers written ``CHUNK`` rows a transaction. A full buffer is written
    after those of the tables first seen before it (so parents go in before the rows
    naming them: the tables are first seen parents first)."""

    def __init__(self, db: Database, chunk: int) -> None:
        self.db = db
        self.chunk = chunk
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.tables: dict[str, Table] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: Table, row: dict[str, Any]) -> None:
        buffer = self.buffers.setdefault(table.name, [])
        self.tables[table.name] = table
        buffer.append(row)
        if len(buffer) >= self.chunk:
            self.flush(table.name)

    def flush(self, name: str | None = None) -> None:
        order = list(self.buffers)  # first seen first
        for key in order[:order.index(name) + 1] if name else order:
            buffer = self.buffers.get(key)
            if not buffer:
                continue
            with self.db.engine.begin() as connection:
                connection.execute(insert(self.tables[key]), buffer)
            self.counts[key] = self.counts.get(key, 0) + len(buffer)
            self.buffers[key] = []


class _Ids:
    def __init__(self, db: Database, tables: list[Table]) -> None:
        self.next: dict[str, int] = {}
        with db.engine.connect() as connection:
            for table in tables:
                self.next[table.name] = (connection.scalar(
                    select(func.max(table.c.id))) or 0) + 1

    def take(self, table: Table) -> int:
        value = self.next[table.name]
        self.next[table.name] = value + 1
        return value


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


_CUMULATIVE: dict[int, tuple[list[Any], list[int]]] = {}


def _weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    population, cumulative = _CUMULATIVE.setdefault(id(choices), (
        [c for c, _ in choices], list(itertools.accumulate(w for _, w in choices))))
    return rng.choices(population, cum_weights=cumulative)[0]


def generate_city(db: Database, *, towns: int = 3, orgs_per_town: int = 4,
                  members_per_org: int = 33, year: int = 2027, seed: int = 1,
                  now: datetime | None = None, open_viewings: int = 20,
                  playbacks_per_session: tuple[int, int] = (2, 10), chunk: int = CHUNK,
                  progress: Callable[[str], None] | None = None) -> City:
    """Insert a city into ``db`` (an empty one, or one whose ledger ``CITY-TEST`` is
    empty). ``open_viewings``: playbacks per station outside any session (evenings)."""
    now = now or datetime(year, 10, 15, 10, 0, tzinfo=ZONE)
    rng = random.Random(seed)
    sink = _Sink(db, chunk)
    ids = _Ids(db, [OrgNode.__table__, Member.__table__, MemberGroup.__table__,
                    User.__table__, LibraryRoot.__table__, Item.__table__,
                    StudySession.__table__, PlaylistEntry.__table__,
                    MustWatch.__table__])
    made = datetime(year - 1, 12, 1, tzinfo=UTC)
    say = progress or (lambda _message: None)

    city, orgs = _tree(sink, ids, rng, towns, orgs_per_town, members_per_org, made)
    say(f"tree: {len(orgs)} organizations, {sum(len(o.people) for o in orgs)} members")
    items, durations, must_watch = _library(sink, ids, rng, city.city_id, year, made)
    sink.flush()
    studies = _sessions(sink, ids, rng, orgs, items, must_watch, year, now, made)
    sink.flush()
    say(f"sessions: {len(studies)}")
    ledger = _Ledger(sink, rng, now)
    by_org: dict[int, list[_Study]] = {}
    for study in studies:
        by_org.setdefault(study.org.id, []).append(study)
    neighbours = {o.id: orgs[(i + 1) % len(orgs)] for i, o in enumerate(orgs)}
    for n, home in enumerate(orgs):
        ledger.organization(home, by_org[home.id], neighbours[home.id], durations, year,
                            open_viewings, playbacks_per_session)
        if progress and n % 500 == 499:
            say(f"evidence: {n + 1} organizations")
    sink.flush()
    _fix_sequences(db, list(ids.next))
    city.session_ids = [s.id for s in studies]
    city.now = now
    city.rows = dict(sink.counts)
    return city


# ---- the tree, rosters, groups and accounts


def _tree(sink: _Sink, ids: _Ids, rng: random.Random, towns: int, orgs_per_town: int,
          members_per_org: int, made: datetime
          ) -> tuple[City, list[_Org]]:
    nodes = OrgNode.__table__

    def node(parent: dict[str, Any] | None, kind: str, name: str,
             code: str | None = None) -> dict[str, Any]:
        node_id = ids.take(nodes)
        row = {"id": node_id, "parent_id": parent["id"] if parent else None, "kind": kind,
               "name": name, "code": code,
               "path": f"{parent['path'] if parent else '/'}{node_id}/",
               "station_token_digest": None, "station_token_salt": None,
               "token_issued_at": None, "created_at": made}
        sink.add(nodes, row)
        return row

    root = node(None, "city", "测试市")
    city = City(root["id"], [], [], [], [], [], made)
    orgs: list[_Org] = []
    serial = 0
    town_rows = [node(root, "town", f"第{t + 1}镇") for t in range(towns)]
    org_rows = []
    for town in town_rows:
        city.town_ids.append(town["id"])
        city.orgs_of_town[town["id"]] = []
        for k in range(orgs_per_town):
            org_rows.append((town, node(town, "organization", f"第{k + 1}村党支部")))
    for town, org in org_rows:
        index = len(orgs)
        station: int | None = None
        label: str | None = None
        if index % 97 == 5:
            city.no_station.append(org["id"])  # sessions there count tagged playback only
        else:
            serial += 1
            code = None if index % 50 == 2 else f"ST-{serial:04d}"
            row = node(org, "station", "活动室终端", code)
            station, label = row["id"], code or f"station-{row['id']}"
            city.station_ids.append(station)
            if code is None:
                city.no_station_code.append(org["id"])
        orgs.append(_Org(org["id"], index, town["id"], station, label, [], f"user:st{index}"))
        city.org_ids.append(org["id"])
        city.orgs_of_town[town["id"]].append(org["id"])
    sink.flush()
    for home in orgs:
        _roster(sink, ids, rng, home, members_per_org, made)
        city.member_ids.extend(p.id for p in home.people)
        if home.index % 10 != 3:  # a few organizations have no station administrator
            sink.add(User.__table__, {
                "id": ids.take(User.__table__), "username": f"st{home.index}",
                "display_name": f"管理员{home.index}", "password_hash": "not-a-hash",
                "role": "station_admin", "node_id": home.id, "member_id": None,
                "disabled": False, "must_change_password": False,
                "password_changed_at": made, "last_login_at": None, "created_at": made})
    return city, orgs


def _roster(sink: _Sink, ids: _Ids, rng: random.Random, home: _Org, size: int,
            made: datetime) -> None:
    count = max(size + rng.randint(-3, 3), 4)
    group_id = ids.take(MemberGroup.__table__)
    sink.add(MemberGroup.__table__, {"id": group_id, "org_id": home.id, "name": GROUP,
                                     "created_at": made})
    for n in range(count):
        category = _weighted(rng, CATEGORIES)
        exempt = rng.random() < 0.04
        person = _Person(ids.take(Member.__table__), home.id, category, exempt,
                         rng.random() < 0.4)
        home.people.append(person)
        sink.add(Member.__table__, {
            "id": person.id, "org_id": home.id, "name": f"党员{home.index}-{n}",
            "phone": f"139{person.id:08d}", "category": category, "exempt": exempt,
            "note": "免于参加组织生活" if exempt else "", "created_at": made,
            "updated_at": made})
        if person.in_group:
            sink.add(GroupMember.__table__, {"group_id": group_id, "member_id": person.id})


# ---- the library and what must be watched


def _library(sink: _Sink, ids: _Ids, rng: random.Random, city_id: int, year: int,
             made: datetime) -> tuple[list[int], dict[int, float | None], list[int]]:
    root = ids.take(LibraryRoot.__table__)
    sink.add(LibraryRoot.__table__, {"id": root, "path": "/srv/课件库", "added_at": made,
                                     "last_scan_at": made})
    themes = [*LEARNING_THEMES, Theme.UNCLASSIFIED]
    items: list[int] = []
    durations: dict[int, float | None] = {}
    for n in range(40):
        item_id = ids.take(Item.__table__)
        theme = themes[n % len(themes)].value
        kind = "document" if n % 10 == 9 else "audio" if n % 10 == 7 else "video"
        duration = None if kind == "document" else float(rng.randint(300, 3600))
        name = f"{theme}/课件{n:03d}.{'pdf' if kind == 'document' else 'mp4'}"
        sink.add(Item.__table__, {
            "id": item_id, "root_id": root, "rel_path": name,
            "rel_path_raw": name.encode(), "title": f"课件{n:03d}",
            "title_source": "filename", "description": "", "tags": [], "theme": theme,
            "rule_theme": theme, "theme_reason": "", "theme_confidence": 0.9, "kind": kind,
            "size": rng.randint(10**6, 10**9), "mtime_ns": 1_700_000_000 * 10**9 + n,
            "fingerprint": f"{n:064x}", "duration": duration, "container": "",
            "video_codec": "", "audio_codec": "", "width": None, "height": None,
            "streams": [], "browser_playable": kind != "document", "disc_id": None,
            "disc_index": None, "disc_path": "", "chapters": [], "locator": {},
            "missing_since": None, "added_at": made, "updated_at": made})
        items.append(item_id)
        durations[item_id] = duration
    must_watch = items[:2]
    for item_id in must_watch:
        sink.add(MustWatch.__table__, {
            "id": ids.take(MustWatch.__table__), "item_id": item_id, "issued_by": city_id,
            "issued_on": date(year, 1, 5), "deadline": date(year, 12, 31),
            "node_ids": [city_id], "note": "", "created_at": made})
    return items, durations, must_watch


# ---- a year of sessions per organization


def _sessions(sink: _Sink, ids: _Ids, rng: random.Random, orgs: list[_Org],
              items: list[int], must_watch: list[int], year: int, now: datetime,
              made: datetime) -> list[_Study]:
    studies: list[_Study] = []
    ordinary = items[2:]  # the must-watch items turn up in a few playlists only

    def add(home: _Org, kind: str, title: str, starts: datetime, minutes: int,
            group: str = "", cancelled: bool = False,
            makes_up: list[int] | None = None, notice_at_start: bool = False) -> _Study:
        ends = starts + timedelta(minutes=minutes)
        playlist = rng.sample(ordinary, rng.choice((2, 2, 3)))
        if rng.random() < 0.05:
            playlist[0] = rng.choice(must_watch)
        study = _Study(ids.take(StudySession.__table__), home, kind, group, starts, ends,
                       cancelled, playlist, makes_up or [])
        notice = starts if notice_at_start else _notice(rng, starts, now)
        sink.add(StudySession.__table__, {
            "id": study.id, "org_id": home.id, "station_id": home.station, "rule_id": None,
            "kind": kind, "group_name": group, "title": title, "starts_at": starts,
            "ends_at": ends, "moved": False, "notice": "通知" if notice else "",
            "notice_published_at": notice, "topics": ["party_building"],
            "discussion_minutes": 30, "created_at": made, "moved_at": None,
            "cancelled_at": starts - timedelta(days=2) if cancelled else None,
            "cancel_reason": "防汛" if cancelled else "", "makes_up": study.makes_up})
        for position, item_id in enumerate(playlist):
            sink.add(PlaylistEntry.__table__, {
                "id": ids.take(PlaylistEntry.__table__), "session_id": study.id,
                "position": position, "item_id": item_id, "note": ""})
        studies.append(study)
        return study

    for home in orgs:
        monthly = []
        for month in range(1, 13):
            day = date(year, month, 3 + (home.index * 7 + month * 3) % 23)
            minutes = rng.choice((150, 170)) if rng.random() < 0.06 else 240
            monthly.append(add(home, "prescribed", f"{month}月主题党日", _local(day, 8, 30),
                               minutes, notice_at_start=month == 3 and home.index % 4 == 0))
        # Electives: one on the first of a month at 07:00 (the day before in UTC, so a
        # month's or quarter's bounds are tested in local time), one for the group, and
        # now and then one for the whole organization or for a group that is gone.
        first = date(year, 1 + home.index % 12, 1)
        add(home, "elective", "小组学习", _local(first, 7), 120, GROUP)
        add(home, "elective", "专题学习", _local(date(year, 1 + (home.index + 5) % 12, 20), 14,
                                             30), 120, GROUP)
        if rng.random() < 0.3:
            add(home, "elective", "全体学习", _local(date(year, 1 + (home.index + 2) % 12, 26),
                                                 14, 30), 90)
        if home.index % 6 == 1:
            add(home, "elective", "旧小组学习",
                _local(date(year, 1 + (home.index + 8) % 12, 27), 14, 30), 90, NO_SUCH_GROUP)
        if home.index % 3 == 0:
            add(home, "july1", "七一主题活动", _local(date(year, 7, 1), 9), 180)
        add(home, "prescribed", "临时活动", _local(date(year, 1 + home.index % 9, 28), 8, 30),
            240, cancelled=True)
        made_up = [monthly[1].id, monthly[2].id]
        add(home, "makeup", "补课", monthly[2].starts + timedelta(days=20, hours=1), 120,
            makes_up=made_up)
    return studies


def _notice(rng: random.Random, starts: datetime, now: datetime) -> datetime | None:
    draw = rng.random()
    if draw < 0.08:
        return None
    if draw < 0.18:
        published = starts + timedelta(minutes=rng.randint(1, 48 * 60))  # after the start
    elif draw < 0.2:
        published = starts  # at the start exactly: still in time
    else:
        published = starts - timedelta(hours=rng.randint(1, 120))
    return published if published <= now else None


# ---- the ledger's projections


class _Ledger:
    """Attendance rows, playbacks and records, seqs unique and increasing in one ledger."""

    def __init__(self, sink: _Sink, rng: random.Random, now: datetime) -> None:
        self.sink = sink
        self.rng = rng
        self.now = now
        self.seq = 0

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    # ---- attendance

    def mark(self, study: _Study, kind: str, at: datetime, *, member: int | None = None,
             guest: str = "", status: str = "", method: str = "", actor: str = "",
             device: str = "", replaces: int | None = None, refusal: str = "",
             sheet: str = "", at_event: datetime | None = None,
             late_entry: bool | None = None) -> int | None:
        """One attendance row; none (and None) when ``at`` is after now."""
        if at > self.now:
            return None
        seq = self._next()
        late = at > study.ends + LATE_ENTRY if late_entry is None else late_entry
        self.sink.add(AttendanceRow.__table__, {
            "ledger": LEDGER, "seq": seq, "kind": kind, "session_id": study.id,
            "member_id": member, "guest_name": guest, "status": status, "method": method,
            "actor": actor, "device": device, "nonce": "",
            "at": at, "at_event": at_event or at, "reason": "事假" if status == "leave" else "",
            "late_entry": late, "replaces_seq": replaces, "refusal": refusal,
            "sheet_sha256": sheet})
        return seq

    def organization(self, home: _Org, studies: list[_Study], neighbour: _Org,
                     durations: dict[int, float | None], year: int, open_viewings: int,
                     playbacks_per_session: tuple[int, int]) -> None:
        owing: dict[int, list[int]] = {}  # session → members on leave or absent
        by_id = {s.id: s for s in studies}
        for study in studies:
            if study.starts > self.now:
                continue  # the future has no rows
            if study.kind == "makeup":
                self.makeup_session(study, [by_id[i] for i in study.makes_up], owing)
            else:
                owing[study.id] = self.attendance(study, neighbour)
            if not study.cancelled or self.rng.random() < 0.5:
                self.playbacks(study, durations, playbacks_per_session, neighbour)
            self.records(study)
        for study in studies:
            for member in owing.get(study.id, []):
                if self.rng.random() < 0.35:
                    late = self.rng.random() < 0.1
                    at = study.ends + timedelta(days=self.rng.randint(2, 50))
                    self.mark(study, "makeup.done", at, member=member, method="playback",
                              actor=f"member:{member}", late_entry=late,
                              at_event=at - timedelta(days=3) if late else at)
        self.open_viewing(home, durations, year, open_viewings)

    def attendance(self, study: _Study, neighbour: _Org) -> list[int]:
        """The rows of a session; the members left owing (leave or absent in force)."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.03:
            return []  # nobody marked anybody
        paper = draw < 0.06  # every mark typed in from the paper sheet days later
        home = study.org
        if study.kind == "elective" and study.group:
            expected = [p for p in home.people if p.expectable and p.in_group
                        and study.group == GROUP]
        else:
            expected = [p for p in home.people if p.expectable]
        burst = f"d-burst-{study.id}" if rng.random() < 0.1 else ""
        burst_left = rng.randint(6, 10)
        owing = []
        for person in expected:
            status = _weighted(rng, MARKS)
            if status is None:
                if rng.random() < 0.05:  # only a refused attempt, which marks nothing
                    self.mark(study, "attendance.refused", study.starts, member=person.id,
                              status="present", method="tv_qr", refusal="device_limit",
                              late_entry=rng.random() < 0.5)
                continue
            device = ""
            if burst and burst_left and status in ("present", "late"):
                device, burst_left = burst, burst_left - 1
            final = self.person(study, person.id, status, paper, device)
            if final in ("leave", "absent") and study.ends <= self.now:
                owing.append(person.id)
        if paper:
            return owing
        # People the session does not expect: activists, villagers, the exempt, those
        # outside the group, a neighbour, guests.
        listed = {p.id for p in expected}
        for person in home.people:
            if person.id in listed:
                continue
            if rng.random() < (0.3 if not person.expectable else 0.15):
                self.person(study, person.id, rng.choice(("present", "late", "present")),
                            False, "")
        if rng.random() < 0.05 and neighbour.people:
            self.person(study, rng.choice(neighbour.people).id, "present", False, "")
        for k in range(rng.choice((0, 0, 1, 2, 3))):
            guest = f"访客{k}"
            at = study.starts - timedelta(minutes=rng.randint(0, 20))
            self.mark(study, "attendance.signin", at, guest=guest, status="present",
                      method="kiosk", actor="kiosk", device=f"kiosk-{study.org.label}")
            if rng.random() < 0.15:  # the same guest twice: one line
                self.mark(study, "attendance.signin", at + timedelta(minutes=3), guest=guest,
                          status="present", method="kiosk", actor="kiosk")
        if rng.random() < 0.05:
            self.mark(study, "attendance.signin", study.starts, guest="路过的人",
                      status="leave", method="kiosk", actor="kiosk")
        if rng.random() < 0.1:
            self.mark(study, "attendance.sheet", study.ends + timedelta(hours=1),
                      method="admin", actor=home.admin, sheet="ab" * 32)
        return owing

    def person(self, study: _Study, member: int, status: str, paper: bool,
               device: str) -> str | None:
        """One person's rows in a session; the status in force at the end."""
        rng = self.rng
        home = study.org
        starts, ends = study.starts, study.ends
        if paper:
            at = ends + timedelta(hours=rng.randint(30, 120))
            seq = self.mark(study, "attendance.mark", at, member=member, status=status,
                            method="admin", actor=home.admin, at_event=starts)
            return status if seq else None
        if status in ("present", "late") and rng.random() < 0.04:
            # Signed on the paper sheet; the administrator types it in after a day.
            at = ends + timedelta(hours=rng.randint(25, 72))
            seq = self.mark(study, "attendance.mark", at, member=member, status=status,
                            method="admin", actor=home.admin, at_event=starts)
        elif status == "present":
            at = starts - timedelta(minutes=rng.randint(-10, 25))
            seq = self.mark(study, "attendance.signin", at, member=member, status=status,
                            method=rng.choice(("tv_qr", "kiosk")), actor=f"member:{member}",
                            device=device or f"d-{member}")
            if seq and rng.random() < 0.03:  # scanned twice
                seq = self.mark(study, "attendance.signin", at + timedelta(minutes=2),
                                member=member, status=status, method="tv_qr",
                                actor=f"member:{member}", device=device or f"d-{member}")
        elif status == "late":
            at = starts + timedelta(minutes=rng.randint(16, 70))
            seq = self.mark(study, "attendance.signin", at, member=member, status=status,
                            method="tv_qr", actor=f"member:{member}",
                            device=device or f"d-{member}")
        elif status == "absent":
            at = ends + timedelta(hours=rng.choice((0, 1, 2, 30)))
            seq = self.mark(study, "attendance.mark", at, member=member, status=status,
                            method="admin", actor=home.admin)
        else:  # leave, exempt: asked for before
            at = starts - timedelta(hours=rng.randint(1, 48))
            seq = self.mark(study, "attendance.mark", at, member=member, status=status,
                            method="admin", actor=home.admin)
        if seq is None:
            return None
        final = status
        if rng.random() < 0.05:
            final = rng.choice(("present", "late", "leave", "absent", "exempt"))
            at = ends + timedelta(hours=rng.choice((1, 5, 20, 30, 60)))
            corrected = self.mark(study, "attendance.correct", at, member=member,
                                  status=final, method="admin", actor=home.admin,
                                  replaces=seq)
            if corrected is None:
                return status
            if rng.random() < 0.3:  # a correction of the correction
                again = rng.choice(("present", "leave", "absent"))
                if self.mark(study, "attendance.correct", at + timedelta(hours=2),
                             member=member, status=again, method="admin",
                             actor=home.admin, replaces=corrected):
                    final = again
        return final

    def makeup_session(self, study: _Study, made_up: list[_Study],
                       owing: dict[int, list[int]]) -> None:
        """Those owing for the sessions it makes up come, and their make-ups are done."""
        for earlier in made_up:
            for member in owing.get(earlier.id, []):
                if self.rng.random() < 0.5:
                    continue
                self.mark(study, "attendance.signin", study.starts + timedelta(minutes=2),
                          member=member, status="present", method="tv_qr",
                          actor=f"member:{member}", device=f"d-{member}")
                self.mark(earlier, "makeup.done", study.ends, member=member,
                          method="makeup_session", actor="watcher", late_entry=False)
                owing[earlier.id] = [m for m in owing[earlier.id] if m != member]

    # ---- playbacks

    def play(self, station: str, item: int, opened: datetime, seconds: float,
             session: str | None, member: str | None = None) -> None:
        if opened > self.now:
            return
        open_seq = self._next()
        closed = opened + timedelta(seconds=seconds)
        close_seq = self._next() if closed <= self.now else None
        self.sink.add(Playback.__table__, {
            "ledger": LEDGER, "open_seq": open_seq, "station": station,
            "client": "192.168.1.20", "user_agent": "TV", "member": member,
            "session": session, "item_id": item, "title": f"课件{item}",
            "method": "direct", "opened_at": opened,
            "closed_at": closed if close_seq else None, "close_seq": close_seq,
            "bytes_sent": int(seconds * 250_000), "seconds": seconds if close_seq else 0.0,
            "ended_by": "ended" if close_seq else "", "failure": ""})

    def playbacks(self, study: _Study, durations: dict[int, float | None],
                  count: tuple[int, int], neighbour: _Org) -> None:
        rng = self.rng
        label = study.org.label
        tag = str(study.id)
        if rng.random() < 0.06:
            return  # signed in, nothing played
        spots = study.items

        def seconds(item: int) -> float:
            return round(rng.uniform(30, durations[item] or 600), 1)

        if label is not None:
            for _ in range(rng.randint(*count)):
                item = rng.choice(spots)
                span = (study.ends - study.starts).total_seconds() + 600
                opened = study.starts - timedelta(minutes=10) + timedelta(
                    seconds=rng.uniform(0, span))
                self.play(label, item, opened, seconds(item),
                          tag if rng.random() < 0.3 else None)
            if rng.random() < 0.1:  # the edges of the span: 30 minutes before, the end
                early = study.starts - timedelta(minutes=30)
                self.play(label, spots[0], early, 60.0, None)
                self.play(label, spots[0], early - timedelta(seconds=1), 60.0, None)
                self.play(label, spots[0], study.ends, 60.0, None)
                self.play(label, spots[0], study.ends + timedelta(seconds=1), 60.0, None)
        if rng.random() < 0.08 or label is None:  # its TV mode replayed the next evening
            self.play(label or "ST-MOBILE", spots[-1], study.ends + timedelta(hours=30),
                      seconds(spots[-1]), tag)
        if rng.random() < 0.03 and neighbour.label:  # in its TV mode at the neighbour's
            self.play(neighbour.label, spots[0], study.starts, seconds(spots[0]), tag)

    def open_viewing(self, home: _Org, durations: dict[int, float | None], year: int,
                     count: int) -> None:
        """Playbacks at the station on evenings, no session's."""
        if home.label is None:
            return
        items = list(durations)
        rng = self.rng
        for _ in range(count):
            day = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
            opened = _local(day, 19) + timedelta(seconds=rng.randint(0, 3 * 3600))
            item = rng.choice(items)
            self.play(home.label, item, opened, round(rng.uniform(20, durations[item] or 300),
                                                      1), None,
                      f"user:m{rng.randint(1, 99)}" if rng.random() < 0.1 else None)

    # ---- minutes and feedback

    def record(self, study: _Study, kind: str, at: datetime, supersedes: int | None = None,
               replies_to: int | None = None) -> int | None:
        if at > self.now:
            return None
        seq = self._next()
        late = at > study.ends + LATE_ENTRY
        self.sink.add(RecordRow.__table__, {
            "ledger": LEDGER, "seq": seq, "kind": kind, "session_id": study.id,
            "actor": study.org.admin, "nonce": "", "at": at,
            "at_event": study.ends if late else at, "late_entry": late,
            "supersedes_seq": supersedes, "replies_to": replies_to,
            "body": {"summary": "讨论"} if kind == "minutes.entered" else {"text": "反馈"}})
        return seq

    def records(self, study: _Study) -> None:
        rng = self.rng
        if study.ends > self.now:
            return
        for kind, share in (("minutes.entered", 0.8), ("feedback.sent", 0.7)):
            if rng.random() >= share:
                continue
            hours = rng.randint(30, 200) if rng.random() < 0.1 else rng.randint(1, 20)
            at = study.ends + timedelta(hours=hours)
            seq = self.record(study, kind, at)
            if seq is None:
                continue
            if rng.random() < 0.15:  # edited, maybe late, maybe twice
                at += timedelta(hours=rng.choice((2, 40)))
                edit = self.record(study, kind, at, supersedes=seq)
                if edit and rng.random() < 0.2:
                    self.record(study, kind, at + timedelta(hours=3), supersedes=edit)
            if kind == "feedback.sent" and rng.random() < 0.1:
                self.record(study, "feedback.reply", at + timedelta(hours=5), replies_to=seq)


def _fix_sequences(db: Database, tables: list[str]) -> None:
    """PostgreSQL hands out ids from a sequence, which ids given here did not move."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
