"""The OpenAPI document of ``/api/v1``, with one request schema per record type."""

from __future__ import annotations

from records.types import registry
from records.word.output import BATCH_LIMIT

_KINDS = {
    "string": {"type": "string"},
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
}

ERROR = {
    "description": "Refused; `message` says why in the caller's language.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _data_schema(record_type) -> dict:
    properties = {}
    for field in record_type.fields:
        schema = dict(_KINDS.get(field.kind, {"type": "string"}))
        if field.kind == "choice":
            schema = {"type": "string", "enum": list(field.choice_values())}
        if field.max_length:
            schema["maxLength"] = field.max_length
        properties[field.name] = schema
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "required": [f.name for f in record_type.fields if f.required],
    }


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


#: What any operation may answer besides its success: bad input (400), no or
#: a bad login or token (401), no permission (403), no such record or one out
#: of sight (404), a conflict with the record's state, version or retention
#: (409), too large (413), an edit lock (423), a missing If-Match (428), the
#: database or the search index away (503).
ERROR_STATUSES = ("400", "401", "403", "404", "409", "413", "423", "428", "503")


def _op(summary: str, responses: dict, **extra) -> dict:
    errors = {code: ERROR for code in ERROR_STATUSES}
    return {"summary": summary, "responses": {**errors, **responses}, **extra}


def _query(name: str, description: str, kind: str = "string", array: bool = False) -> dict:
    schema = {"type": "array", "items": {"type": kind}} if array else {"type": kind}
    return {"name": name, "in": "query", "description": description, "schema": schema}


def _path(name: str, kind: str = "string", **schema) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind, **schema}}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    """The schema of a JSON object with these properties."""
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _json_body(
    properties: dict, required: list[str] | None = None, body_required: bool = False
) -> dict:
    """A request body of one JSON object (``body_required``: a body must be sent)."""
    body: dict = {"content": {"application/json": {"schema": _object(properties, required)}}}
    if body_required:
        body["required"] = True
    return body


#: The file format of a register: Word or Excel.
_FILE_FORMAT = _path("format", enum=["docx", "xlsx"])


def _register_download(summary: str, *parameters: dict) -> dict:
    """A register's download, as Word or Excel by the path's ``format``."""
    return {
        "get": _op(
            summary,
            {"200": {"description": "A .docx or .xlsx"}},
            parameters=[_FILE_FORMAT, *parameters],
        )
    }


