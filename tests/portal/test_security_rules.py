"""Sessions that end, tokens that verify, headers on every answer, and the
rules of who may file and dispose of what, as an attacker would try them."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.accounts import create_token, set_password
from portal.models import User
from records.clock import local_now
from records.models import Record
from records.operations import create_record
from records.store import database
from tests.helpers import actor_of, csrf_token, login, post_form


def _complaint(**extra):
    received = (local_now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    return create_record(
        actor_of("chen"),
        "complaint_sheet",
        {
            "title": "报告有误",
            "received_at": received.isoformat(),
            "channel": "hotline",
            "customer": "华新水泥厂",
            "description": "数据不符",
            **extra,
        },
    )


def _api_csrf(client) -> str:
    return csrf_token(client, "/")


def _api_create(client, token, type_name, data):
    """A new record through the API, as the portal's pages send it (session and CSRF token)."""
    return client.post(
        f"/api/v1/records/{type_name}", headers={"X-CSRFToken": token}, json={"data": data}
    )


def _bare_complaint(**extra):
    """A complaint with only its required fields, received this minute."""
    return {
        "title": "t",
        "received_at": local_now().strftime("%Y-%m-%dT%H:%M"),
        "channel": "hotline",
        "customer": "c",
        "description": "d",
        **extra,
    }


def test_logging_out_ends_the_session_for_good(app, org):
    client = app.test_client()
    login(client, "wang")
    cookie = client.get_cookie("portal_session") or client.get_cookie("session")
    assert client.get("/api/v1/me").status_code == 200
    post_form(client, "/logout", {}, page="/")
    assert client.get("/api/v1/me").status_code == 401
    # The old cookie, replayed by someone who kept it, opens nothing either.
    thief = app.test_client()
    thief.set_cookie(cookie.key, cookie.value)
    assert thief.get("/api/v1/me").status_code == 401


def test_logout_ends_only_this_session_and_a_password_change_ends_all(app, org):
    office, home = app.test_client(), app.test_client()
    login(office, "wang")
    login(home, "wang")
    post_form(office, "/logout", {}, page="/")
    assert office.get("/api/v1/me").status_code == 401
    assert home.get("/api/v1/me").status_code == 200
    set_password(User.objects.get(username="wang"), "another long password")
    assert home.get("/api/v1/me").status_code == 401


def test_a_session_needs_the_csrf_header_even_with_a_bearer_header(app, org):
    client = app.test_client()
    login(client, "chen")
    before = Record.objects.count()
    body = {
        "data": {
            "title": "x",
            "received_at": local_now().strftime("%Y-%m-%dT%H:%M"),
            "channel": "hotline",
            "customer": "c",
            "description": "d",
        }
    }
    forged = client.post(
        "/api/v1/records/complaint_sheet", json=body, headers={"Authorization": "Bearer x"}
    )
    assert forged.status_code == 401
    assert forged.json["error"] == "unauthorized" and "令牌" in forged.json["message"]
    no_csrf = client.post("/api/v1/records/complaint_sheet", json=body)
    assert no_csrf.status_code == 400 and no_csrf.json["error"] == "csrf"
    assert Record.objects.count() == before
    good = client.post(
        "/api/v1/records/complaint_sheet", json=body, headers={"X-CSRFToken": _api_csrf(client)}
    )
    assert good.status_code == 201


def test_a_valid_token_is_the_tokens_user_not_the_sessions(app, org):
    client = app.test_client()
    login(client, "chen")
    _token, clear = create_token(User.objects.get(username="audit"), "script")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert me.json["username"] == "audit"
    other_scheme = client.get("/api/v1/me", headers={"Authorization": "Basic Y2hlbjpw"})
    assert other_scheme.status_code == 401


def test_every_answer_carries_the_security_headers(app, org):
    client = app.test_client()
    login(client, "chen")
    record = _complaint()
    for path in (
        "/",
        f"/admin/records_complaint_sheet/details/?id={record.pk}",
        f"/api/v1/records/{record.number}",
        f"/api/v1/records/{record.number}/docx",
        "/login",
        "/no-such-page",
    ):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert (
            "script-src 'self' 'nonce-" in policy
            and "unsafe-inline'" not in policy.split("style-src")[0]
        ), path
        assert "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Flask-Admin's own inline scripts carry the nonce of the answer they are in.
    listing = client.get("/admin/records_complaint_sheet/")
    nonce = re.search(r"'nonce-([^']+)'", listing.headers["Content-Security-Policy"]).group(1)
    html = listing.get_data(as_text=True)
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag
    assert "onclick=" not in html


