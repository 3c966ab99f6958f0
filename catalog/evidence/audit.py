"""The verdicts of ``yuanjiao ledger verify``, for the command line and the checkpoint
page alike: one ledger as the database holds it, or an export file, each optionally
against a code read on the telephone and an earlier export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from catalog.evidence.checkpoints import checkpoints, display_code
from catalog.evidence.ledger import rows
from catalog.evidence.models import LedgerRow
from catalog.evidence.projections import ProjectionCheck, checks
from catalog.evidence.verify import Export, Problem, Report, first_difference, verify
from catalog.messages import message


def grace(checkpoint_minutes: int) -> timedelta:
    """The server signs within checkpoint_minutes; a minute more for a row being signed."""
    return timedelta(minutes=checkpoint_minutes + 1)


def prefer(report: Report, difference: Problem | None) -> None:
    """The first row that differs from an earlier copy says more than a problem found
    later in the ledger, or one that names no row (a code no checkpoint has)."""
    current = report.problem
    if difference is not None and (current is None or current.seq is None
                                   or (difference.seq or 0) < current.seq):
        report.problem = difference


def verify_stored(connection: Connection, name: str, public_key: str | None,
                  code: str | None, unsigned_grace: timedelta,
                  earlier: Export | None = None,
                  projections: list[ProjectionCheck] | None = None) -> Report:
    """Ledger ``name`` as stored, its projections recomputed and compared (by default
    this area's; catalog/verification.py lists every area's)."""
    projections = checks() if projections is None else projections
    report = verify(name, rows(connection, name), checkpoints(connection, name), public_key,
                    code, unsigned_grace=unsigned_grace, observers=projections)
    for projection in projections if report.ok else []:
        report.problem = report.problem or projection.compare(connection, name)
    if earlier is not None:
        prefer(report, first_difference(rows(connection, name), earlier.entries))
    return report


def verify_export(export: Export, public_key: str | None, code: str | None,
                  unsigned_grace: timedelta | None, earlier: Export | None = None) -> Report:
    report = verify(export.ledger, export.entries, export.checkpoints,
                    public_key or export.public_key, code, unsigned_grace=unsigned_grace)
    if earlier is not None:
        prefer(report, first_difference(export.entries, earlier.entries))
    return report


def ledger_names(connection: Connection) -> list[tuple[str, int]]:
    """Every ledger the database holds, with its row count."""
    found = connection.execute(select(LedgerRow.ledger, func.count()).group_by(LedgerRow.ledger)
                               .order_by(LedgerRow.ledger))
    return [(name, count) for name, count in found.all()]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    lines: list[str]  # what the command line prints and the checkpoint page shows


def verdict(report: Report, lang: str) -> Verdict:
    if report.ok:
        lines = [message("verify_ok", lang, ledger=report.ledger, rows=report.rows,
                         checkpoints=report.checkpoints, last_at=report.last_at or "-")]
        if report.unsigned:
            lines.append(message("verify_ok_unsigned", lang, unsigned=report.unsigned))
        if report.matched is not None:  # the telephone check: say what the code covers
            lines.append(message("verify_code_matched", lang,
                                 code=display_code(report.matched.code),
                                 seq=report.matched.seq, at=report.matched.at))
        return Verdict(True, lines)
    problem = report.problem
    assert problem is not None
    reason = message(problem.key, lang, **problem.detail)
    if problem.seq is None:
        return Verdict(False, [message("verify_failed_ledger", lang, ledger=report.ledger,
                                       reason=reason)])
    return Verdict(False, [message("verify_failed", lang, ledger=report.ledger,
                                   seq=problem.seq, reason=reason)])
