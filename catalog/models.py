"""Every table of every area, gathered for Alembic (catalog/migrations/env.py) and for
code that needs the whole schema (tests that compare it with the migrations). An area's
code imports its own and lower areas' models directly, never this module, so that the
import contracts between areas hold (pyproject.toml)."""

from catalog.attendance.models import AttendanceRow, GroupMember, MemberGroup
from catalog.evidence.models import LedgerCheckpoint, LedgerLock, LedgerRow, Playback
from catalog.library.models import Disc, Item, LibraryRoot, ScanError, ScanRun, ThemeOverride
from catalog.org.models import LoginFailure, LoginSession, Member, OrgNode, User
from catalog.planning.models import (
    ActivityRule,
    MustWatch,
    Plan,
    PlaylistEntry,
    PlaylistExport,
    StudySession,
)
from catalog.records.models import RecordRow
from catalog.reports.models import ReportCardRow
from catalog.schema import Base, UTCDateTime, utcnow

__all__ = ["ActivityRule", "AttendanceRow", "Base", "Disc", "GroupMember", "Item",
           "LedgerCheckpoint", "LedgerLock", "LedgerRow", "LibraryRoot", "LoginFailure",
           "LoginSession", "Member", "MemberGroup", "MustWatch", "OrgNode", "Plan", "Playback",
           "PlaylistEntry", "PlaylistExport", "RecordRow", "ReportCardRow", "ScanError",
           "ScanRun", "StudySession", "ThemeOverride", "UTCDateTime", "User", "utcnow"]
