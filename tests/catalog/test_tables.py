"""The one CSV writer: formula-looking text is written as text, numbers as numbers."""

from __future__ import annotations

import csv
import io

import pytest

from catalog.tables import safe_cell, to_csv


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+A1", "@SUM(A1)", "\t=1", "\r=1",
                                  "\n=1", '=HYPERLINK("http://x","y")'])
def test_formula_looking_text_is_text(text: str) -> None:
    assert safe_cell(text) == "'" + text
    read = list(csv.reader(io.StringIO(to_csv([[text]]).decode("utf-8-sig"))))
    assert read == [["'" + text]]


def test_other_cells_are_unchanged() -> None:
    assert [safe_cell(v) for v in ("水稻种植", "a=b", -5, 2.5, None)] == [
        "水稻种植", "a=b", -5, 2.5, ""]
    assert to_csv([["a", 1]]).startswith("\ufeff".encode())
