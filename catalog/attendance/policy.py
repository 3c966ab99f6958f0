"""The attendance settings a station runs with, in one value the code passes around."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from catalog.planning.models import StudySession
from catalog.planning.sessions import SessionKind
from catalog.settings import Settings

# A member who signs in this long after the start is late (迟到).
LATE_AFTER = timedelta(minutes=15)
DEVICE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Policy:
    opens_minutes: int = 30
    device_limit: int = 3
    late_entry_hours: float = 24.0
    makeup_coverage: float = 0.9
    makeup_days: int = 60
    target_prescribed: float = 0.85
    target_elective: float = 0.75
    timezone: str = "Asia/Shanghai"

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(settings.signin_opens_minutes, settings.signin_device_limit,
                   settings.late_entry_hours, settings.makeup_coverage, settings.makeup_days,
                   settings.attendance_target_prescribed, settings.attendance_target_elective,
                   settings.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def opens_at(self, study: StudySession) -> datetime:
        return study.starts_at - timedelta(minutes=self.opens_minutes)

    def late_after(self, study: StudySession) -> datetime:
        """Rows written after this are late entries (补登)."""
        return study.ends_at + timedelta(hours=self.late_entry_hours)

    def makeup_until(self, study: StudySession) -> datetime:
        return study.ends_at + timedelta(days=self.makeup_days)

    def target(self, study: StudySession) -> float:
        if study.kind == SessionKind.ELECTIVE.value:
            return self.target_elective
        return self.target_prescribed
