"""Numbers from requests (paths, query strings, forms, JSON bodies), parsed in one place.

Python's ``int()`` refuses strings of more than 4,300 digits with a ValueError, accepts
"²" through ``str.isdigit()`` only to fail on it, and ``float()`` reads "nan", "inf" and
"1e999" (infinity); a database refuses an id beyond its integer column. Each of these
was a 500. Here a number is ASCII digits of a sane length within stated bounds, and
anything else is a 400 that names the parameter and what it should be, with a key of
its own for each kind of value (issue 14.7): ``bad_integer``, ``bad_number``,
``bad_choice``; web/errors.py adds the parameter's name to the JSON as ``param``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from catalog.errors import BadRequest
from catalog.library.items import MAX_ID  # ids are 32-bit integer columns (PostgreSQL)

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,18})?")
SHOWN = 40  # characters of a bad value repeated in the message


def _refuse(key: str, name: str, raw: object, expected: str) -> BadRequest:
    text = str(raw)
    shown = text if len(text) <= SHOWN else text[:SHOWN] + "…"
    return BadRequest(key, name=name, value=shown, expected=expected)


def parse_int(raw: str, name: str, low: int, high: int) -> int:
    text = raw.strip()
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise _refuse("bad_integer", name, raw, f"{low}–{high}")
    return int(text)


def parse_number(raw: str, name: str, low: float, high: float) -> float:
    text = raw.strip()
    if not _DECIMAL.fullmatch(text) or not low <= float(text) <= high:
        raise _refuse("bad_number", name, raw, f"{low:g}–{high:g}")
    return float(text)


def parse_choice(raw: object, name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (a theme, a sort order, a form's action)."""
    if not isinstance(raw, str) or raw not in allowed:
        raise _refuse("bad_choice", name, raw, ", ".join(allowed))
    return raw


def choice_param(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    return None if raw is None or raw == "" else parse_choice(raw, name, allowed)


def parse_id(raw: object) -> int | None:
    """An id as a form or query string gives it; None when it cannot name a row."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    return default if raw is None or raw == "" else parse_int(raw, name, low, high)


def optional_int_param(request: Request, name: str, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    return None if raw is None or raw == "" else parse_int(raw, name, low, high)


def number_param(request: Request, name: str, low: float, high: float) -> float | None:
    raw = request.query_params.get(name)
    return None if raw is None or raw == "" else parse_number(raw, name, low, high)


def json_int(value: Any, name: str, low: int, high: int) -> int:
    """An integer from a JSON body (where true and false are ints to Python)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refuse("bad_integer", name, value, f"{low}–{high}")
    return value


def json_number(value: Any, name: str, low: float, high: float) -> float:
    """A finite number from a JSON body (Python's json reads NaN, Infinity and 1e999)."""
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not low <= value <= high):
        raise _refuse("bad_number", name, value, f"{low:g}–{high:g}")
    return float(value)


TOO_LONG = 10**40  # stands for an id of more digits than that: no int() of 4,300 digits


class IdConvertor(Convertor[int]):
    """``{item_id:id}``: a number of any length; one of more than 40 digits is read as
    TOO_LONG, never handed to ``int()``. web/auth.py answers any id beyond MAX_ID with
    the "not found" of what it names (the columns are 32-bit integers)."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        return int(value) if len(value) <= 40 else TOO_LONG

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())
