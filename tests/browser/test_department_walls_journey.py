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
from tests.portal.conftest import NEW_CONTACT, OLD_CONTACT, OTHER_TITLE, TITLE

pytestmark = pytest.mark.browser


def test_a_colleague_of_another_department_finds_nothing(app, page, world):
    secret, own = world["first"], world["other"]
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
        f"/search?q={TITLE}",
        "/search?q=华新水泥厂",
        f"/search?q={OLD_CONTACT}",
        f"/search?q={NEW_CONTACT}",
        f"/reports/records?metric=complaints&kind=month&year={today.year}&number={today.month}",
    ):
        page.goto(path)
        body = page.locator("body")
        expect(body).not_to_contain_text(TITLE)
        expect(body).not_to_contain_text(OLD_CONTACT)
        expect(body).not_to_contain_text(NEW_CONTACT)
    # Their own complaint names the earlier one by number only; its page is not theirs.
    page.goto("/admin/records_complaint_sheet/")
    expect(page.locator("body")).to_contain_text(own.number)
    page.goto(f"/admin/records_complaint_sheet/details/?id={own.pk}")
    expect(page.locator("body")).to_contain_text(OTHER_TITLE)
    expect(page.locator("body")).not_to_contain_text(TITLE)
    expect(page.get_by_role("tab", name="审计追踪")).to_have_count(0)
    response = page.goto(f"/admin/records_complaint_sheet/details/?id={secret.pk}")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(TITLE)
    response = page.goto(f"/api/v1/records/{secret.number}/versions")
    assert response.status == 404
    assert not refused, refused
