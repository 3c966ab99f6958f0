"""The record books as printable A4 pages and as XLSX (issue 17.6): one organization, one
month (``period=2027-03``) or year (``period=2027``). Every printed page carries the
ledger's name, its latest checkpoint's telephone code and a QR code of the checkpoint
page, so a paper copy can be checked against the ledger."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from catalog import org
from catalog.attendance import Policy
from catalog.errors import BadRequest
from catalog.evidence.checkpoints import checkpoints, display_code
from catalog.messages import message
from catalog.records import books
from web.i18n import pick_lang
from web.params import parse_choice
from web.views import render


def parse_period(raw: str, zone: ZoneInfo) -> tuple[datetime, datetime, str]:
    """``2027-03`` a month, ``2027`` a year: (start, end, the period as written)."""
    text = raw.strip()
    try:
        if len(text) == 7:
            first = date.fromisoformat(text + "-01")
            last = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        elif len(text) == 4 and text.isdigit():
            first, last = date(int(text), 1, 1), date(int(text) + 1, 1, 1)
        else:
            raise ValueError(text)
    except ValueError:
        raise BadRequest("bad_period", value=text[:20]) from None
    return (datetime.combine(first, datetime.min.time(), zone),
            datetime.combine(last, datetime.min.time(), zone), text)


def _load(request: Request) -> tuple[Any, Any, dict[str, Any]]:
    settings = request.app.state.settings
    zone = ZoneInfo(settings.timezone)
    lang = pick_lang(request)
    code = parse_choice(request.query_params.get("book", "viewing"), "book", books.BOOKS)
    default = datetime.now(zone).strftime("%Y-%m")
    start, end, period = parse_period(request.query_params.get("period", default), zone)
    with request.app.state.db.session() as session:
        home = org.get_node(session, request.path_params["node_id"])
        if home.kind != org.Kind.ORGANIZATION:
            raise BadRequest("session_needs_organization", name=home.name)
        found = books.book(session, code, home, start, end, zone, lang, Policy.of(settings),
                           settings.station,
                           (settings.viewing_min_seconds, settings.viewing_cap_minutes))
    with request.app.state.db.engine.connect() as connection:
        last = checkpoints(connection, settings.station, last_only=True)
    facts = {"ledger": settings.station, "period": period, "lang": lang,
             "code": display_code(last[0].code) if last else "",
             "signed_at": last[0].at[:16].replace("T", " ") if last else ""}
    return home, found, facts


def books_page(request: Request) -> Response:
    home, found, facts = _load(request)
    if request.query_params.get("format") == "xlsx":
        return _xlsx(home, found, facts)
    import segno

    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    verify_url = f"{base}{request.app.url_path_for('ledger_page')}"
    qr = segno.make(verify_url, error="m").svg_data_uri(scale=3, border=1)
    return render(request, "book.html", home=home, book=found, facts=facts, qr=qr,
                  verify_url=verify_url, books=books.BOOKS,
                  title=message(f"book_title_{found.code}", facts["lang"]))


def _xlsx(home: Any, found: books.Book, facts: dict[str, Any]) -> Response:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    lang = facts["lang"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(message(f"book_title_{found.code}", lang)[:31])

    def cells(values: list[Any]) -> list[Any]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value if isinstance(value, int | float)
                                 else str(value))
            if not isinstance(value, int | float):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            out.append(cell)
        return out

    sheet.append(cells([f"{home.name} · {message(f'book_title_{found.code}', lang)} · "
                        f"{facts['period']}"]))
    sheet.append(cells([message("book_ledger_line", lang, ledger=facts["ledger"],
                                code=facts["code"] or "—", at=facts["signed_at"] or "—")]))
    sheet.append(cells([header for _, header in found.columns]))
    for row in found.rows:
        sheet.append(cells([row.get(key, "") for key, _ in found.columns]))
    out = io.BytesIO()
    workbook.save(out)
    name = f"{found.code}-{facts['period']}.xlsx"
    return Response(out.getvalue(), media_type="application/vnd.openxmlformats-officedocument"
                    ".spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
