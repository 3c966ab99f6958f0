"""Every area's projections of ledger rows, for ``ledger verify`` and the checkpoint
page: gathered here, above the areas, as catalog/models.py gathers their tables (the
evidence area cannot name the areas built on it)."""

from __future__ import annotations

from pathlib import Path

from catalog.attendance.projection import AttendanceCheck, SheetFilesCheck, project
from catalog.evidence.ledger import Apply
from catalog.evidence.projections import ProjectionCheck, checks
from catalog.records.projection import PhotoFilesCheck, RecordsCheck
from catalog.records.projection import project as project_records
from catalog.reports.cards import CardsCheck
from catalog.reports.cards import project as project_cards


def projection_checks(data_dir: Path | None = None) -> list[ProjectionCheck]:
    """``data_dir``: where the files rows name (sign-in sheets) are kept, to check them too."""
    found: list[ProjectionCheck] = [*checks(), AttendanceCheck(), RecordsCheck(), CardsCheck()]
    if data_dir is not None:
        found += [SheetFilesCheck(data_dir), PhotoFilesCheck(data_dir)]
    return found


def projectors() -> list[Apply]:
    """The projections written with their rows, beyond the playbacks (Evidence's own)."""
    return [project, project_records, project_cards]
