"""The header is one row at 1280 and 1024 px in every language, on portal
pages and in the back office, for the role with the most links."""

from __future__ import annotations

import pytest

from portal.models import Department
from tests.browser.steps import log_in

pytestmark = pytest.mark.browser

LANGUAGES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}


def _one_row(page) -> tuple[float, float]:
    """The header's height and the tallest of its items (one row: the same)."""
    return page.get_by_test_id("navbar").evaluate("""nav => {
        const items = nav.querySelectorAll('.navbar-brand, .nav-item, form, .navbar-text');
        const tops = new Set([...items].filter(e => e.offsetParent)
                                       .map(e => Math.round(e.getBoundingClientRect().top / 8)));
        return [nav.getBoundingClientRect().height, tops.size];
    }""")


def test_the_header_is_one_row_in_every_language(page, app, make_user, tmp_path):
    Department(code="CS", name="客服中心").save()
    make_user("chen", roles=["controller"], department="CS", full_name="陈静")
    log_in(page, "chen")
    heights = {}
    for code, name in LANGUAGES.items():
        page.get_by_role("button", name=name).click()
        for width in (1280, 1024):
            page.set_viewport_size({"width": width, "height": 800})
            for url in ("/", "/admin/records_complaint_sheet/"):
                page.goto(url)
                height, rows = _one_row(page)
                heights[(code, width, url)] = height
                page.screenshot(path=str(tmp_path / f"header-{code}-{width}-{url.count('/')}.png"))
                assert rows == 1, (code, width, url, height)
                assert height < 60, (code, width, url, height)
    # The portal and the back office share one header.
    for code in LANGUAGES:
        assert (
            abs(
                heights[(code, 1280, "/")]
                - heights[(code, 1280, "/admin/records_complaint_sheet/")]
            )
            < 2
        )
