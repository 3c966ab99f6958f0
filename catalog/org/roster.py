"""Member rosters in and out of CSV and XLSX, as organizers keep them in Excel.

An import is planned first (each row: new, changed, unchanged or an error with its
reason) and shown as a preview; applying it plans again inside one transaction and
writes the good rows, all or none of them. A row is matched to a member by phone
number when it has one, else by organization and name, so importing the same file
twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import tables
from catalog.errors import BadRequest, YuanjiaoError
from catalog.org.models import Member, OrgNode
from catalog.org.tree import (
    Kind,
    MemberFields,
    add_member,
    category_label,
    clean_name,
    clean_phone,
    organization_by_name,
    parse_category,
    parse_exempt,
    subtree,
    update_member,
)
from catalog.schema import utcnow

MAX_BYTES = 10 << 20
MAX_ROWS = 20_000

COLUMNS = ("name", "phone", "category", "exempt", "organization", "note")
HEADERS = {"name": ("姓名", "Name"), "phone": ("手机号", "Phone"),
           "category": ("类别", "Category"), "exempt": ("免于参加组织生活", "Exempt"),
           "organization": ("所属组织", "Organization"), "note": ("备注", "Note")}
ALIASES = {"name": {"姓名", "名字", "name"},
           "phone": {"手机号", "手机", "电话", "联系电话", "phone"},
           "category": {"类别", "人员类别", "身份", "category"},
           "exempt": {"免于参加组织生活", "免参加", "免学", "exempt"},
           "organization": {"所属组织", "组织", "党组织", "支部", "organization"},
           "note": {"备注", "note"}}


@dataclass(frozen=True)
class RowOutcome:
    row: int
    action: str  # new, changed, unchanged or error
    name: str
    organization: str
    error: YuanjiaoError | None = None

    def reason(self, lang: str = "zh") -> str:
        return self.error.message(lang) if self.error else ""


@dataclass(frozen=True)
class Plan:
    outcomes: list[RowOutcome]

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def errors(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.action == "error"]


# ---- reading files


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number Excel stored as a number
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        label = "".join(text.split()).lower()
        for column, names in ALIASES.items():
            if label in names and column not in found:
                found[column] = index
    if "name" not in found:
        raise BadRequest("roster_no_name_column", found="、".join(h for h in header if h) or "—")
    return found


def _rows(table: Iterable[list[str]]) -> Iterator[tuple[int, dict[str, str]]]:
    lines = iter(table)
    header = next(lines, None)
    if header is None:
        raise BadRequest("roster_empty")
    columns = _header_map(header)
    for number, line in enumerate(lines, start=2):
        if number - 1 > MAX_ROWS:
            raise BadRequest("roster_too_long", limit=MAX_ROWS)
        if not any(cell for cell in line):
            continue
        yield number, {c: (line[i] if i < len(line) else "") for c, i in columns.items()}


def _decode(data: bytes) -> str:
    # Excel on a Chinese Windows saves "CSV" in GBK; UTF-8 (with or without BOM) first.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadRequest("roster_unreadable", detail="not UTF-8 or GBK text")


def read_table(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a CSV or XLSX roster: (spreadsheet row number, column → text)."""
    if len(data) > MAX_BYTES:
        raise BadRequest("roster_too_big", limit_mb=MAX_BYTES >> 20)
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        return list(_rows(_xlsx_lines(data)))
    if lowered.endswith((".csv", ".txt")):
        return list(_rows([cell.strip() for cell in line]
                          for line in csv.reader(io.StringIO(_decode(data)))))
    raise BadRequest("roster_bad_type", filename=filename)


