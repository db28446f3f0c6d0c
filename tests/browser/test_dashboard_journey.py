"""The controller's morning: the dashboard, the overdue figure opened to its
records, the monthly report downloaded as Word and Excel, in a real browser."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from portal.actors import actor_for
from portal.models import User
from records.calendar import seed_from_package
from records.clock import from_local, local_now, simulated
from records.operations import create_record
from tests.browser.steps import log_in
from tests.helpers import dispatch, save_departments

pytestmark = pytest.mark.browser


@pytest.fixture
def org(app, make_user):
    seed_from_package(years=[2025, 2026])
    save_departments("CS", "TEST")
    make_user("chen", roles=["controller"], department="CS", full_name="陈静")
    make_user("wang", roles=["staff"], department="TEST", full_name="王芳")


def _overdue_complaint():
    """A complaint dispatched ten days ago whose plan was due long since."""
    chen = actor_for(User.objects.get(username="chen"))
    earlier = (local_now() - timedelta(days=10)).replace(second=0, microsecond=0)
    with simulated(lambda: from_local(earlier)):
        record = create_record(
            chen,
            "complaint_sheet",
            {
                "title": "报告数据有误",
                "received_at": earlier.isoformat(),
                "channel": "hotline",
                "customer": "华新水泥厂",
                "description": "第3页数据不符",
            },
        )
        dispatch(record.number)
    return record.number


def test_the_controller_drills_into_overdue_and_downloads_the_monthly_report(page, org):
    number = _overdue_complaint()
    log_in(page, "chen")

    dashboard = page.get_by_test_id("dashboard")
    expect(dashboard).to_be_visible()
    expect(page.get_by_test_id("figure-overdue")).to_have_text("1")
    expect(page.get_by_test_id("month-rates")).to_contain_text("及时率")
    expect(page.locator("[data-testid=dashboard-chart] svg")).to_be_visible()

    page.get_by_test_id("figure-overdue").click()
    expect(page.locator(f'[data-testid=overdue] tr[data-number="{number}"]')).to_be_visible()

    page.goto("/")
    page.get_by_test_id("monthly-report").click()
    expect(page.get_by_test_id("report-title")).to_contain_text("月度小结")
    expect(page.locator("[data-testid=trend-chart] svg")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("report-docx").click()
    document = Document(io.BytesIO(download.value.path().read_bytes()))
    assert "月度小结" in document.paragraphs[0].text
    totals = [c.text for c in document.tables[0].rows[-1].cells]
    assert totals[0] == "全部部门"
    with page.expect_download() as download:
        page.get_by_test_id("report-xlsx").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert workbook.worksheets[0].cell(row=3, column=1).value == "部门"
