"""Actors, sample data and the organisation of the records-layer tests."""

from __future__ import annotations

import pytest

from portal import accounts
from records.access import Actor
from tests.helpers import save_departments
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
    stored_user,
)


def actor(username, *roles, department="CS", password="sign here 123"):
    return Actor(
        username=username,
        full_name=username.title(),
        roles=tuple(roles),
        department=department,
        verify_password=lambda given: given == password,
    )


@pytest.fixture
def controller(app):
    return actor("chen", "controller")


@pytest.fixture
def approver(app):
    return actor("director", "approver", department="MGMT")


@pytest.fixture
def staff(app):
    return actor("wang", "staff")


@pytest.fixture
def auditor(app):
    return actor("audit", "auditor", department=None)


HANDOVER = {
    "title": "夜班交接",
    "shift_date": "2026-11-20",
    "shift": "night",
    "handed_over_by": "王芳",
    "events": "3号楼供暖管道漏水，已关阀。",
}

REVISIT = {
    "customer": "华源小区",
    "revisit_date": "2026-03-04",
    "method": "phone",
    "feedback": "满意",
    "satisfaction": "satisfied",
}

PROCEDURE = {
    "doc_code": "QP-09",
    "title": "记录管理程序",
    "doc_edition": "A/0",
    "body": "本程序规定记录的标识、贮存、保护、检索、保存期限和处置。",
}


@pytest.fixture
def complaint_org(app):
    """Departments and the users records name (handlers, responsible people)."""
    departments = save_departments("CS", "HEAT", "QA", "MGMT")
    # One real account (hashed password, checked roles and positions); the rest
    # are stored directly.
    accounts.create_user(
        DIRECTOR.username,
        DIRECTOR.full_name,
        PASSWORD,
        roles=list(DIRECTOR.roles),
        department=DIRECTOR.department,
        positions=list(DIRECTOR.positions),
    )
    for who in (CHEN, WANG, LI, ZHAO, SUN, QIAN, TECH, QM):
        stored_user(who, departments[who.department])
