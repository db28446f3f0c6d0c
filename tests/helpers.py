"""Helpers that use the portal the way a browser does, CSRF token included;
the organisation's departments; and the complaint most portal tests start
from, with its dispatch."""

from __future__ import annotations

import os
import re
from datetime import timedelta

from portal.actors import actor_for
from portal.models import Department, User
from records.clock import local_now
from records.operations import create_record, transition_record

PASSWORD = "correct horse battery"

#: The organisation's departments by code, as the tests name them.
DEPARTMENTS = {
    "CS": "客服中心",
    "TEST": "检测部",
    "HEAT": "供热分公司",
    "QA": "质检部",
    "MGMT": "中心领导",
}


def child_env() -> dict[str, str]:
    """The environment for a portal process a test starts: none of this
    machine's portal settings, but the tests' cheap password hashing (set by
    tests/conftest.py; at the production cost each hash costs ~0.2 s of CPU)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PORTAL_") or k.startswith("PORTAL_PASSWORD_HASH_")
    }


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path="/login") -> str:
    """The CSRF token a page hands out, as a browser would read it."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username, password=PASSWORD, follow_redirects=False):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=follow_redirects,
    )


def post_form(client, path, data, page=None, **kwargs):
    """POST ``data`` to ``path`` with the CSRF token of ``page`` (default: path)."""
    data = {**data, "csrf_token": csrf_token(client, page or path)}
    return client.post(path, data=data, **kwargs)


def session_of(app, username, password=PASSWORD):
    """A browser session of ``username``."""
    client = app.test_client()
    login(client, username, password)
    return client


def actor_of(username):
    """The records actor of a stored user."""
    return actor_for(User.objects.get(username=username))


def save_departments(*codes):
    """Save the departments of ``codes``; the saved ones by code."""
    return {code: Department(code=code, name=DEPARTMENTS[code]).save() for code in codes}


def hotline_complaint(title, customer, description, *, by="chen", ago=timedelta(), **fields):
    """A complaint ``by`` took on the hotline, received ``ago`` (to the minute)."""
    received = (local_now() - ago).replace(second=0, microsecond=0)
    data = {
        "title": title,
        "received_at": received.isoformat(),
        "channel": "hotline",
        "customer": customer,
        "description": description,
        **fields,
    }
    return create_record(actor_of(by), "complaint_sheet", data)


def dispatch(number, department="TEST", handler="wang", subject="technical"):
    """The controller 陈静 dispatches complaint ``number`` to ``handler``."""
    changes = {
        "department": department,
        "handler": handler,
        "subject": subject,
        "responsibility": "1",
    }
    return transition_record(actor_of("chen"), number, "dispatch", changes=changes)
