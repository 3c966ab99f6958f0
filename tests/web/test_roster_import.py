"""A town's roster through the pages: upload an XLSX, preview, apply, import again."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from starlette.testclient import TestClient
from yj_testing import make_settings

from catalog.db import Database
from catalog.models import Member, OrgNode
from catalog.org import demo_org, roster
from web.app import create_app

# (spreadsheet row, what is wrong, the message key that must name it)
BAD_ROWS = {
    41: ({"name": ""}, "bad_name"),
    99: ({"phone": "12345"}, "bad_phone"),
    180: ({"category": "党外人士"}, "bad_category"),
    305: ({"organization": "不存在村党支部"}, "roster_unknown_org"),
    460: ({"phone": "13900000010"}, "roster_duplicate"),  # row 10's phone
}


def roster_xlsx(rows: int = 500) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "类别", "免于参加组织生活", "所属组织", "备注"])
    categories = ["正式党员", "预备党员", "流动党员", "入党积极分子", "后备干部"]
    for n in range(2, rows + 2):
        values = {"name": f"党员{n:04d}", "phone": f"139{n:08d}",
                  "category": categories[n % 5], "exempt": "是" if n % 17 == 0 else "",
                  "organization": "东村党支部" if n % 2 else "西村党支部", "note": ""}
        values |= BAD_ROWS.get(n, ({}, ""))[0]
        line: list[Any] = [values[c] for c in roster.COLUMNS]
        if n % 3 == 0:  # Excel often keeps phone numbers as numbers
            line[1] = int(line[1]) if line[1].isdigit() else line[1]
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csrf(client: TestClient) -> str:
    return str(client.get("/api/me").json()["csrf"])


def upload(client: TestClient, town_id: int, data: bytes) -> tuple[str, dict[str, str]]:
    response = client.post(f"/org/{town_id}/import", data={"csrf": _csrf(client)},
                           files={"file": ("城关镇花名册.xlsx", data)})
    assert response.status_code == 200, response.text[:500]
    token = re.search(r'name="token" value="([^"]+)"', response.text)
    assert token
    return response.text, {"csrf": _csrf(client), "token": token.group(1), "suffix": "xlsx"}


def error_rows(page: str) -> dict[int, str]:
    return {int(row): reason for row, reason in re.findall(
        r'<tr class="error"><td class="num">(\d+)</td><td>[^<]*</td><td>[^<]*</td>'
        r'<td>[^<]*</td><td>([^<]*)</td></tr>', page)}


@pytest.fixture
def client_and_db(tmp_path: Path, db_url: str) -> Any:
    settings = make_settings(tmp_path / "data", db_url, guest_viewing=False)
    db = Database.open(settings)
    with db.transaction() as session:
        demo_org.build(session)
        town = session.scalars(select(OrgNode).where(OrgNode.name == "城关镇")).one().id
    with TestClient(create_app(settings, db)) as client:
        from yj_testing import sign_in

        sign_in(client, None, "chengguan", password=demo_org.DEMO_PASSWORD)
        yield client, db, town
    db.close()


def count_members(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Member)) or 0


def test_500_rows_with_5_bad_import_495_and_again_changes_nothing(client_and_db: Any) -> None:
    from catalog.messages import MESSAGES

    client, db, town = client_and_db
    before = count_members(db)
    data = roster_xlsx()
    preview, form = upload(client, town, data)
    assert "新增 495 人，修改 0 人，不变 0 人，有错 5 行" in preview
    assert count_members(db) == before  # a preview writes nothing
    done = client.post(f"/org/{town}/import/apply", data=form)
    assert done.status_code == 200
    assert "已导入：新增 495 人" in done.text and "5 行有错未导入" in done.text
    reported = error_rows(done.text)
    assert set(reported) == set(BAD_ROWS)
    for row, (_, key) in BAD_ROWS.items():
        assert reported[row].startswith(MESSAGES[key][0].split("{")[0][:4]), (row, reported)
    assert "第 10 行" in reported[460]
    assert count_members(db) == before + 495
    with db.session() as session:
        names = set(session.scalars(select(Member.name)))
        exempt = session.scalar(select(func.count()).select_from(Member).where(
            Member.exempt.is_(True), Member.name.like("党员%")))
        phone = session.scalar(select(Member.phone).where(Member.name == "党员0003"))
    assert not {f"党员{n:04d}" for n in BAD_ROWS} & names  # bad rows left nothing behind
    assert exempt == len([n for n in range(2, 502) if n % 17 == 0 and n not in BAD_ROWS])
    assert phone == "13900000003"  # stored as text although Excel kept a number

    again, form = upload(client, town, data)
    assert "新增 0 人，修改 0 人，不变 495 人，有错 5 行" in again
    client.post(f"/org/{town}/import/apply", data=form)
    assert count_members(db) == before + 495


def test_an_export_imports_back_unchanged(client_and_db: Any) -> None:
    client, db, town = client_and_db
    exported = client.get(f"/org/{town}/roster.xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == ["姓名", "手机号", "类别", "免于参加组织生活", "所属组织", "备注"]
    page, _ = upload(client, town, exported.content)
    with db.session() as session:
        town_members = session.scalar(select(func.count()).select_from(Member).join(
            OrgNode, Member.org_id == OrgNode.id).where(OrgNode.path.like("/1/2/%")))
    assert f"新增 0 人，修改 0 人，不变 {town_members} 人，有错 0 行" in page


def test_an_import_reaches_only_inside_the_importers_town(client_and_db: Any) -> None:
    client, db, town = client_and_db
    book = Workbook()
    book.active.append(["姓名", "所属组织"])
    book.active.append(["外镇的人", "河西村党支部"])
    out = io.BytesIO()
    book.save(out)
    page, _ = upload(client, town, out.getvalue())
    assert error_rows(page)[2].startswith("在“城关镇”下找不到组织“河西村党支部”")


def test_the_apply_token_belongs_to_its_uploader(client_and_db: Any) -> None:
    from yj_testing import sign_in

    client, db, town = client_and_db
    _, form = upload(client, town, roster_xlsx(10))
    other = TestClient(client.app)  # another admin's browser, same server
    other_form = dict(form, csrf=sign_in(other, None, "admin",
                                         password=demo_org.DEMO_PASSWORD))
    refused = other.post(f"/org/{town}/import/apply", data=other_form)
    assert refused.status_code == 400 and "预览已过期" in refused.text
    assert client.post(f"/org/{town}/import/apply",
                       data=dict(form, token="../../etc/passwd")).status_code == 400
    assert client.post(f"/org/{town}/import/apply", data=form).status_code == 200
