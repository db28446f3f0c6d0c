"""Actors and sample data for the records layer (no web involved)."""

from __future__ import annotations

import pytest

from records.access import Actor


def actor(username, *roles, department="CS", password="sign here 123"):
    return Actor(username=username, full_name=username.title(), roles=tuple(roles),
                 department=department, verify_password=lambda given: given == password)


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
    "title": "夜班交接", "shift_date": "2026-11-20", "shift": "night",
    "handed_over_by": "王芳", "events": "3号楼供暖管道漏水，已关阀。",
}

PROCEDURE = {
    "doc_code": "QP-09", "title": "记录管理程序", "doc_edition": "A/0",
    "body": "本程序规定记录的标识、贮存、保护、检索、保存期限和处置。",
}
