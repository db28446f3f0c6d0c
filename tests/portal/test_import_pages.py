"""Importing a legacy complaint ledger from Excel: columns mapped from their
headings, a dry run listing each row's problems in Chinese, and an import
that takes every row or none, each record audited with its file and row."""

from __future__ import annotations

import io
import re
from datetime import datetime

from openpyxl import Workbook

from records.models import AuditEntry, Record
from tests.helpers import csrf_token, session_of

HEADINGS = ["受理时间", "受理渠道", "顾客", "投诉摘要", "投诉内容", "备注"]


def _ledger(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年客户投诉一览表"])
    sheet.append([])
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


GOOD = [
    [datetime(2025, 3, 2, 9, 30), "热线/电话", "华新水泥厂", "报告有误", "第3页数据不符", "老台账"],
    [datetime(2025, 4, 8, 14, 0), "email", "阳光小区", "暖气不热", "三栋不热\n多户", ""],
]


def _upload(client, content, name="台账.xlsx"):
    token = csrf_token(client, "/import")
    response = client.post(
        "/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    return response


def _mapping_page(client, content):
    response = _upload(client, content)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def _post(client, url, action, page):
    fields = dict(
        re.findall(
            r'<select[^>]*name="(col_\d+)"[^>]*>.*?'
            r'<option value="([^"]*)" selected',
            page,
            re.S,
        )
    )
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "action": action, **fields},
        follow_redirects=True,
    )


def test_a_ledger_is_mapped_dry_run_and_imported_with_its_origin_audited(app, org):
    controller = session_of(app, "chen")
    url = _mapping_page(controller, _ledger(GOOD))
    page = controller.get(url).get_data(as_text=True)
    # Headings read as field labels are mapped already; "备注" is not a field.
    assert re.search(r'name="col_0".*?value="received_at" selected', page, re.S)
    assert re.search(r'name="col_3".*?value="title" selected', page, re.S)
    assert not re.search(r'name="col_5"[^>]*>(?:(?!</select>).)*selected', page, re.S)
    dry = _post(controller, url, "dry_run", page).get_data(as_text=True)
    assert "试运行未发现问题" in dry and Record.objects(type="complaint_sheet").count() == 0
    done = _post(controller, url, "import", page)
    assert "已导入 2 条投诉" in done.get_data(as_text=True)
    records = sorted(Record.objects(type="complaint_sheet"), key=lambda r: r.number)
    assert [r.data["customer"] for r in records] == ["华新水泥厂", "阳光小区"]
    assert records[0].data["channel"] == "hotline" and records[1].data["channel"] == "email"
    assert records[0].data["received_at"] == "2025-03-02T09:30:00"
    assert records[1].data["description"] == "三栋不热\n多户"
    created = AuditEntry.objects(action="create", number=records[0].number).first()
    assert created.details["reason"] == "台账.xlsx, row 4"
    summary = AuditEntry.objects(action="import").first()
    assert summary.details["rows"] == 2 and summary.details["filename"] == "台账.xlsx"
    # The uploaded file is gone once imported.
    assert controller.get(url).status_code == 404


def test_one_bad_row_imports_nothing_and_says_which_row_and_why(app, org):
    rows = [
        *GOOD,
        [datetime(2099, 1, 1, 8, 0), "热线/电话", "未来客户", "时间错", "受理时间在将来", ""],
        [datetime(2025, 5, 1, 8, 0), "飞鸽传书", "某客户", "渠道错", "渠道不存在", ""],
        [datetime(2025, 5, 2, 8, 0), "传真", "", "缺顾客", "没有顾客", ""],
    ]
    controller = session_of(app, "chen")
    url = _mapping_page(controller, _ledger(rows))
    page = controller.get(url).get_data(as_text=True)
    result = _post(controller, url, "import", page).get_data(as_text=True)
    assert "3 行有问题，未导入任何数据" in result
    problems = re.findall(
        r'<tr data-row="(\d+)"><td>\d+</td><td>([^<]*)</td><td>([^<]*)</td>', result
    )
    assert problems == [
        ("6", "受理时间", "日期在将来。"),
        ("7", "渠道", "不是可选的选项。"),
        ("8", "顾客", "此项为必填项。"),
    ]
    assert Record.objects(type="complaint_sheet").count() == 0
    assert AuditEntry.objects(action="create").count() == 0
    # Numbers were not used up by the abandoned rows.
    url = _mapping_page(controller, _ledger(GOOD))
    _post(controller, url, "import", controller.get(url).get_data(as_text=True))
    assert sorted(r.seq for r in Record.objects(type="complaint_sheet")) == [1, 2]


def test_only_excel_files_and_only_controllers(app, org):
    controller = session_of(app, "chen")
    refused = _upload(controller, b"not excel", "ledger.xlsx")
    assert refused.status_code == 302
    page = controller.get("/import").get_data(as_text=True)
    assert "这不是 Excel" in page
    staff = session_of(app, "wang")
    assert staff.get("/import").status_code == 403
    url = _mapping_page(controller, _ledger(GOOD))
    other = session_of(app, "audit")
    assert other.get(url).status_code == 403
