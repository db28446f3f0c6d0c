"""A record is found by what its attachments say, once they are read, by
exactly those who may see the record."""

from __future__ import annotations

import pytest

from records.attachments import attach_file
from records.extraction import Limits, work_once
from records.operations import create_record
from tests import attachment_files as files
from tests.records.conftest import HANDOVER, actor

pytestmark = pytest.mark.slow


@pytest.fixture
def staff_cs(ctx):
    return actor("wang", "staff", department="CS")


def _with_file(who, filename, content):
    record = create_record(who, "handover_log", {**HANDOVER, "events": "交接"})
    attach_file(who, record.number, filename, content, base_version=1)
    return record


def test_a_chinese_scan_is_found_by_a_word_on_it_after_ocr(staff_cs, find):
    record = _with_file(
        staff_cs, "survey.png", files.scan_png(["顾客满意度调查表", "空调噪音已处理"])
    )
    assert find(staff_cs, "满意度") == []  # not read yet: only its name is known
    assert work_once(Limits())["state"] == "done"
    assert find(staff_cs, "满意度") == [record.number]
    assert find(staff_cs, "噪音") == [record.number]
    # Another department's staff do not find it by its scan either.
    assert find(actor("zhao", "staff", department="QA"), "满意度") == []


def test_a_libreoffice_pdf_and_an_excel_cell_find_their_records(staff_cs, find, tmp_path):
    pdf = _with_file(
        staff_cs,
        "service.pdf",
        files.libreoffice_pdf(["维修服务单 第一页", "客户签字确认 漏水已修复"], tmp_path, 0),
    )
    sheet = _with_file(
        staff_cs, "visits.xlsx", files.xlsx_bytes([["回访客户", "满意度"], ["华东物业", 97]])
    )
    work_once(Limits())
    work_once(Limits())
    assert find(staff_cs, "漏水已修复") == [pdf.number]
    assert find(staff_cs, "华东物业") == [sheet.number]
    # Past versions that list the file are found by it too.
    assert find(actor("audit", "auditor", department=None), "华东物业", history=True) == [
        f"{sheet.number}@2"
    ]
