"""The printed forms of a report (PDF and the print page): the ledger's latest checkpoint
code and a QR code of the verify page on every one, so a paper copy can be checked."""

from __future__ import annotations

from typing import Any

from catalog.evidence.checkpoints import checkpoints, display_code
from catalog.reports.table import Report
from catalog.settings import Settings


def ledger_facts(db: Any, settings: Settings, base_url: str) -> dict[str, str]:
    with db.engine.connect() as connection:
        last = checkpoints(connection, settings.station, last_only=True)
    base = settings.public_url or base_url or "http://127.0.0.1"
    return {"ledger": settings.station,
            "code": display_code(last[0].code) if last else "",
            "signed_at": last[0].at[:16].replace("T", " ") if last else "",
            "verify_url": f"{base.rstrip('/')}/ledger"}


def verify_qr(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=3, border=1))


def report_html(report: Report, lang: str, facts: dict[str, str]) -> str:
    from web.reports.exports import print_html

    return print_html(report, lang, facts, verify_qr(facts["verify_url"]), facts["verify_url"])


def report_pdf_bytes(report: Report, lang: str, facts: dict[str, str]) -> bytes:
    from web.reports.exports import report_pdf

    return report_pdf(report_html(report, lang, facts), facts["verify_url"])
