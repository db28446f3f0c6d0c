"""Daily work on a complaint's record page, in a real browser: the next step
leads the page, a refused step keeps every value and names the field, the
handler list narrows to the department, diffs and the audit trail read in
words, tabs can be linked to, and no page title ends in "None"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from records.models import Record
from tests.browser.steps import log_in
from tests.helpers import hotline_complaint

pytestmark = pytest.mark.browser


@pytest.fixture
def complaint(journey_org):
    return hotline_complaint(
        "检测报告数据有误",
        "华新水泥厂",
        "报告第3页抗压强度与原始记录不符",
        contact="周先生 13900001111",
    )


def _expect_people(select, usernames: list[str]) -> None:
    """The people a person's list offers (waiting for the page's script)."""
    offered = select.locator('option:not([disabled]):not([value=""])')
    expect(offered).to_have_count(len(usernames))
    assert [o.get_attribute("value") for o in offered.all()] == usernames


def test_the_next_step_leads_and_a_refused_step_keeps_every_value(page, complaint, tmp_path):
    log_in(page, "chen")
    page.goto(f"/admin/records_complaint_sheet/details/?id={complaint.pk}")
    assert "None" not in page.title() and complaint.number in page.title()
    steps = page.get_by_test_id("next-steps")
    expect(steps).to_be_visible()
    dispatch = steps.get_by_test_id("transition-dispatch")
    expect(dispatch.get_by_role("button", name="派单")).to_have_class(re.compile("btn-primary"))
    page.screenshot(path=str(tmp_path / "record-new.png"), full_page=True)

    # The handler list narrows to the chosen department's people.
    handler = dispatch.locator('select[name="handler"]')
    dispatch.locator('select[name="department"]').select_option("TEST")
    _expect_people(handler, ["liu", "wang"])
    dispatch.locator('select[name="department"]').select_option("HEAT")
    _expect_people(handler, ["zhao"])

    # Refused for the missing handler: nothing typed is lost, the field is named.
    dispatch.locator('select[name="subject"]').select_option("technical")
    dispatch.locator('select[name="responsibility"]').select_option("1")
    dispatch.locator('[name="comment"]').fill("请检测部尽快核实")
    dispatch.locator('select[name="department"]').select_option("TEST")
    with page.expect_response(re.compile("/transition/")) as answer:
        dispatch.get_by_role("button", name="派单").click()
    assert answer.value.status == 400
    dispatch = page.get_by_test_id("transition-dispatch")
    expect(dispatch.get_by_test_id("step-errors")).to_contain_text("处理人")
    expect(dispatch.locator('select[name="handler"]')).to_have_class(re.compile("is-invalid"))
    expect(dispatch.locator(".invalid-feedback")).to_contain_text("处理人")
    expect(dispatch.locator('select[name="department"]')).to_have_value("TEST")
    expect(dispatch.locator('select[name="subject"]')).to_have_value("technical")
    expect(dispatch.locator('select[name="responsibility"]')).to_have_value("1")
    expect(dispatch.locator('[name="comment"]')).to_have_value("请检测部尽快核实")
    _expect_people(dispatch.locator('select[name="handler"]'), ["liu", "wang"])
    page.screenshot(path=str(tmp_path / "record-refused.png"), full_page=True)
    assert Record.objects.get(pk=complaint.pk).state == "received"

    # Taken: the confirmation says what happened and what is due.
    dispatch.locator('select[name="handler"]').select_option("wang")
    dispatch.get_by_role("button", name="派单").click()
    success = page.locator(".alert-success")
    expect(success).to_contain_text("已执行“派单”")
    expect(success).to_contain_text("已派单")
    expect(success).to_contain_text("处理方案截止")

    # The facts are grouped as the form fills them; the dispatch's come under its step.
    facts = page.get_by_test_id("record-fields")
    expect(facts.locator(".fact-group")).to_have_text(["登记", "派单"])
    expect(page.get_by_test_id("empty-fields")).to_contain_text("处理方案")

    # The diff reads in labels and names, not stored codes.
    page.get_by_role("tab", name="比较").click()
    diff = page.get_by_test_id("diff")
    expect(diff).to_contain_text("王芳")
    expect(diff).to_contain_text("检测部")
    expect(diff).to_contain_text("技术")
    for code in ("wang", "technical", "False", "received"):
        expect(diff).not_to_contain_text(code)

    # Pressing 比较 comes back on the compare tab; a tab is a link.
    page.get_by_role("button", name="比较").click()
    expect(page.get_by_test_id("diff")).to_be_visible()
    assert page.url.endswith("#tab-diff")
    page.goto(f"/admin/records_complaint_sheet/details/?id={complaint.pk}#tab-history")
    expect(page.get_by_test_id("history")).to_be_visible()

    # The audit trail: people's names, readable details, views hidden unless asked.
    page.get_by_role("tab", name="审计追踪").click()
    audit = page.get_by_test_id("audit")
    expect(audit).to_contain_text("陈静")
    expect(audit).to_contain_text("派单")
    expect(audit.locator('tr[data-action="view"]')).to_have_count(0)
    expect(page.get_by_test_id("audit-hidden-views")).to_be_visible()
    for raw in ("chen", "{", "dispatched"):
        expect(audit).not_to_contain_text(raw)
    page.get_by_test_id("audit-filter").locator("select").select_option("view")
    page.get_by_test_id("audit-filter").get_by_role("button").click()
    expect(page.get_by_test_id("audit").locator('tr[data-action="view"]').first).to_be_visible()
    page.screenshot(path=str(tmp_path / "record-audit.png"), full_page=True)


def test_no_page_title_ends_in_none(page, complaint):
    log_in(page, "chen")
    for url in (
        "/",
        "/tasks",
        "/register",
        "/complaints/new",
        "/procedures",
        "/admin/records_complaint_sheet/",
    ):
        page.goto(url)
        assert not page.title().endswith("None"), (url, page.title())
        assert "None" not in page.title(), (url, page.title())


def test_a_record_prints_every_tab_without_menus_or_forms(page, complaint):
    log_in(page, "chen")
    page.goto(f"/admin/records_complaint_sheet/details/?id={complaint.pk}")
    page.emulate_media(media="print")
    expect(page.get_by_test_id("record-fields")).to_be_visible()
    expect(page.get_by_test_id("history")).to_be_visible()  # another tab's content
    expect(page.get_by_test_id("signatures")).to_be_visible()
    expect(page.get_by_test_id("navbar")).to_be_hidden()
    expect(page.get_by_test_id("next-steps")).to_be_hidden()
    expect(page.get_by_test_id("delete-form")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.get_by_test_id("history")).to_be_hidden()
    expect(page.get_by_test_id("next-steps")).to_be_visible()


def test_the_report_asks_a_month_or_quarter_only_where_the_period_has_one(page, complaint):
    log_in(page, "chen")
    page.goto("/reports?kind=year&year=2026")
    period = page.get_by_test_id("report-period")
    number = period.locator('input[name="number"]')
    expect(number).to_be_hidden()
    period.locator('select[name="kind"]').select_option("quarter")
    expect(number).to_be_visible()
    number.fill("2")
    period.get_by_role("button").click()
    # The new page loaded, its script included (the title says 2026 on both).
    page.wait_for_url(lambda url: "number=2" in url and "kind=quarter" in url)
    expect(page.get_by_test_id("report-title")).to_contain_text("2026")
    page.get_by_test_id("report-period").locator('select[name="kind"]').select_option("year")
    expect(page.get_by_test_id("report-period").locator('input[name="number"]')).to_be_hidden()


def test_list_filters_are_one_row_at_1280_px_and_name_departments_only(page, complaint):
    log_in(page, "chen")
    page.set_viewport_size({"width": 1280, "height": 800})
    for lang in ("简", "EN"):
        page.get_by_role("button", name=lang).click()
        page.goto("/register")
        filters = page.get_by_test_id("register-filters")
        one_row = filters.locator("select").first.bounding_box()["height"] + 4
        assert filters.bounding_box()["height"] <= one_row, lang
        departments = filters.locator('select[name="department"] option').all_inner_texts()
        # Names as people read them, never the stored department code.
        assert departments[1:] and not any(text.split()[0] == "CS" for text in departments)
