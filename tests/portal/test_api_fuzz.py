"""The API against what no client means to send.

schemathesis generates requests from ``/api/v1/openapi.json`` (valid and
invalid); hypothesis throws hostile values at every write endpoint and query
parameter. No answer is a 5xx, every status is one the document names, and a
refused request leaves the records, their versions, the counters and the
audit trail's record entries as they were.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from portal import accounts
from portal.models import User
from records.store import database
from tests.helpers import hotline_complaint

#: Hypothesis as these tests run it: the same examples on every run and
#: machine, no example database, no time limit, no health check.
REPEATABLE = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": list(HealthCheck),
}

#: Audit actions that record a read or a refusal, written also when nothing changes.
READ_ACTIONS = {"view", "download", "export", "delete_refused", "login", "logout", "login_failed"}


@pytest.fixture
def fuzzed(app, org):
    record = hotline_complaint(
        "被测投诉",
        "华新水泥厂",
        "报告数据有误",
        ago=timedelta(hours=1),
        contact="周先生 13900001111",
    )
    _token, clear = accounts.create_token(User.objects.get(username="chen"), "fuzz")
    return {"number": record.number, "headers": {"Authorization": f"Bearer {clear}"}}


def _snapshot() -> dict:
    db = database()
    return {
        "records": sorted((r["number"], r["version"], r.get("state")) for r in db.records.find()),
        "versions": db.record_versions.count_documents({}),
        "counters": sorted((c["_id"], c.get("seq")) for c in db.counters.find()),
        "audit": db.audit.count_documents({"action": {"$nin": sorted(READ_ACTIONS)}}),
    }


def test_schemathesis_finds_no_server_error_and_no_undocumented_status(app, fuzzed):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=12, **REPEATABLE)
        @given(case=operation.as_strategy())
        def run(case):
            nonlocal tried
            tried += 1
            if "number" in (case.path_parameters or {}) and tried % 2:
                case.path_parameters["number"] = fuzzed["number"]
            response = case.call(headers=fuzzed["headers"])
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, status_code_conformance]
                )
            except Exception as error:  # noqa: BLE001 - collected and reported below
                failures.append(
                    f"{case.method} {case.formatted_path} "
                    f"-> {response.status_code}: {str(error)[:200]}"
                )

        run()
    print(f"schemathesis: {tried} requests")
    assert tried > 100
    assert not failures, failures[:10]


#: Values no field should take quietly.
HOSTILE = st.one_of(
    st.integers(min_value=2**63, max_value=2**80),
    st.integers(max_value=-(2**63) - 1),
    st.sampled_from([float("inf"), float("-inf"), 2.7, 1.5, -0.5]),
    st.sampled_from(
        [
            "\ud800",
            "a\udfffb",
            "x\x00y",
            "\x1b[31m",
            "0001-01-01",
            "9999-12-31",
            "1e999",
            "NaN",
            "Infinity",
            "",
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.booleans(),
    st.none(),
    st.text(max_size=30),
)
FIELDS = [
    "title",
    "received_at",
    "channel",
    "customer",
    "contact",
    "complainants",
    "urgent",
    "lawsuit",
    "description",
    "original",
    "department",
    "handler",
    "reply_date",
    "severity",
]
RAW_BODIES = st.sampled_from(
    [
        "[" * 5000 + "]" * 5000,
        '{"data": ' * 3000 + "1" + "}" * 3000,
        '{"data": {"complainants": Infinity}}',
        '{"data": {"complainants": NaN}}',
        '{"data": {"title": "\\ud800"}}',
        '{"data": {"complainants": 1' + "0" * 40 + "}}",
        "not json",
        '"a string"',
        "[]",
        "{}",
        '{"data": null}',
        '{"data": []}',
        '{"comment": ["a", "list"]}',
        '{"comment": {"an": "object"}}',
        '{"version": 1.5}',
        '{"version": true}',
        '{"version": 1e300}',
        '{"numbers": "QR"}',
        '{"reason": 7}',
    ]
)


def _request(client, headers, number, kind, field, value, raw):
    if raw is not None:
        body, kwargs = raw, {"content_type": "application/json"}
    else:
        body, kwargs = None, {}

    def js(payload):
        try:
            return json.dumps(payload)
        except (ValueError, UnicodeEncodeError):
            return json.dumps(payload, allow_nan=True)

    if kind == "create":
        data = body or js({"data": {field: value, "title": "x"}})
        return client.post(
            "/api/v1/records/complaint_sheet",
            data=data,
            headers=headers,
            content_type="application/json",
        )
    if kind == "patch":
        data = body or js({"data": {field: value}, "version": 1})
        return client.patch(
            f"/api/v1/records/{number}", data=data, headers=headers, content_type="application/json"
        )
    if kind == "transition":
        data = body or js({"comment": value, "data": {field: value}, "version": value})
        return client.post(
            f"/api/v1/records/{number}/transitions/dispatch",
            data=data,
            headers=headers,
            content_type="application/json",
        )
    if kind == "delete":
        data = body or js({"reason": value})
        return client.delete(
            f"/api/v1/records/{number}", data=data, headers=headers, content_type="application/json"
        )
    if kind == "zip":
        data = body or js({"numbers": value})
        return client.post(
            "/api/v1/records/docx", data=data, headers=headers, content_type="application/json"
        )
    # What a browser sends: the value percent-encoded (a lone surrogate as its
    # ill-formed UTF-8 bytes).
    text = quote(
        value if isinstance(value, str) else json.dumps(value, allow_nan=True),
        safe="",
        errors="surrogatepass",
    )
    queries = {
        "version": f"/api/v1/records/{number}/versions/{text}",
        "diff": f"/api/v1/records/{number}/diff?from={text}&to=1",
        "as_of": f"/api/v1/records/{number}/versions?as_of={text}",
        "search": f"/api/v1/search?q=x&from={text}&page={text}",
        "search_as_of": f"/api/v1/search?q=x&as_of={text}&per_page={text}",
        "register": f"/api/v1/registers/complaints.xlsx?start={text}&end={text}",
        "docx": f"/api/v1/records/{number}/docx?version={text}",
        "report": f"/reports?kind=month&year={text}&number={text}",
        "page": f"/admin/records_complaint_sheet/?page={text}&sort={text}",
        "register_page": f"/register?start={text}&end={text}&sort={text}",
        "search_page": f"/search?q={text}&as_of={text}&to={text}&page={text}",
        "overdue_page": f"/overdue?department={text}",
        "tasks_page": f"/tasks?page={text}",
        "records_of_year": f"/procedures/QP-01/complaint_sheet/{text}?page={text}",
        "drill_down": f"/reports/records?metric={text}&year={text}&number={text}",
    }
    return client.get(queries[kind], headers=headers, **kwargs)


KINDS = [
    "create",
    "patch",
    "transition",
    "delete",
    "zip",
    "version",
    "diff",
    "as_of",
    "search",
    "search_as_of",
    "register",
    "docx",
    "report",
    "page",
    "register_page",
    "search_page",
    "overdue_page",
    "tasks_page",
    "records_of_year",
    "drill_down",
]


def test_hostile_values_get_a_clear_4xx_and_change_nothing(app, fuzzed):
    client = app.test_client()
    counts = {"tried": 0}

    @settings(max_examples=400, **REPEATABLE)
    @given(
        kind=st.sampled_from(KINDS),
        field=st.sampled_from(FIELDS),
        value=HOSTILE,
        raw=st.one_of(st.none(), RAW_BODIES),
    )
    def run(kind, field, value, raw):
        before = _snapshot()
        response = _request(
            client,
            fuzzed["headers"],
            fuzzed["number"],
            kind,
            field,
            value,
            raw if kind in ("create", "patch", "transition", "delete", "zip") else None,
        )
        counts["tried"] += 1
        assert response.status_code < 500, (
            kind,
            field,
            value,
            raw,
            response.status_code,
            response.get_data(as_text=True)[:300],
        )
        if response.status_code >= 400:
            assert _snapshot() == before, (kind, field, value, raw)
            if response.is_json:
                assert response.get_json()["message"], (kind, field, value)

    run()
    print(f"hostile inputs: {counts['tried']} tried")
    assert counts["tried"] == 400