def _xlsx_lines(data: bytes) -> Iterator[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BadRequest("roster_unreadable", detail=str(exc)[:200]) from exc
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        book.close()


# ---- planning and applying


def _fields(values: dict[str, str]) -> MemberFields:
    category = values.get("category", "")
    return MemberFields(name=clean_name(values.get("name", "")),
                        phone=clean_phone(values.get("phone", "")),
                        category=parse_category(category or "full"),
                        exempt=parse_exempt(values.get("exempt", "")),
                        note=values.get("note", "")[:500])


class _Index:
    """The members already inside the scope, by phone and by (organization, name)."""

    def __init__(self, session: Session, scope: OrgNode) -> None:
        orgs = [n.id for n in subtree(session, scope, Kind.ORGANIZATION)]
        members = session.scalars(select(Member).where(Member.org_id.in_(orgs))).all()
        self.by_phone = {m.phone: m for m in members if m.phone}
        self.by_name = {(m.org_id, m.name): m for m in members if not m.phone}

    def find(self, org: OrgNode, fields: MemberFields) -> Member | None:
        if fields.phone:
            return self.by_phone.get(fields.phone)
        return self.by_name.get((org.id, fields.name))


def _same(member: Member, org: OrgNode, fields: MemberFields) -> bool:
    return (member.org_id == org.id and member.name == fields.name
            and member.phone == fields.phone and member.category == fields.category.value
            and member.exempt == fields.exempt and member.note == fields.note)


def _walk(session: Session, scope: OrgNode, rows: list[tuple[int, dict[str, str]]],
          write: bool) -> Plan:
    index = _Index(session, scope)
    seen: dict[object, int] = {}
    outcomes = []
    for number, values in rows:
        name_text = values.get("name", "")
        org_text = values.get("organization", "")
        try:
            fields = _fields(values)
            org = organization_by_name(session, scope, org_text)
            if org is None:
                raise BadRequest("roster_unknown_org", organization=org_text or "—",
                                 scope=scope.name)
            key: object = fields.phone or (org.id, fields.name)
            if key in seen:
                raise BadRequest("roster_duplicate", other=seen[key])
            seen[key] = number
        except YuanjiaoError as error:
            outcomes.append(RowOutcome(number, "error", name_text, org_text, error))
            continue
        member = index.find(org, fields)
        if member is None:
            action = "new"
            if write:
                add_member(session, org, fields)
        elif _same(member, org, fields):
            action = "unchanged"
        else:
            action = "changed"
            if write:
                update_member(member, fields)
                member.org_id = org.id
                member.updated_at = utcnow()
        outcomes.append(RowOutcome(number, action, fields.name, org.name))
    return Plan(outcomes)


def plan_import(session: Session, scope: OrgNode,
                rows: list[tuple[int, dict[str, str]]]) -> Plan:
    return _walk(session, scope, rows, write=False)


def apply_import(session: Session, scope: OrgNode,
                 rows: list[tuple[int, dict[str, str]]]) -> Plan:
    """Write the good rows; call inside a transaction so that it is all or nothing."""
    return _walk(session, scope, rows, write=True)


# ---- export


def export_table(session: Session, scope: OrgNode, lang: str = "zh") -> list[list[object]]:
    pick = 1 if lang == "en" else 0
    header: list[object] = [HEADERS[c][pick] for c in COLUMNS]
    orgs = {n.id: n for n in subtree(session, scope, Kind.ORGANIZATION)}
    members = session.scalars(select(Member).where(Member.org_id.in_(orgs))
                              .order_by(Member.org_id, Member.name, Member.id)).all()
    yes, no = ("yes", "no") if lang == "en" else ("是", "否")
    return [header] + [[m.name, m.phone, category_label(m.category, lang),
                        yes if m.exempt else no, orgs[m.org_id].name, m.note]
                       for m in members]


def to_csv(table: list[list[object]]) -> bytes:
    # Every cell as text, formula-safe (catalog/tables.py), as the XLSX below.
    return tables.to_csv([[str(c) for c in line] for line in table])


def to_xlsx(table: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    for line in table:
        cells = []
        for value in line:
            # Text cells: Excel would show a phone number as 1.38E+10, and openpyxl would
            # store a name starting with "=" as a formula.
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
