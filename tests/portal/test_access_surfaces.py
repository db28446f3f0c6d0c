"""Who sees what, on every surface that shows record data.

One complaint of the testing department (handled by 王芳, received by the
controller) carries a customer's contact details, changed once, so its
versions hold an old and a new value. A complaint of the heating department
refers to it. Each role, in the same and in another department, reads every
surface: record page and its tabs, back-office list, API record, versions,
version, diff, as-of and audit trail, search page and API, the Word file, the
register page and its Excel file, the report drill-down. A confidential value
or another department's title never appears where it must not, and appears
where it must.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from docx import Document as WordDocument
from openpyxl import load_workbook

from records.clock import local_now, utcnow
from tests.helpers import hotline_complaint, login
from tests.portal.conftest import ADDRESS, NEW_CONTACT, OLD_CONTACT, OTHER_TITLE, TITLE

#: username -> (sees the complaint, sees its confidential fields, sees the
#: heating department's complaint, reads the audit trail)
READERS = {
    "chen": (True, True, True, True),  # controller, the first receiver
    "wang": (True, True, False, False),  # testing staff, the handler
    "liu": (True, False, False, False),  # testing staff, no business with the customer
    "zhao": (False, False, True, False),  # heating staff
    "boss": (True, True, True, True),  # approver
    "audit": (True, True, True, True),  # auditor
}


def _docx_text(content: bytes) -> str:
    document = WordDocument(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(v)
        for sheet in book
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    )


def _surfaces(record, other):
    """name -> (path, how the body reads, shows confidential values, lists linked titles)."""
    pk, number = record.pk, record.number
    details = f"/admin/records_complaint_sheet/details/?id={pk}"
    today = local_now().date()
    period = f"start={today - timedelta(days=1)}&end={today}"
    now = (local_now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    utc_now = f"{(utcnow() + timedelta(minutes=1)).isoformat(timespec='seconds')}Z"
    text = "text"
    return {
        "record page": (details, text, True, True),
        "record page, version 1": (f"{details}&version=1", text, True, True),
        "record page, as of now": (f"{details}&as_of={now}", text, True, True),
        "record page, diff 1-2": (f"{details}&from=1&to=2", text, True, True),
        "back-office list": ("/admin/records_complaint_sheet/", text, False, False),
        "API record": (f"/api/v1/records/{number}", text, True, False),
        "API versions": (f"/api/v1/records/{number}/versions", text, True, False),
        "API version 1": (f"/api/v1/records/{number}/versions/1", text, True, False),
        "API version 2": (f"/api/v1/records/{number}/versions/2", text, True, False),
        "API diff 1-2": (f"/api/v1/records/{number}/diff?from=1&to=2", text, True, False),
        "API as of": (f"/api/v1/records/{number}/versions?as_of={utc_now}", text, True, False),
        "search page": ("/search?q=华新水泥厂", text, False, False),
        "search API": ("/api/v1/search?q=华新水泥厂", text, False, False),
        # The API does not echo the query: a hit would be the leak.
        "search API, by contact": (f"/api/v1/search?q={NEW_CONTACT}", text, False, False),
        "Word file": (f"/api/v1/records/{number}/docx", "docx", True, False),
        "register page": (f"/register?{period}", text, False, False),
        "register Excel": (f"/api/v1/registers/complaints.xlsx?{period}", "xlsx", False, False),
        "report drill-down": (
            f"/reports/records?metric=complaints&kind=month&year={today.year}&number={today.month}",
            text,
            False,
            False,
        ),
    }


def _read(client, path, how):
    response = client.get(path)
    assert response.status_code < 500, (path, response.status_code)
    if response.status_code != 200:
        return response.status_code, ""
    body = response.get_data()
    if how == "docx":
        return 200, _docx_text(body)
    if how == "xlsx":
        return 200, _xlsx_text(body)
    if response.is_json:
        return 200, json.dumps(response.get_json(), ensure_ascii=False)
    return 200, body.decode()


@pytest.mark.parametrize("username", list(READERS))
def test_every_surface_shows_each_role_what_it_may_see(app, world, username):
    sees, confidential, sees_other, reads_audit = READERS[username]
    client = app.test_client()
    login(client, username)
    wrong = []
    checked = 0
    for name, (path, how, shows_secret, lists_links) in _surfaces(
        world["first"], world["other"]
    ).items():
        status, body = _read(client, path, how)
        checked += 1
        if OTHER_TITLE in body and not sees_other:
            wrong.append(f"{name}: another department's title")
        if lists_links and sees and sees_other and status == 200 and OTHER_TITLE not in body:
            wrong.append(f"{name}: the linked record is missing")
        for secret in (
            (NEW_CONTACT, ADDRESS) if name != "record page, version 1" else (OLD_CONTACT, ADDRESS)
        ):
            if secret in body and not confidential:
                wrong.append(f"{name}: confidential {secret}")
            if (
                shows_secret
                and confidential
                and secret not in body
                and "diff" not in name
                and "version 1" not in name
            ):
                wrong.append(f"{name}: {secret} missing")
        if OLD_CONTACT in body and not confidential:
            wrong.append(f"{name}: old confidential value")
        if (
            name in ("API versions", "API diff 1-2")
            and confidential
            and (OLD_CONTACT not in body or NEW_CONTACT not in body)
        ):
            wrong.append(f"{name}: the change of contact is missing")
        if TITLE in body and not sees:
            wrong.append(f"{name}: the title of a record out of sight")
        if (
            name
            in (
                "record page",
                "API record",
                "back-office list",
                "search page",
                "register page",
                "register Excel",
            )
            and sees
            and TITLE not in body
        ):
            wrong.append(f"{name}: the record is missing")
    audit_status = client.get(f"/api/v1/records/{world['first'].number}/audit").status_code
    page = client.get(f"/admin/records_complaint_sheet/details/?id={world['first'].pk}")
    if reads_audit:
        assert audit_status == 200 and 'data-testid="audit"' in page.get_data(as_text=True)
    else:
        assert audit_status in (403, 404)
        assert 'data-testid="audit"' not in page.get_data(as_text=True)
    assert not wrong, wrong
    assert checked == len(_surfaces(world["first"], world["other"]))


def test_the_creator_reads_the_confidential_field_of_each_version(app, org, make_user):
    """/versions/<n> used to hide a confidential field from its own creator."""
    record = hotline_complaint(
        "楼道灯坏",
        "阳光小区",
        "灯坏了",
        by="zhao",
        ago=timedelta(hours=1),
        contact="马女士 13700007777",
    )
    client = app.test_client()
    login(client, "zhao")
    answer = client.get(f"/api/v1/records/{record.number}/versions/1").get_json()
    assert answer["data"]["contact"] == "马女士 13700007777"
    assert answer["hidden_fields"] == []
    heat = app.test_client()
    login(heat, "liu")
    assert heat.get(f"/api/v1/records/{record.number}/versions/1").status_code == 404
