"""The JSON API under /api/v1, used with bearer tokens as scripts would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.exceptions import HTTPException

from portal.accounts import create_token
from portal.models import Department
from records.models import AuditEntry, Record
from records.store import database
from tests.records.conftest import HANDOVER


@pytest.fixture
def api(app, make_user):
    """``api("wang").post(...)``: a client that sends the user's bearer token."""
    Department(code="CS", name="客服中心").save()
    clients = {}

    def for_user(username, roles=("staff",), **kwargs):
        if username not in clients:
            user = make_user(username, roles=roles, department="CS", **kwargs)
            _token, clear = create_token(user, "test")
            client = app.test_client()
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {clear}"
            clients[username] = client
        return clients[username]

    return for_user


def test_types_describe_fields_choices_and_workflow(api):
    types = {t["name"]: t for t in api("wang").get("/api/v1/types").json}
    handover = types["handover_log"]
    assert handover["form_code"] == "GAEPC/QR-021" and handover["edition"] == "A/0"
    assert handover["titles"]["zh_Hant"] == "交接班記錄"
    shift = next(f for f in handover["fields"] if f["name"] == "shift")
    assert shift["required"] is True and shift["type"] == "choice"
    assert [c["value"] for c in shift["choices"]] == ["day", "middle", "night"]
    assert "procedure_document" in types


def test_create_read_patch_with_versions_and_conflict(api):
    wang = api("wang")
    created = wang.post("/api/v1/records/handover_log", json={"data": HANDOVER})
    assert created.status_code == 201
    number = created.json["number"]
    assert created.json["version"] == 1 and created.headers["ETag"] == '"1"'
    assert created.headers["Location"].endswith(f"/api/v1/records/{number}")
    assert wang.get(f"/api/v1/records/{number}").json["data"]["events"] == HANDOVER["events"]

    li = api("li")
    first = li.patch(
        f"/api/v1/records/{number}",
        json={"data": {"events": "已修复"}},
        headers={"If-Match": '"1"'},
    )
    assert first.status_code == 200 and first.json["version"] == 2
    stale = wang.patch(
        f"/api/v1/records/{number}", json={"data": {"open_items": "明早复查"}, "version": 1}
    )
    assert stale.status_code == 409
    assert stale.json["current_version"] == 2
    assert stale.json["changes"] == [
        {"field": "events", "old": HANDOVER["events"], "new": "已修复"}
    ]
    assert "Li" in stale.json["message"]
    no_base = wang.patch(f"/api/v1/records/{number}", json={"data": {"open_items": "x"}})
    assert no_base.status_code == 428

    versions = wang.get(f"/api/v1/records/{number}/versions").json
    assert [v["version"] for v in versions] == [2, 1]
    assert (
        wang.get(f"/api/v1/records/{number}/versions/1").json["data"]["events"]
        == HANDOVER["events"]
    )
    diff = wang.get(f"/api/v1/records/{number}/diff?from=1&to=2").json
    assert diff["changes"][0]["new"] == "已修复"


def test_bad_input_is_a_json_error_in_the_users_language(api):
    wang = api("wang", locale="en")
    missing = wang.post("/api/v1/records/handover_log", json={"data": {**HANDOVER, "events": ""}})
    assert missing.status_code == 400
    assert missing.json == {
        "error": "invalid",
        "field": "events",
        "message": "This field is required.",
    }
    chinese = api("li")  # default language
    bad = chinese.post(
        "/api/v1/records/handover_log", json={"data": {**HANDOVER, "shift_date": "yesterday"}}
    )
    assert bad.status_code == 400 and bad.json["field"] == "shift_date"
    assert bad.json["message"] == "无效的值。"
    garbage = chinese.post(
        "/api/v1/records/handover_log", data="{not json", content_type="application/json"
    )
    assert garbage.status_code == 400 and "message" in garbage.json
    assert chinese.get("/api/v1/records/NOPE-1").status_code == 404
    assert chinese.post("/api/v1/records/no_such_type", json={"data": {}}).status_code == 404
    assert Record.objects.count() == 0


def test_transitions_sign_and_audit(api):
    wang = api("wang")
    number = wang.post(
        "/api/v1/records/handover_log", json={"data": {**HANDOVER, "taken_over_by": "李雷"}}
    ).json["number"]
    assert (
        wang.post(f"/api/v1/records/{number}/transitions/hand_over", json={"comment": "交班"}).json[
            "state"
        ]
        == "handed_over"
    )
    li = api("li")
    refused = li.post(f"/api/v1/records/{number}/transitions/accept", json={"password": "wrong"})
    assert refused.status_code == 403
    signed = li.post(
        f"/api/v1/records/{number}/transitions/accept", json={"password": "correct horse battery"}
    )
    assert signed.status_code == 200
    assert signed.json["signatures"][0]["name"] == "Li"
    assert signed.json["signatures"][0]["meaning"] == "reviewed"
    assert wang.get(f"/api/v1/records/{number}/audit").status_code == 403  # staff
    assert li.get(f"/api/v1/records/{number}").status_code == 200
    auditor = api("audit", roles=("auditor",))
    actions = [e["action"] for e in auditor.get(f"/api/v1/records/{number}/audit").json]
    assert actions[0] == "create"
    assert {"view", "transition", "signature", "signature_refused"} <= set(actions)