def openapi_document() -> dict:
    number = _path("number")
    record_ok = {
        "200": {
            "description": "The record",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}},
        }
    }
    paths = {
        "/types": {"get": _op("Record types with their fields", {"200": {"description": "ok"}})},
        "/records/{number}": {
            "get": _op(
                "A record (the view is audited)", {**record_ok, "404": ERROR}, parameters=[number]
            ),
            "patch": _op(
                "Revise a record over the version it was read at",
                {**record_ok, "400": ERROR, "409": ERROR, "428": ERROR},
                parameters=[
                    number,
                    {"name": "If-Match", "in": "header", "schema": {"type": "string"}},
                ],
                requestBody=_json_body(
                    {
                        "data": {"type": "object"},
                        "version": {"type": "integer"},
                        "reason": {"type": "string"},
                    },
                    required=["data"],
                ),
            ),
            "delete": _op(
                "Dispose of a record (refused until its retention ends)",
                {"200": {"description": "The disposal certificate"}, "409": ERROR},
                parameters=[number],
            ),
        },
        "/records/{number}/versions": {
            "get": _op(
                "All versions, newest first", {"200": {"description": "ok"}}, parameters=[number]
            )
        },
        "/records/{number}/versions/{n}": {
            "get": _op(
                "One version",
                {"200": {"description": "ok"}, "404": ERROR},
                parameters=[
                    number,
                    _path("n", "integer"),
                ],
            )
        },
        "/records/{number}/diff": {
            "get": _op(
                "What changed between two versions",
                {"200": {"description": "ok"}},
                parameters=[
                    number,
                    {
                        "name": "from",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {"name": "to", "in": "query", "required": True, "schema": {"type": "integer"}},
                ],
            )
        },
        "/records/{number}/transitions/{name}": {
            "post": _op(
                "Take a workflow step; approvals need the signer's password",
                {**record_ok, "400": ERROR, "409": ERROR},
                parameters=[
                    number,
                    _path("name"),
                ],
                requestBody=_json_body(
                    {
                        "comment": {"type": "string"},
                        "password": {"type": "string"},
                        "version": {"type": "integer"},
                        "data": {"type": "object", "description": "the step's fields"},
                    }
                ),
            )
        },
        "/records/{number}/audit": {
            "get": _op(
                "The record's audit trail", {"200": {"description": "ok"}}, parameters=[number]
            )
        },
        "/records/{number}/docx": {
            "get": _op(
                "The record as a Word file in its form's layout (the download is audited)",
                {"200": {"description": "A .docx", "content": {_DOCX: {}}}, "404": ERROR},
                parameters=[
                    number,
                    _query("version", "A past version", kind="integer"),
                    _query("controlled", "1: a controlled copy (controllers)"),
                ],
            )
        },
        "/records/docx": {
            "post": _op(
                f"Several records' Word files in one zip (at most {BATCH_LIMIT})",
                {
                    "200": {
                        "description": "A zip of .docx files",
                        "content": {"application/zip": {}},
                    },
                    "400": ERROR,
                    "404": ERROR,
                },
                requestBody=_json_body(
                    {"numbers": {"type": "array", "items": {"type": "string"}}},
                    required=["numbers"],
                ),
            )
        },
        "/forms/{type}/blank.docx": {
            "get": _op(
                "A form's blank Word file in its current code and edition",
                {"200": {"description": "A .docx", "content": {_DOCX: {}}}, "404": ERROR},
                parameters=[_path("type")],
            )
        },
        "/registers/complaints.{format}": _register_download(
            "The complaint register of a period as Word or Excel",
            _query("start", "First day (YYYY-MM-DD)"),
            _query("end", "Last day (YYYY-MM-DD)"),
            *(
                _query(name, f"Filter by {name}")
                for name in ("state", "severity", "department", "subject")
            ),
        ),
        "/registers/overdue.{format}": _register_download(
            "The overdue list as Word or Excel", _query("department", "One department")
        ),
        "/me": {"get": _op("The caller", {"200": {"description": "ok"}})},
        # Public: a client reads it before it has a token.
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
        "/search": {
            "get": _op(
                "Full-text search over the records the caller may see (as the search page)",
                {
                    "200": {"description": "Results with facets and highlighted snippets"},
                    "400": ERROR,
                    "503": ERROR,
                },
                parameters=[
                    _query("q", 'Words, "a phrase", AND/OR/NOT, field:value'),
                    *(
                        _query(name, f"Filter by {name} (repeatable)", array=True)
                        for name in ("type", "state", "department", "severity")
                    ),
                    _query("from", "Created on or after (YYYY-MM-DD)"),
                    _query("to", "Created on or before (YYYY-MM-DD)"),
                    _query("sort", "relevance or date"),
                    _query("page", "Page number", kind="integer"),
                    _query("per_page", "Results per page (at most 100)", kind="integer"),
                    _query(
                        "history", "1: search past versions too (auditors, controllers, approvers)"
                    ),
                    _query("as_of", "Records as they read at this date or time"),
                ],
            )
        },
    }
    for record_type in registry:
        paths[f"/records/{record_type.name}"] = {
            "post": _op(
                f"Create a {record_type.titles.get('en', record_type.name)}",
                {"201": {"description": "Created, with its number and version 1"}, "400": ERROR},
                requestBody=_json_body(
                    {"data": _data_schema(record_type), "reason": {"type": "string"}},
                    required=["data"],
                    body_required=True,
                ),
            )
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Records Portal API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "portal_session"},
            },
            "schemas": {
                "Error": _object(
                    {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                    }
                ),
                "Record": _object(
                    {
                        "number": {"type": "string"},
                        "version": {"type": "integer"},
                        "state": {"type": "string"},
                        "data": {"type": "object"},
                    }
                ),
            },
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
    }
