"""The organisation the work-page and Word tests share: a service centre,
testing and heating departments, a controller, staff, a director and an
auditor; and the world the access tests look into: a complaint of the testing
department and one of the heating department that refers to it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from records.calendar import seed_from_package
from records.models import Record
from records.operations import revise_record
from tests.helpers import actor_of, dispatch, hotline_complaint, save_departments

TITLE = "检测报告数据有误甲一"
OTHER_TITLE = "暖气不热乙二号楼"
OLD_CONTACT = "13900001111"
NEW_CONTACT = "13900002222"
ADDRESS = "翠湖路八十八号"


@pytest.fixture
def org(app, make_user):
    seed_from_package(years=[2025, 2026])
    save_departments("CS", "TEST", "HEAT")
    make_user("chen", roles=["controller"], department="CS", full_name="陈静")
    make_user("wang", roles=["staff"], department="TEST", full_name="王芳")
    make_user("liu", roles=["staff"], department="TEST", full_name="刘洋")
    make_user("zhao", roles=["staff"], department="HEAT", full_name="赵强")
    make_user("boss", roles=["approver"], full_name="张主任", positions=["director"])
    make_user("audit", roles=["auditor"], full_name="审核员")


@pytest.fixture
def world(app, org):
    """The testing department's complaint (handled by 王芳), whose customer's
    telephone was changed once, and the heating department's, which names it."""
    first = hotline_complaint(
        TITLE,
        "华新水泥厂",
        "报告第3页数据与原始记录不符",
        ago=timedelta(hours=2),
        contact=f"周先生 {OLD_CONTACT}",
        address=ADDRESS,
    )
    revise_record(
        actor_of("chen"),
        first.number,
        {"contact": f"周先生 {NEW_CONTACT}"},
        base_version=1,
        reason="客户换了电话",
    )
    dispatch(first.number)
    other = hotline_complaint(
        OTHER_TITLE,
        "阳光小区",
        "三栋暖气不热",
        ago=timedelta(hours=2),
        contact="马女士 13700007777",
        original=first.number,
    )
    dispatch(other.number, department="HEAT", handler="zhao")
    app.extensions["search_indexer"].drain()
    return {
        "first": Record.objects.get(number=first.number),
        "other": Record.objects.get(number=other.number),
    }
