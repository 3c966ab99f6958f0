"""The policy's rules for a study session, in one place: each check has a code, a
severity and a message (catalog.messages, key ``rule_<code>``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from catalog.messages import message

ERROR, WARNING = "error", "warning"
SPECIAL_KINDS = {"special"}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    fields: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str = "zh") -> str:
        return message(f"rule_{self.code}", lang, **self.fields)

    def json(self, lang: str = "zh") -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "message": self.message(lang)}


@dataclass(frozen=True)
class Entry:
    """A playlist item as the rules see it."""

    item_id: int
    title: str
    theme: str
    seconds: float | None  # None: no duration known
    present: bool  # in the catalog and not missing from disk
    playable: bool  # video or audio with a duration


@dataclass(frozen=True)
class Due:
    """A must-watch item due for this session's organization."""

    item_id: int
    title: str
    deadline: date
    scheduled_elsewhere: bool  # in another session of the organization before the deadline


@dataclass(frozen=True)
class SessionFacts:
    kind: str
    starts_at: datetime
    ends_at: datetime
    discussion_minutes: int
    notice_published_at: datetime | None
    entries: Sequence[Entry]
    due: Sequence[Due]
    overlapping: Sequence[str]  # titles of other sessions at the station at the same time
    min_minutes: int = 180


def playback_seconds(entries: Sequence[Entry]) -> float:
    return sum(e.seconds or 0.0 for e in entries)


def check(facts: SessionFacts, now: datetime) -> list[Finding]:
    found: list[Finding] = []
    minutes = round(playback_seconds(facts.entries) / 60) + facts.discussion_minutes
    if minutes < facts.min_minutes:
        found.append(Finding("length", ERROR, {"minutes": minutes, "min": facts.min_minutes}))
    themes = {e.theme for e in facts.entries if e.theme != "unclassified"}
    if facts.kind not in SPECIAL_KINDS and len(themes) < 2:
        found.append(Finding("themes", ERROR, {"count": len(themes)}))
    listed = {e.item_id for e in facts.entries}
    for due in facts.due:
        if due.item_id not in listed and not due.scheduled_elsewhere:
            found.append(Finding("must_watch", ERROR, {"title": due.title,
                                                       "deadline": due.deadline.isoformat()}))
    for entry in facts.entries:
        if not entry.present:
            found.append(Finding("missing", ERROR, {"title": entry.title}))
        elif not entry.playable:
            found.append(Finding("unplayable", WARNING, {"title": entry.title}))
    for other in facts.overlapping:
        found.append(Finding("overlap", ERROR, {"title": other}))
    published = facts.notice_published_at
    if published is None or published > facts.starts_at:
        late = now >= facts.starts_at
        found.append(Finding("notice", ERROR if late else WARNING, {}))
    return found
