"""The organisation the complaint journeys share: the service centre with its
hotline receiver and controller, the testing and heating departments with one
handler each, and the director who approves plans."""

from __future__ import annotations

import pytest

from records.calendar import seed_from_package
from tests.helpers import save_departments


@pytest.fixture
def journey_org(app, make_user):
    seed_from_package(years=[2025, 2026, 2027])
    save_departments("CS", "TEST", "HEAT")
    make_user("hotline", roles=["staff"], department="CS", full_name="郑宇")
    make_user("chen", roles=["controller"], department="CS", full_name="陈静")
    make_user("wang", roles=["staff"], department="TEST", full_name="王芳")
    make_user("zhao", roles=["staff"], department="HEAT", full_name="赵磊")
    make_user("boss", roles=["approver"], full_name="黄建国", positions=["director"])
