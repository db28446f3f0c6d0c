"""Actors, sample data and the organisation of the records-layer tests."""

from __future__ import annotations

import pytest

from portal import accounts
from portal.models import Department, User
from records.access import Actor
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

PROCEDURE = {
    "doc_code": "QP-09",
    "title": "记录管理程序",
    "doc_edition": "A/0",
    "body": "本程序规定记录的标识、贮存、保护、检索、保存期限和处置。",
}


@pytest.fixture
def complaint_org(app):
    """Departments and the users records name (handlers, responsible people)."""
    departments = {
        code: Department(code=code, name=name).save()
        for code, name in (
            ("CS", "客服中心"),
            ("HEAT", "供热分公司"),
            ("QA", "质检部"),
            ("MGMT", "中心领导"),
        )
    }
    # One real account (hashed password, checked roles and positions); the rest
    # are stored directly, as hashing a password per user would slow every test.
    accounts.create_user(
        DIRECTOR.username,
        DIRECTOR.full_name,
        PASSWORD,
        roles=list(DIRECTOR.roles),
        department=DIRECTOR.department,
        positions=list(DIRECTOR.positions),
    )
    for who in (CHEN, WANG, LI, ZHAO, SUN, QIAN, TECH, QM):
        User(
            username=who.username,
            full_name=who.full_name,
            roles=list(who.roles),
            department=departments[who.department],
            positions=list(who.positions),
            password_hash="not used: actors sign with verify_password",
        ).save()