def test_trace_and_unknown_methods_answer_405_with_allow(client, org):
    for method in ("TRACE", "PROPFIND"):
        response = client.open("/api/v1/me", method=method)
        assert response.status_code == 405, method
        assert "GET" in response.headers["Allow"]
        assert response.json["error"] == "method_not_allowed"


def test_staff_file_records_in_their_own_department_only(app, org):
    client = app.test_client()
    login(client, "wang")  # testing department
    token = _api_csrf(client)
    refused = _api_create(client, token, "complaint_sheet", _bare_complaint(department="HEAT"))
    assert refused.status_code == 403
    assert Record.objects.count() == 0
    handover = {
        "title": "夜班",
        "shift_date": local_now().date().isoformat(),
        "shift": "night",
        "handed_over_by": "王芳",
        "events": "无",
    }
    made = _api_create(client, token, "handover_log", handover)
    assert made.status_code == 201 and made.json["department"] == "TEST"


def test_silent_coercions_are_refused_with_the_field_named(app, org):
    client = app.test_client()
    login(client, "chen")
    token = _api_csrf(client)
    for field, value, says in (
        ("complainants", 2.7, "整数"),
        ("urgent", {"a": 1}, "是"),
        ("customer", {"name": "x"}, "文本"),
        ("complainants", 2**70, "过大"),
        ("received_at", "0001-01-01T00:00", "1900"),
    ):
        answer = _api_create(client, token, "complaint_sheet", _bare_complaint(**{field: value}))
        assert answer.status_code == 400, (field, value)
        assert says in answer.json["message"], answer.json
        # A number beyond 64 bits is refused by the request layer, before any field.
        assert answer.json.get("field") == (None if value == 2**70 else field), answer.json
    record = _complaint()
    half = client.patch(
        f"/api/v1/records/{record.number}",
        headers={"X-CSRFToken": token},
        json={"data": {"title": "新标题"}, "version": 1.5},
    )
    assert half.status_code == 400 and "版本" in half.json["message"]
    listed = client.post(
        f"/api/v1/records/{record.number}/transitions/dispatch",
        headers={"X-CSRFToken": token},
        json={"comment": ["a", "list"]},
    )
    assert listed.status_code == 400 and listed.json["field"] == "comment"
    missing = client.post(
        "/api/v1/records/complaint_sheet", headers={"X-CSRFToken": token}, json={"title": "no data"}
    )
    assert missing.status_code == 400 and '"data"' in missing.json["message"]
    assert database().records.count_documents({}) == 1
    assert Record.objects.get(number=record.number).version == 1


def test_an_auditor_asking_to_dispose_is_told_the_role_not_the_retention(app, org):
    record = _complaint()
    client = app.test_client()
    login(client, "audit")
    answer = client.delete(
        f"/api/v1/records/{record.number}",
        headers={"X-CSRFToken": _api_csrf(client)},
        json={"reason": "试试"},
    )
    assert answer.status_code == 403 and answer.json["error"] == "forbidden"


def test_an_attachment_name_never_carries_control_characters(app, org):
    from records.attachments import attach_file

    record = create_record(
        actor_of("wang"),
        "handover_log",
        {
            "title": "夜班",
            "shift_date": local_now().date().isoformat(),
            "shift": "night",
            "handed_over_by": "王芳",
            "events": "无",
        },
    )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    attach_file(actor_of("wang"), record.number, "scan\x00\r\nX-Evil: 1.png", png, base_version=1)
    stored = Record.objects.get(number=record.number).attachments[0]
    assert stored["filename"] == "scanX-Evil: 1.png"
    client = app.test_client()
    login(client, "wang")
    answer = client.get(
        f"/admin/records_handover_log/download/?id={record.pk}&attachment={stored['id']}"
    )
    assert answer.status_code == 200
    assert "\r" not in answer.headers["Content-Disposition"]
    assert "\x00" not in answer.headers["Content-Disposition"]
