"""The checkpoint page: each ledger's latest signed checkpoint and its code (what the
station reads out on the telephone), and the inspector's two checks, with the verdicts
of ``yuanjiao ledger verify`` (catalog/evidence/audit.py): a code typed in against a ledger the
database holds, and an uploaded export (optionally with the code and an earlier export).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from catalog import verification
from catalog.evidence import audit
from catalog.evidence.checkpoints import checkpoints, display_code, load_or_create_key, public_hex
from catalog.evidence.ledger import head
from catalog.evidence.verify import Export, parse_export
from web.i18n import pick_lang, translator
from web.views import render

MAX_EXPORT_BYTES = 12 << 20  # the form limit of web/auth.py; a year of a station is < 1 MB
HEX_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass
class LedgerSummary:
    name: str
    rows: int
    head_at: str
    checkpoint_seq: int | None = None
    checkpoint_at: str = ""
    reason: str = ""
    code: str = ""


@dataclass
class Check:
    """One check asked on the page: its fields as typed, a message per bad field, and
    the verdict once it ran."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    verdict: audit.Verdict | None = None
    kind: str = ""  # "code" or "export"


def _summaries(request: Request) -> list[LedgerSummary]:
    found = []
    with request.app.state.db.engine.connect() as connection:
        for name, count in audit.ledger_names(connection):
            _, _, at = head(connection, name)
            summary = LedgerSummary(name, count, at)
            last = checkpoints(connection, name, last_only=True)
            if last:
                summary.checkpoint_seq, summary.checkpoint_at = last[0].seq, last[0].at
                summary.reason, summary.code = last[0].reason, display_code(last[0].code)
            found.append(summary)
    return found


def _own_key(request: Request) -> str:
    settings = request.app.state.settings
    if not settings.ledger_key_path.exists():
        return ""
    return public_hex(load_or_create_key(settings.ledger_key_path).public_key())


def _page(request: Request, check: Check | None = None, status: int = 200) -> Response:
    ledgers = _summaries(request)
    response = render(request, "ledger.html", ledgers=ledgers, check=check or Check(),
                      station=request.app.state.settings.station, own_key=_own_key(request))
    response.status_code = status
    return response


def ledger_page(request: Request) -> Response:
    return _page(request)


def _key_field(check: Check, lang: str) -> str | None:
    raw = check.values.get("public_key", "").strip().lower()
    if not raw:
        return None
    if not HEX_KEY.fullmatch(raw):
        check.errors["public_key"] = translator(lang)("ledger_bad_key")
    return raw


def _code_field(check: Check, lang: str, required: bool) -> str | None:
    raw = check.values.get("code", "").strip()
    if not raw:
        if required:
            check.errors["code"] = translator(lang)("ledger_code_needed")
        return None
    signs = re.sub(r"[\s-]", "", raw)
    if not signs.isascii() or not signs.isalnum() or len(signs) > 32:
        check.errors["code"] = translator(lang)("ledger_bad_code")
    return raw


async def _export_field(form: Any, name: str, check: Check, lang: str,
                        required: bool) -> Export | None:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        if required:
            check.errors[name] = translator(lang)("ledger_export_needed")
        return None
    check.values[name] = upload.filename[:200]
    data = await upload.read(MAX_EXPORT_BYTES + 1)
    if len(data) > MAX_EXPORT_BYTES:
        check.errors[name] = translator(lang)("ledger_file_too_large")
        return None
    try:
        return parse_export(data.decode("utf-8").splitlines())
    except ValueError as exc:  # (UnicodeDecodeError included)
        check.errors[name] = translator(lang)("ledger_not_export", detail=str(exc)[:160])
        return None


async def ledger_check(request: Request) -> Response:
    form = await request.form()
    try:
        return await _check(request, form)
    finally:
        await form.close()  # the uploads' temporary files


async def _check(request: Request, form: Any) -> Response:
    lang = pick_lang(request)
    kind = "export" if form.get("kind") == "export" else "code"
    check = Check(kind=kind, values={key: str(form.get(key, ""))[:200]
                                     for key in ("ledger", "code", "public_key")})
    grace = audit.grace(request.app.state.settings.checkpoint_minutes)
    public_key = _key_field(check, lang)
    if kind == "export":
        code = _code_field(check, lang, required=False)
        export = await _export_field(form, "export", check, lang, required=True)
        earlier = await _export_field(form, "earlier", check, lang, required=False)
        if check.errors or export is None:
            return _page(request, check, 400)
        report = audit.verify_export(export, public_key, code, grace, earlier)
    else:
        code = _code_field(check, lang, required=True)
        names = {s.name for s in _summaries(request)}
        name = check.values["ledger"]
        if name not in names:
            check.errors["ledger"] = translator(lang)("ledger_choose_ledger")
        if check.errors:
            return _page(request, check, 400)
        if public_key is None and name == request.app.state.settings.station:
            public_key = _own_key(request) or None  # as the command line does
        with request.app.state.db.engine.connect() as connection:
            report = audit.verify_stored(connection, name, public_key, code, grace,
                                         projections=verification.projection_checks(
                                             request.app.state.settings.data_dir))
    check.verdict = audit.verdict(report, lang)
    return _page(request, check)
