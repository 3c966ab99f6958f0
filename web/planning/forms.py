"""What the planning forms share: the server's time zone, dates and times as typed, and a
form that came back with a mistake (its values kept, the message beside its field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request

from catalog import planning
from catalog.errors import BadRequest, YuanjiaoError
from web.i18n import pick_lang


def zone_of(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def parse_date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest("bad_date", name=field, value=raw) from None


def parse_minute(raw: str, field: str) -> int:
    try:
        hours, minutes = (int(part) for part in raw.strip().split(":"))
    except ValueError:
        raise BadRequest("bad_time", name=field, value=raw) from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise BadRequest("bad_time", name=field, value=raw)
    return hours * 60 + minutes


def form_span(form: Any, zone: ZoneInfo) -> tuple[datetime, datetime]:
    day = parse_date(str(form.get("date", "")), "date")
    start = planning.local(day, parse_minute(str(form.get("start", "")), "start"), zone)
    end = planning.local(day, parse_minute(str(form.get("end", "")), "end"), zone)
    return start, end


# ---- a form with a mistake comes back with its values and the message beside the field


@dataclass(frozen=True)
class FormProblem:
    form: str  # which form on the page: "create-12", "rule-3", "must-watch", "publish" …
    field: str  # the input the message stands beside ("" when none is to blame)
    message: str
    values: dict[str, str]


# Which input an error names, by the error's own fields, else by its key.
_FIELD_OF_KEY = {"bad_span": "end", "bad_rule": "rule", "bad_rule_day": "rule_day",
                 "bad_rule_ending": "rule_ending", "bad_deadline": "deadline",
                 "must_watch_item_unclear": "item_query", "must_watch_item_needed":
                 "item_query", "item_not_found": "item_query", "cancel_reason_needed":
                 "reason", "node_not_found": "node_ids", "must_watch_scope": "node_ids"}


def form_problem(request: Request, form_key: str, error: YuanjiaoError, form: Any
                 ) -> FormProblem:
    name = error.fields.get("name") or error.fields.get("field") or _FIELD_OF_KEY.get(
        error.key, "")
    values = {key: str(value)[:5000] for key, value in form.multi_items()
              if isinstance(value, str) and key != "csrf"}
    values |= {f"{key}[]": "\n".join(str(v) for v in form.getlist(key))
               for key in ("node_ids", "topics")}
    return FormProblem(form_key, str(name), error.message(pick_lang(request)), values)
