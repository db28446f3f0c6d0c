"""The organisation the complaint-process and measures tests share."""

from __future__ import annotations

import pytest

from portal import accounts
from portal.models import Department, User
from tests.records.people import (
    CHEN,
    DIRECTOR,
    LI,
    PASSWORD,
    QIAN,
    QM,
    SUN,
    TECH,
    WANG,
    ZHAO,
)


@pytest.fixture
def complaint_org(app):
    """Departments and the users records name (handlers, responsible people)."""
    departments = {code: Department(code=code, name=name).save() for code, name in (
        ("CS", "客服中心"), ("HEAT", "供热分公司"), ("QA", "质检部"), ("MGMT", "中心领导"))}
    # One real account (hashed password, checked roles and positions); the rest
    # are stored directly, as hashing a password per user would slow every test.
    accounts.create_user(DIRECTOR.username, DIRECTOR.full_name, PASSWORD,
                         roles=list(DIRECTOR.roles), department=DIRECTOR.department,
                         positions=list(DIRECTOR.positions))
    for who in (CHEN, WANG, LI, ZHAO, SUN, QIAN, TECH, QM):
        User(username=who.username, full_name=who.full_name, roles=list(who.roles),
             department=departments[who.department], positions=list(who.positions),
             password_hash="not used: actors sign with verify_password").save()
