"""Reading rosters as organizers save them, and writing them back safely."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from catalog.errors import BadRequest
from catalog.org import roster


def test_a_gbk_csv_from_chinese_excel_reads() -> None:
    text = "姓名,手机,身份,免学,支部\n张三,138 0000 0001,预备党员,是,东村党支部\n\n"
    rows = roster.read_table(text.encode("gbk"), "花名册.CSV")
    assert rows == [(2, {"name": "张三", "phone": "138 0000 0001", "category": "预备党员",
                         "exempt": "是", "organization": "东村党支部"})]


def test_a_utf8_csv_with_a_bom_reads() -> None:
    rows = roster.read_table("\ufeffName,Phone\n李四,+86 13800000002\n".encode(), "r.csv")
    assert rows == [(2, {"name": "李四", "phone": "+86 13800000002"})]


@pytest.mark.parametrize(("data", "name", "key"), [
    (b"PK\x03\x04 not really a zip", "r.xlsx", "roster_unreadable"),
    (b"anything", "r.xls", "roster_bad_type"),
    ("手机,备注\n1,2\n".encode(), "r.csv", "roster_no_name_column"),
    (b"", "r.csv", "roster_empty"),
])
def test_unreadable_files_say_what_to_do(data: bytes, name: str, key: str) -> None:
    with pytest.raises(BadRequest) as caught:
        roster.read_table(data, name)
    assert caught.value.key == key
    assert caught.value.message("zh")


def test_exports_never_carry_formulas() -> None:
    table: list[list[object]] = [["姓名", "备注"], ["=HYPERLINK(\"http://x\")", "@SUM(A1)"]]
    assert roster.to_csv(table).decode("utf-8-sig").splitlines()[1].startswith("\"'=HYPER")
    sheet = load_workbook(io.BytesIO(roster.to_xlsx(table))).worksheets[0]
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"
