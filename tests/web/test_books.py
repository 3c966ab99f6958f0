"""The record books (issue 17.6) for a month, against an independent count from the
ledger's rows; as XLSX (openpyxl reads it back); printed to PDF by headless Chromium on
A4 with no column cut."""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import select
from yj_hall import JSON, LEDGER, Hall, month_of_records

from catalog.models import LedgerRow

BOOKS = ("viewing", "signin", "minutes", "feedback", "intake", "operation", "roster")


def _ledger(hall: Hall, kind: str) -> list[dict[str, Any]]:
    with hall.db.session() as s:
        return [json.loads(p)["data"] for p in s.scalars(
            select(LedgerRow.payload).where(LedgerRow.ledger == LEDGER, LedgerRow.kind == kind))]


def test_the_books_of_a_month_match_the_ledger(hall: Hall) -> None:
    from openpyxl import load_workbook

    running, month = month_of_records(hall)
    node = hall.nodes["东村党支部"]
    hall.sign_in("dongcun")
    for code in BOOKS:
        page = hall.client.get(f"/org/{node}/books?book={code}&period={month}",
                               headers={"accept": "text/html"})
        assert page.status_code == 200, (code, page.text[:300])
        assert f"台账 {LEDGER}" in page.text
    got = hall.client.get(f"/org/{node}/books?book=viewing&period={month}&format=xlsx")
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.content)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    # Independently: the open rows at 东村站点 this month.
    opened = [d for d in _ledger(hall, "playback.open") if d["station"] == "CG-001"]
    assert len(rows) == len(opened) == 4
    # The "counted" column, by time: open viewing of item 2 counts once (10), its second
    # play 0, item 3's 90 s 0 (under 120 s), the session's 20 minutes as played.
    counted = [r[5] for r in rows]
    assert counted == [10.0, 0.0, 0.0, 20.0]
    signins = load_workbook(io.BytesIO(hall.client.get(
        f"/org/{node}/books?book=signin&period={month}&format=xlsx").content)).active
    lines = list(signins.iter_rows(min_row=4, values_only=True))
    signed = [d for d in _ledger(hall, "attendance.signin") if d["session"] == running]
    assert sum(1 for line in lines if line[3] == "出席") == len(signed) == 1
    minutes = load_workbook(io.BytesIO(hall.client.get(
        f"/org/{node}/books?book=minutes&period={month}&format=xlsx").content)).active
    cell = list(minutes.iter_rows(min_row=4, values_only=True))[0][4]
    assert cell == "=讨论了果树"  # text, never a formula
    assert minutes.cell(row=4, column=5).data_type == "s"
    assert hall.client.get(f"/org/{node}/books?book=x").status_code == 400
    assert hall.client.get(f"/org/{node}/books?period=2027-13").status_code == 400
    town = hall.nodes["城关镇"]
    hall.sign_in("chengguan")  # a town has no books of its own: its organizations do
    assert hall.client.get(f"/org/{town}/books", headers=JSON).status_code == 400
