"""A member of the heating department looks everywhere for the testing
department's complaint, as a curious colleague would, and finds nothing:
not in the lists, the register, the search, the linked records of their own
complaint, the reports, nor by typing the other record's address. The page
never runs a script the Content-Security-Policy would refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from records.clock import local_now
from tests.browser.steps import log_in
from tests.helpers import dispatch, hotline_complaint
from tests.portal.conftest import org  # noqa: F401 - the organisation of the work pages

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("org")]

SECRET_TITLE = "检测报告数据造假嫌疑"
SECRET_CONTACT = "13911112222"


def test_a_colleague_of_another_department_finds_nothing(app, page):
    secret = hotline_complaint(
        SECRET_TITLE,
        "华新水泥厂",
        "客户怀疑检测数据被改动",
        ago=timedelta(hours=3),
        contact=f"周先生 {SECRET_CONTACT}",
    )
    dispatch(secret.number)
    own = hotline_complaint(
        "暖气片漏水", "阳光小区", "三楼漏水", ago=timedelta(hours=3), original=secret.number
    )
    dispatch(own.number, department="HEAT", handler="zhao")
    app.extensions["search_indexer"].drain()

    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, "zhao")
    today = local_now().date()
    for path in (
        "/",
        "/tasks",
        "/admin/records_complaint_sheet/",
        f"/register?start={today - timedelta(days=7)}&end={today}",
        "/overdue",
        f"/search?q={SECRET_TITLE}",
        "/search?q=华新水泥厂",
        f"/search?q={SECRET_CONTACT}",
        f"/reports/records?metric=complaints&kind=month&year={today.year}&number={today.month}",
    ):
        page.goto(path)
        body = page.locator("body")
        expect(body).not_to_contain_text(SECRET_TITLE)
        expect(body).not_to_contain_text(SECRET_CONTACT)
    # Their own complaint names the earlier one by number only; its page is not theirs.
    page.goto("/admin/records_complaint_sheet/")
    expect(page.locator("body")).to_contain_text(own.number)
    page.goto(f"/admin/records_complaint_sheet/details/?id={own.pk}")
    expect(page.locator("body")).to_contain_text("暖气片漏水")
    expect(page.locator("body")).not_to_contain_text(SECRET_TITLE)
    expect(page.get_by_role("tab", name="审计追踪")).to_have_count(0)
    response = page.goto(f"/admin/records_complaint_sheet/details/?id={secret.pk}")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(SECRET_TITLE)
    response = page.goto(f"/api/v1/records/{secret.number}/versions")
    assert response.status == 404
    assert not refused, refused
