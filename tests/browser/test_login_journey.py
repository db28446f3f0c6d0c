"""A person logs in, switches the language and logs out, in real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_log_in_switch_language_log_out(page, make_user, tmp_path):
    make_user("wang", roles=["staff"], full_name="王芳")
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    page.get_by_label("用户名").fill("wang")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误。")

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_test_id("current-user")).to_have_text("王芳")
    page.screenshot(path=str(tmp_path / "back-office-zh-Hans.png"), full_page=True)

    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.get_by_role("button", name="登出")).to_be_visible()
    expect(page.get_by_role("link", name="我的帳戶").first).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.get_by_role("link", name="My account").first.click()
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    page.screenshot(path=str(tmp_path / "account-en.png"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.goto("/admin/account/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
