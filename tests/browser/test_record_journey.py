"""A controller writes a procedure, an approver signs it; nobody can delete it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from records.models import Record
from tests.browser.steps import log_in, log_out
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_create_edit_history_diff_sign_and_refused_delete(page, make_user, tmp_path):
    make_user("chen", roles=["controller"], full_name="陈静")
    make_user("director", roles=["approver"], full_name="刘主任")

    log_in(page, "chen")
    page.goto("/admin/records_procedure_document/new/")
    page.get_by_label("文件编号").fill("QP-09")
    page.get_by_label("标题").fill("记录管理程序")
    page.get_by_label("版次").fill("A/0")
    page.get_by_label("正文").fill("本程序规定记录的标识、贮存和处置。")
    page.get_by_role("button", name=re.compile("^保存$")).first.click()
    record = Record.objects.get(type="procedure_document")
    expect(page.get_by_text(record.number).first).to_be_visible()

    page.goto(f"/admin/records_procedure_document/edit/?id={record.pk}")
    page.get_by_label("正文").fill("本程序规定记录的标识、贮存、保护、检索和处置。")
    page.get_by_label("生效日期").fill("2026-12-01")
    page.get_by_label("修改原因").fill("补充检索要求")
    page.get_by_role("button", name=re.compile("^保存$")).first.click()

    page.goto(f"/admin/records_procedure_document/details/?id={record.pk}")
    expect(page.get_by_test_id("record-number")).to_have_text(record.number)
    page.get_by_role("tab", name="历史版本").click()
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("补充检索要求")
    expect(history.locator("tbody tr")).to_have_count(2)
    page.get_by_role("tab", name="比较").click()
    expect(page.get_by_test_id("diff")).to_contain_text("保护、检索")
    page.get_by_role("tab", name="记录").click()
    page.get_by_test_id("transition-submit").get_by_role("button").click()
    expect(page.get_by_test_id("record-state")).to_have_text("待审批")
    log_out(page)

    log_in(page, "director")
    page.goto(f"/admin/records_procedure_document/details/?id={record.pk}")
    approve = page.get_by_test_id("transition-approve")
    approve.get_by_label("意见").fill("同意发布")
    approve.get_by_label(re.compile("密码")).fill("not my password")
    approve.get_by_role("button").click()
    # Refused next to the password, naming it; the comment typed is still there.
    approve = page.get_by_test_id("transition-approve")
    expect(approve.get_by_test_id("step-errors")).to_contain_text("签名密码错误")
    expect(approve.locator(".invalid-feedback")).to_contain_text(re.compile("密码.*签名密码错误"))
    expect(approve.get_by_label("意见")).to_have_value("同意发布")
    approve.get_by_label(re.compile("密码")).fill(PASSWORD)
    approve.get_by_role("button").click()
    expect(page.get_by_test_id("record-state")).to_have_text("已生效")
    page.get_by_role("tab", name="签名").click()
    expect(page.get_by_test_id("signatures")).to_contain_text("刘主任")
    expect(page.get_by_test_id("signatures")).to_contain_text("批准")
    page.screenshot(path=str(tmp_path / "signed.png"), full_page=True)

    page.get_by_role("tab", name="保存期限").click()
    delete = page.get_by_test_id("delete-form")
    delete.get_by_placeholder("原因").fill("不再需要")
    delete.get_by_role("button").click()
    expect(page.get_by_text("不能处置").first).to_be_visible()
    assert Record.objects(pk=record.pk).count() == 1
