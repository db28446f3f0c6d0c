"""The organisation the work-page and Word tests share: a service centre,
testing and heating departments, a controller, staff, a director and an
auditor."""

from __future__ import annotations

import pytest

from records.calendar import seed_from_package
from tests.helpers import save_departments


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
