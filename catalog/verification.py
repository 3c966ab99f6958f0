"""Every area's projections of ledger rows, for ``ledger verify`` and the checkpoint
page: gathered here, above the areas, as catalog/models.py gathers their tables (the
evidence area cannot name the areas built on it)."""

from __future__ import annotations

from catalog.attendance.projection import AttendanceCheck, project
from catalog.evidence.ledger import Apply
from catalog.evidence.projections import ProjectionCheck, checks


def projection_checks() -> list[ProjectionCheck]:
    return [*checks(), AttendanceCheck()]


def projectors() -> list[Apply]:
    """The projections written with their rows, beyond the playbacks (Evidence's own)."""
    return [project]
