"""A hotline complaint from receipt to closure, each step by the person whose
step it is, in a real browser; staff of another department cannot open it."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from records.clock import local_now
from records.models import Record
from tests.browser.steps import log_in, log_out
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def _open_from_tasks(page, number):
    page.get_by_test_id("nav-tasks").click()
    page.locator(f'[data-testid=tasks] tr[data-number="{number}"] a').click()
    expect(page.get_by_test_id("record-number")).to_have_text(number)


def _step(page, name, fill=None, password=None, comment=None):
    """Take step ``name`` with its fields: the record tab leads with it."""
    page.locator('a[href="#tab-record"]').click()
    form = page.get_by_test_id(f"transition-{name}")
    expect(form).to_be_visible()
    for field, value in (fill or {}).items():
        control = form.locator(f'[name="{field}"]')
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    if comment:
        form.locator('[name="comment"]').fill(comment)
    if password:
        form.locator('[name="password"]').fill(password)
    form.locator("button[type=submit]").click()


def _state(page, label):
    expect(page.get_by_test_id("record-state")).to_have_text(label)


def test_a_hotline_complaint_from_receipt_to_closure(page, journey_org):
    # The first receiver records it from the hotline form.
    log_in(page, "hotline")
    page.get_by_test_id("nav-new-complaint").click()
    form = page.get_by_test_id("new-complaint")
    form.locator('[name="customer"]').fill("华新水泥厂")
    form.locator('[name="contact"]').fill("周先生 13900001111")
    form.locator('[name="title"]').fill("检测报告数据有误")
    form.locator('[name="description"]').fill("报告第3页抗压强度与原始记录不符")
    form.locator('[name="complainants"]').fill("3")
    page.get_by_role("button", name="登记投诉").click()
    expect(page.locator(".alert-success")).to_contain_text("严重程度：热点")
    number = page.get_by_test_id("record-number").inner_text()
    assert re.fullmatch(r"QR-015-\d{4}-\d{4}", number)
    _state(page, "已受理")
    log_out(page)

    # The service office dispatches it to the testing department's handler.
    log_in(page, "chen")
    _open_from_tasks(page, number)
    _step(
        page,
        "dispatch",
        {"department": "TEST", "handler": "wang", "subject": "technical", "responsibility": "1"},
    )
    _state(page, "已派单")
    expect(page.get_by_test_id("due").first).to_contain_text("处理方案截止")
    log_out(page)

    # The handler sees it in their tasks with the date and submits the plan.
    log_in(page, "wang")
    page.get_by_test_id("nav-tasks").click()
    row = page.locator(f'[data-testid=tasks] tr[data-number="{number}"]')
    expect(row).to_contain_text("处理方案截止")
    _open_from_tasks(page, number)
    expect(page.locator('[data-field="contact"]')).to_contain_text("13900001111")
    _step(page, "submit_plan", {"plan": "调取原始记录复核，三日内出具更正报告"})
    _state(page, "方案已提交")
    log_out(page)

    # The director approves the plan with his signature.
    log_in(page, "boss")
    _open_from_tasks(page, number)
    _step(page, "approve_plan", password=PASSWORD)
    _state(page, "方案已批准")
    page.locator('a[href="#tab-signatures"]').click()
    expect(page.get_by_test_id("signatures")).to_contain_text("张主任")
    log_out(page)

    # The handler replies to the customer.
    log_in(page, "wang")
    _open_from_tasks(page, number)
    today = local_now().date().isoformat()
    _step(
        page,
        "reply",
        {
            "reply_method": "phone",
            "reply_date": today,
            "reply_content": "已核实并出具更正报告，电话告知周先生",
        },
    )
    _state(page, "已答复")
    log_out(page)

    # The customer accepts; a hot complaint cannot close before its revisit.
    log_in(page, "chen")
    _open_from_tasks(page, number)
    _step(page, "accept")
    _state(page, "已解决")
    _step(page, "close", {"result": "更正报告已送达，顾客认可"})
    expect(page.locator(".alert-danger")).to_contain_text("回访")
    _state(page, "已解决")

    # The revisit is recorded from the complaint, then the complaint closes.
    page.locator('a[href="#tab-record"]').click()
    page.get_by_test_id("follow-ups").get_by_role("link", name="登记回访").click()
    expect(page.locator('[name="complaint"]')).to_have_value(number)
    expect(page.locator('[name="customer"]')).to_have_value("华新水泥厂")
    page.locator('[name="revisit_date"]').fill(today)
    page.locator('[name="method"]').select_option("phone")
    page.locator('[name="feedback"]').fill("顾客对处理结果满意")
    page.locator('[name="satisfaction"]').select_option("satisfied")
    page.locator("form.admin-form input[type=submit]").first.click()
    revisit = Record.objects.get(type="revisit_record")
    assert revisit.data["complaint"] == number
    page.goto(f"/admin/records_complaint_sheet/details/?id={Record.objects.get(number=number).pk}")
    expect(page.get_by_test_id("linked-records")).to_contain_text(revisit.number)
    _step(page, "close", {"result": "更正报告已送达，顾客认可"})
    _state(page, "已关闭")

    # The closed sheet prints with its number and the director's signature.
    with page.expect_download() as download:
        page.get_by_test_id("download-docx").click()
    assert download.value.suggested_filename == f"{number}.docx"
    printed = Document(download.value.path())
    assert number in printed.sections[0].header.paragraphs[0].text
    cells = [c.text for t in printed.tables for r in t.rows for c in r.cells]
    assert any(c.startswith("张主任，已批准，") for c in cells)
    assert "更正报告已送达，顾客认可" in cells

    page.get_by_test_id("nav-register").click()
    row = page.locator(f'[data-testid=register] tr[data-number="{number}"]')
    expect(row.get_by_test_id("state")).to_have_text("已关闭")
    expect(row.get_by_test_id("severity")).to_have_text("热点")
    with page.expect_download() as download:
        page.get_by_test_id("register-xlsx").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    ledger = list(workbook.active.iter_rows(values_only=True))
    assert ledger[3][0] == number and ledger[3][8] == "已关闭"
    log_out(page)

    stored = Record.objects.get(number=number)
    assert [h["by"] for h in stored.history] == ["chen", "wang", "boss", "wang", "chen", "chen"]
    assert stored.signatures[0]["signer"] == "boss"

    # Staff of another department cannot open it, neither by URL nor by API.
    log_in(page, "zhao")
    response = page.goto(f"/admin/records_complaint_sheet/details/?id={stored.pk}")
    assert response.status == 404
    assert page.request.get(f"/api/v1/records/{number}").status == 404
    page.get_by_test_id("nav-register").click()
    expect(page.get_by_test_id("register")).not_to_contain_text(number)