def test_delete_is_refused_until_retention_ends_then_leaves_a_certificate(api):
    wang = api("wang")
    number = wang.post(
        "/api/v1/records/handover_log", json={"data": {**HANDOVER, "taken_over_by": "李雷"}}
    ).json["number"]
    director = api("director", roles=("approver",))
    refused = director.delete(f"/api/v1/records/{number}", json={"reason": "清理"})
    assert refused.status_code == 409
    assert refused.json["error"] == "conflict"
    assert refused.json["message"] == f"{number} 不能处置：其保存期限尚未开始起算。"
    assert wang.delete(f"/api/v1/records/{number}", json={"reason": "x"}).status_code in (403, 409)
    past = Record.objects.get(number=number).created_at - timedelta(days=4 * 366)
    database().records.update_one({"number": number}, {"$set": {"retention_ends_on": past}})
    not_approver = wang.delete(f"/api/v1/records/{number}", json={"reason": "x"})
    assert not_approver.status_code == 403
    done = director.delete(f"/api/v1/records/{number}", json={"reason": "保存期满"})
    assert done.status_code == 200 and done.json["number"] == number
    assert wang.get(f"/api/v1/records/{number}").status_code == 404
    assert AuditEntry.objects(action="dispose", number=number).count() == 1


def test_session_clients_need_csrf_but_token_clients_do_not(app, api, make_user):
    api("wang")
    from tests.helpers import login

    browser = app.test_client()
    login(browser, "wang")
    refused = browser.post("/api/v1/records/handover_log", json={"data": HANDOVER})
    assert refused.status_code == 400
    assert Record.objects.count() == 0
    assert (
        api("wang").post("/api/v1/records/handover_log", json={"data": HANDOVER}).status_code == 201
    )


def _sample(parameter: dict) -> str:
    """A value of a path parameter that its rule accepts."""
    schema = parameter.get("schema", {})
    if "enum" in schema:
        return schema["enum"][0]
    return "1" if schema.get("type") == "integer" else "sample"


def test_openapi_document_lists_every_path(app, client):
    """Every operation of /api/v1 is documented, and every documented one exists."""
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    urls = app.url_map.bind("localhost")
    documented = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            values = {
                p["name"]: _sample(p) for p in operation.get("parameters", ()) if p["in"] == "path"
            }
            url = "/api/v1" + path.format(**values)
            try:
                endpoint, _arguments = urls.match(url, method=method.upper())
            except HTTPException as error:
                pytest.fail(f"documented {method.upper()} {path} is not served: {error}")
            documented.add((endpoint, method.upper()))
    assert served - documented == set(), "served but not documented"
    assert documented == served
    # Creating is documented once per record type, with the type's own fields.
    for name in ("handover_log", "complaint_sheet"):
        assert "post" in document["paths"][f"/records/{name}"], name
    schema = document["paths"]["/records/handover_log"]["post"]["requestBody"]
    data = schema["content"]["application/json"]["schema"]["properties"]["data"]
    assert "events" in data["required"]


def test_a_record_as_it_was_at_a_given_time(api):
    wang = api("wang")
    number = wang.post("/api/v1/records/handover_log", json={"data": HANDOVER}).json["number"]
    first = wang.get(f"/api/v1/records/{number}/versions").json[0]["changed_at"]
    wang.patch(f"/api/v1/records/{number}", json={"data": {"events": "后来改的"}, "version": 1})
    then = wang.get(f"/api/v1/records/{number}/versions?as_of={first}").json
    assert then["version"] == 1 and then["data"]["events"] == HANDOVER["events"]
    before = wang.get(f"/api/v1/records/{number}/versions?as_of=2000-01-01T00:00:00")
    assert before.status_code == 404
    assert wang.get(f"/api/v1/records/{number}/versions?as_of=soon").status_code == 400


def test_creating_with_a_number_already_taken_answers_409_not_500(api):
    wang = api("wang")
    taken = wang.post("/api/v1/records/handover_log", json={"data": HANDOVER}).json["number"]
    # Settings kept from before patterns were checked: the revisit record
    # numbers like the handover log.
    database().type_settings.insert_one(
        {"_id": "revisit_record", "numbering_pattern": "QR-021-{year}-{seq:04}"}
    )
    response = wang.post(
        "/api/v1/records/revisit_record",
        json={
            "data": {
                "customer": "华源小区",
                "revisit_date": "2026-03-04",
                "method": "phone",
                "feedback": "满意",
                "satisfaction": "satisfied",
            }
        },
    )
    assert response.status_code == 409
    assert response.json["message"].startswith(f"编号 {taken} 已被另一条记录占用")
