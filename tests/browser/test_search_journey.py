"""Staff find a record by what the customer said; another department does not."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from portal.models import Department
from records.operations import create_record
from search_index import IndexerThread
from tests.browser.steps import log_in, log_out
from tests.records.conftest import HANDOVER, actor

pytestmark = pytest.mark.browser


@pytest.fixture
def indexing(app):
    """The background indexer, as `portal serve` runs it."""
    thread = IndexerThread(app.extensions["search_indexer"], interval=0.1)
    thread.start()
    yield
    thread.stop()


def _search_from_header(page, words, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        page.get_by_role("searchbox", name="搜索记录").first.fill(words)
        page.get_by_role("searchbox", name="搜索记录").first.press("Enter")
        page.wait_for_load_state()
        if page.get_by_test_id("results").count() or time.monotonic() > deadline:
            return
        time.sleep(0.3)


def test_find_by_a_phrase_filter_save_and_rerun_while_others_see_nothing(
    page, app, make_user, indexing
):
    cs = Department(code="CS", name="客服中心").save()
    qa = Department(code="QA", name="质检部").save()
    make_user("wang", roles=["staff"], department=cs, full_name="王芳")
    make_user("zhao", roles=["staff"], department=qa, full_name="赵强")
    with app.app_context():
        record = create_record(
            actor("wang", "staff", department="CS"),
            "handover_log",
            {**HANDOVER, "events": "客户说空调外机半夜嗡嗡响，吵得睡不着。"},
        )

    log_in(page, "wang")
    _search_from_header(page, "外机 睡不着")
    results = page.get_by_test_id("results")
    expect(results.get_by_role("link", name=record.number)).to_be_visible()
    expect(results.locator("mark").first).to_have_text(re.compile("外机|睡不着"))
    expect(page.get_by_test_id("total")).to_have_text("找到 1 条记录")

    page.locator('[data-facet="type"]').first.click()
    expect(page).to_have_url(re.compile(r"type=handover_log"))
    expect(page.get_by_test_id("results").get_by_role("link", name=record.number)).to_be_visible()
    page.get_by_placeholder("为此搜索命名").fill("空调噪音投诉")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("已保存搜索“空调噪音投诉”。")).to_be_visible()
    page.goto("/")
    page.goto("/search")
    page.get_by_test_id("saved-searches").get_by_role("link", name="空调噪音投诉").click()
    expect(page.get_by_test_id("results").get_by_role("link", name=record.number)).to_be_visible()

    page.get_by_role("link", name=record.number).click()
    expect(page.get_by_text("客户说空调外机半夜嗡嗡响").first).to_be_visible()
    log_out(page)

    log_in(page, "zhao")
    _search_from_header(page, "外机 睡不着", timeout=0)
    expect(page.get_by_test_id("no-results")).to_be_visible()
    expect(page.get_by_text(record.number)).to_have_count(0)
