"""The main pages pass axe-core's WCAG 2 A and AA rules with no violation,
in each language, logged out and in, in a real Chromium."""

from __future__ import annotations

import pytest

from portal.models import Department
from records.calendar import seed_from_package
from tests.browser.steps import log_in
from tests.helpers import hotline_complaint

pytestmark = pytest.mark.browser


def _violations(page, axe_source) -> list[str]:
    page.add_script_tag(content=axe_source)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return result.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3)
            .map(n => n.target.join(' ')).join(' | '));
    }""")
    return found


def test_the_main_pages_have_no_accessibility_violations(axe_page, axe_source, app, make_user):
    page = axe_page
    seed_from_package(years=[2025, 2026, 2027])
    Department(code="CS", name="客服中心").save()
    make_user("chen", roles=["controller"], department="CS", full_name="陈静")
    record = hotline_complaint("检测报告数据有误", "华新水泥厂", "报告第3页数据与原始记录不符")
    page.goto("/login")
    failures = {}
    if found := _violations(page, axe_source):
        failures["/login"] = found
    log_in(page, "chen")
    pages = [
        "/",
        "/tasks",
        "/complaints/new",
        "/register",
        "/overdue",
        "/procedures",
        "/reports",
        f"/admin/records_complaint_sheet/details/?id={record.pk}",
        "/admin/records_complaint_sheet/",
    ]
    for language in ("简体中文", "English"):
        page.get_by_role("button", name=language).click()
        for url in pages:
            page.goto(url)
            found = _violations(page, axe_source)
            if found:
                failures[(language, url)] = found
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
