"""The people of the records tests: actors with roles, departments and
positions, who sign with ``SIGN``."""

from __future__ import annotations

from portal.models import User
from records.access import Actor

SIGN = "sign here 123"
PASSWORD = "correct horse battery"


def person(username, *roles, department, positions=()):
    return Actor(
        username=username,
        full_name=username.title(),
        roles=tuple(roles),
        department=department,
        positions=tuple(positions),
        verify_password=lambda given: given == SIGN,
    )


CHEN = person("chen", "controller", department="CS")
WANG = person("wang", "staff", department="CS")
LI = person("li", "staff", department="HEAT")
ZHAO = person("zhao", "staff", department="HEAT")
SUN = person("sun", "staff", department="QA")
QIAN = person("qian", "staff", department="QA")
DIRECTOR = person("director", "approver", department="MGMT", positions=("director",))
TECH = person("tech", "approver", department="MGMT", positions=("technical_manager",))
QM = person("qm", "approver", department="MGMT", positions=("quality_manager",))


def stored_user(who, department, **fields):
    """``who`` stored as a user of ``department`` (a saved Department), without
    a usable password: actors sign with ``verify_password``, hashing one per
    user would slow every test."""
    return User(
        username=who.username,
        full_name=who.full_name,
        roles=list(who.roles),
        department=department,
        positions=list(who.positions),
        password_hash="not used: actors sign with verify_password",
        **fields,
    ).save()
