"""The organisation the complaint journeys share: the service centre with its
hotline receiver and controller, the testing and heating departments with one
handler each, and the director who approves plans."""

from __future__ import annotations

import pytest

from portal.models import Department
from records.calendar import seed_from_package


@pytest.fixture
def journey_org(app, make_user):
    seed_from_package(years=[2025, 2026, 2027])
    for code, name in (("CS", "客服中心"), ("TEST", "检测部"), ("HEAT", "供热分公司")):
        Department(code=code, name=name).save()
    make_user("hotline", roles=["staff"], department="CS", full_name="郑宇")
    make_user("chen", roles=["controller"], department="CS", full_name="陈静")
    make_user("wang", roles=["staff"], department="TEST", full_name="王芳")
    make_user("zhao", roles=["staff"], department="HEAT", full_name="赵磊")
    make_user("boss", roles=["approver"], full_name="黄建国", positions=["director"])
