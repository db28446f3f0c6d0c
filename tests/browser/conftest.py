"""The journeys walk through the portal tests' organisation (and, for who sees
what, their world); the complaint journeys add the hotline's first receiver
and the calendar of 2027, where a step taken in late December falls due."""

from __future__ import annotations

import pytest

from records.calendar import seed_from_package
from tests.portal.conftest import org, world  # noqa: F401 - fixtures of the journeys


@pytest.fixture
def journey_org(org, make_user):  # noqa: F811 - the organisation imported above
    seed_from_package(years=[2027])
    make_user("hotline", roles=["staff"], department="CS", full_name="郑宇")
