"""Steps every browser journey takes: logging in and out through the forms."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers import PASSWORD


def log_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


def log_out(page):
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login$"))
