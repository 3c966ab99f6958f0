"""Attendance (issue 16): who a session expects, signing in and marking, corrections
that never overwrite, late entries, make-ups proven by playback, and the figures.

``from catalog import attendance`` gives the parts pages and the CLI use."""

from catalog.attendance.codes import WINDOW_SECONDS, check, code_for, current, window_of
from catalog.attendance.figures import (
    Standing,
    member_year,
    session_figures,
    session_standings,
)
from catalog.attendance.groups import groups, roster_of, set_group
from catalog.attendance.makeup import Makeup, makeup_of
from catalog.attendance.policy import Policy
from catalog.attendance.projection import AttendanceCheck, project
from catalog.attendance.rows import KINDS, STATUSES
from catalog.attendance.signin import Attempt, Attendance, Outcome, current_row

__all__ = ["KINDS", "STATUSES", "WINDOW_SECONDS", "Attempt", "Attendance", "AttendanceCheck",
           "Makeup", "Outcome", "Policy", "Standing", "check", "code_for", "current",
           "current_row", "groups", "makeup_of", "member_year", "project", "roster_of",
           "session_figures", "session_standings", "set_group", "window_of"]
