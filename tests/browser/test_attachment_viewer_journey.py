"""Staff attach a two-page service sheet; once it is read, the attachments
tab shows its first page and the viewer opens page 2, with nothing loaded
from outside the portal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.models import Department
from records.extraction import Limits, work_once
from records.operations import create_record
from tests import attachment_files as files
from tests.browser.steps import log_in
from tests.records.conftest import HANDOVER, actor

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_thumbnail_and_the_viewer_on_page_two(page, app, make_user, tmp_path):
    cs = Department(code="CS", name="客服中心").save()
    make_user("wang", roles=["staff"], department=cs, full_name="王芳")
    with app.app_context():
        record = create_record(
            actor("wang", "staff", department="CS"), "handover_log", {**HANDOVER}
        )
    pdf = tmp_path / "service.pdf"
    pdf.write_bytes(files.libreoffice_pdf(["服务单 第一页", "第二页 客户签字确认"], tmp_path, 0))
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(("http://127.0.0.1", "data:"))
            else None
        ),
    )

    log_in(page, "wang")
    details = f"/admin/records_handover_log/details/?id={record.pk}#tab-attachments"
    page.goto(details)
    page.locator('input[type="file"][name="file"]').set_input_files(str(pdf))
    page.get_by_role("button", name="附加扫描件").click()
    expect(page.get_by_text("文件已附加").first).to_be_visible()
    page.get_by_role("tab", name="附件").click()
    expect(page.get_by_test_id("attachment-text")).to_have_text("等待读取…")

    with app.app_context():
        assert work_once(Limits())["state"] == "done"  # what the worker does
    page.reload()
    # The tab the reload opens depends on whether the click above had put
    # #tab-attachments in the address yet: open it as a person would.
    page.get_by_role("tab", name="附件").click()
    expect(page.get_by_test_id("attachment-text")).to_contain_text("找到文字")
    thumbnail = page.get_by_test_id("thumbnail")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") > 0

    thumbnail.click()
    viewer = page.get_by_test_id("viewer")
    expect(viewer).to_be_visible()
    expect(page.get_by_test_id("viewer-page")).to_have_attribute("data-page", "1")
    viewer.get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(re.compile(r"viewer_page=2"))
    shown = page.get_by_test_id("viewer-page")
    expect(shown).to_have_attribute("data-page", "2")
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.complete && img.naturalWidth") >= 600
    assert outside == []
