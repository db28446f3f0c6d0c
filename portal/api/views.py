"""The JSON API under ``/api/v1`` (session cookie or ``Authorization: Bearer``).

Thin views: each parses the request, calls one records operation with the
caller as the actor, and answers JSON. Errors are JSON with a message in
the caller's language.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal import exports
from portal.actors import actor_for, message, status
from portal.api.openapi import openapi_document
from portal.inputs import InputError, data_object, datetime_arg, int_arg, json_object, text_value
from portal.security import permission_required
from records import audit, history
from records.access import visible_data
from records.errors import RecordError, StaleVersion
from records.history import VersionView
from records.models import Record
from records.operations import (
    create_record,
    get_record,
    record_type_of,
    revise_record,
    transition_record,
)
from records.permissions import EXPORT_REGISTERS, READ_AUDIT_TRAIL
from records.retention import dispose_record, retention_day
from records.settings import effective
from records.types import RETENTION_EVENTS, SIGNATURE_MEANINGS, RecordType, registry
from records.word import output

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(RecordError)
def record_error(error: RecordError):
    body = {"error": error.kind, "message": message(error)}
    if error.field:
        body["field"] = error.field
    if isinstance(error, StaleVersion):
        body.update(current_version=error.current, base_version=error.base, changes=error.changes)
    response = jsonify(body)
    response.status_code = status(error)
    return response


def _actor():
    return actor_for(current_user._get_current_object())


def _iso(value):
    return value.isoformat() + "Z" if isinstance(value, datetime) else value


def _locale() -> str:
    return str(get_locale())


# --- types --------------------------------------------------------------------


def type_json(record_type: RecordType) -> dict:
    settings = effective(record_type)
    return {
        "name": record_type.name,
        "form_code": settings.form_code,
        "edition": settings.edition,
        "titles": record_type.titles,
        "title": record_type.title(_locale()),
        "numbering_pattern": settings.numbering_pattern,
        "retention": {
            "years": settings.retention_years,
            "starts": record_type.retention.starts,
            "starts_label": _(RETENTION_EVENTS[record_type.retention.starts]),
        },
        "fields": [
            {
                "name": f.name,
                "type": f.kind,
                "label": _(f.label),
                "required": f.required,
                "max_length": f.max_length,
                "computed": f.computed,
                "confidential": f.confidential,
                "min_value": f.min_value,
                "choices": [{"value": c.value, "label": _(c.label)} for c in f.choices],
            }
            for f in record_type.fields
        ],
        "workflow": {
            "initial": record_type.workflow.initial,
            "states": {k: _(v) for k, v in record_type.workflow.states.items()},
            "transitions": [
                {
                    "name": t.name,
                    "label": _(t.label),
                    "from": list(t.sources),
                    "to": t.target,
                    "roles": list(t.roles),
                    "required_fields": list(t.required_fields),
                    "signature": t.signature,
                    "comment_required": t.comment_required,
                    "fields": list(t.fields),
                }
                for t in record_type.workflow.transitions
            ],
        },
    }


@bp.route("/types")
@permission_required()
def types():
    return jsonify([type_json(rt) for rt in registry])


# --- records ------------------------------------------------------------------


def record_json(record: Record) -> dict:
    record_type = record_type_of(record.type)
    return {
        "number": record.number,
        "type": record.type,
        "form_code": record.form_code,
        "edition": record.edition,
        "version": record.version,
        "state": record.state,
        "state_label": _(record_type.workflow.states.get(record.state, record.state)),
        "title": record.title,
        "department": record.department,
        "handler": record.handler,
        "due_at": _iso(record.due_at),
        "due_kind": record.due_kind,
        "due_uncovered_years": list(record.due_uncovered or []),
        "refs": list(record.refs or []),
        "data": visible_data(_actor(), record_type, record.data or {}, record.created_by),
        "created_by": record.created_by,
        "created_at": _iso(record.created_at),
        "updated_by": record.updated_by,
        "updated_at": _iso(record.updated_at),
        "attachments": [
            {
                "id": a.get("id"),
                "filename": a.get("filename"),
                "size": a.get("size"),
                "sha256": a.get("sha256"),
                "content_type": a.get("content_type"),
            }
            for a in record.attachments
        ],
        "signatures": [
            {
                "name": s.get("name"),
                "signer": s.get("signer"),
                "meaning": s.get("meaning"),
                "meaning_label": _(SIGNATURE_MEANINGS.get(s.get("meaning"), "")),
                "at": _iso(s.get("at")),
                "version": s.get("version"),
                "version_hash": s.get("version_hash"),
            }
            for s in record.signatures
        ],
        "holds": [
            {"reason": h.get("reason"), "by": h.get("by"), "at": _iso(h.get("at"))}
            for h in record.holds
        ],
        "retention_ends_on": retention_day(record.retention_ends_on).isoformat()
        if record.retention_ends_on
        else None,
        "void": record.state == "void",
    }


def _answer(record: Record, code: int = 200):
    response = jsonify(record_json(record))
    response.status_code = code
    response.headers["ETag"] = f'"{record.version}"'
    if code == 201:
        response.headers["Location"] = url_for("api.get_one", number=record.number)
    return response


@bp.route("/records/<type_name>", methods=["POST"])
@permission_required()
def create(type_name):
    body = json_object()
    record = create_record(
        _actor(), type_name, data_object(body), reason=text_value(body, "reason")
    )
    return _answer(record, 201)


@bp.route("/records/<number>")
@permission_required()
def get_one(number):
    return _answer(get_record(_actor(), number, audit_view=True))


def _base_version(body: dict):
    """The version a change starts from, as sent (``version`` in the body or
    If-Match); None if neither. The operation checks it is a version."""
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    value = body.get("version", header or None)
    return None if value in (None, "") else value


@bp.route("/records/<number>", methods=["PATCH"])
@permission_required()
def patch(number):
    body = json_object()
    data = data_object(body)
    base = _base_version(body)
    if base is None:
        response = jsonify(
            error="precondition_required",
            message=_("Say which version you edited: an If-Match header or a version field."),
        )
        response.status_code = 428
        return response
    record = revise_record(
        _actor(), number, data, base_version=base, reason=text_value(body, "reason")
    )
    return _answer(record)


def _version_summary(v: VersionView) -> dict:
    return {
        "version": v.version,
        "state": v.state,
        "operation": v.operation,
        "changed_by": v.changed_by,
        "changed_by_name": v.changed_by_name,
        "changed_at": _iso(v.changed_at),
        "reason": v.reason,
        "changes": v.changes,
        "hash": v.hash,
    }


@bp.route("/records/<number>/versions")
@permission_required()
def versions(number):
    """All versions, newest first; ``?as_of=<ISO date-time, UTC>`` gives the one then."""
    moment = datetime_arg("as_of")
    if moment is not None:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return _version_json(history.as_of(_actor(), number, moment))
    return jsonify([_version_summary(v) for v in history.versions(_actor(), number)])


def _version_json(found: VersionView):
    return jsonify(
        {
            **_version_summary(found),
            "number": found.number,
            "title": found.title,
            "data": found.data,
            "hidden_fields": sorted(found.hidden),
        }
    )


@bp.route("/records/<number>/versions/<n>")
@permission_required()
def version(number, n):
    return _version_json(history.version(_actor(), number, n))


@bp.route("/records/<number>/diff")
@permission_required()
def diff(number):
    older = int_arg("from", high=10**9)
    newer = int_arg("to", high=10**9)
    if older is None or newer is None:
        raise InputError(_("Give the two versions to compare: ?from=1&to=2."))
    return jsonify(
        {"from": older, "to": newer, "changes": history.diff(_actor(), number, older, newer)}
    )


@bp.route("/records/<number>/transitions/<name>", methods=["POST"])
@permission_required()
def transition(number, name):
    body = json_object(required=False)
    data = data_object(body, required=False)
    record = transition_record(
        _actor(),
        number,
        name,
        comment=text_value(body, "comment"),
        password=text_value(body, "password"),
        base_version=_base_version(body),
        changes=data,
    )
    return _answer(record)


@bp.route("/records/<number>/docx")
@permission_required()
def record_docx(number):
    """The record as a Word file in its form's layout (``?version=n``)."""
    return exports.record_file(number)


@bp.route("/records/docx", methods=["POST"])
@permission_required()
def records_docx():
    """Several records' Word files in one zip: ``{"numbers": [...]}``."""
    numbers = json_object().get("numbers")
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise InputError(
            _('Send the record numbers as {"numbers": ["QR-015-2026-0001", ...]}.'), field="numbers"
        )
    return exports.send(
        output.records_zip(
            _actor(), numbers, texts=exports.texts(), organisation=exports.organisation()
        )
    )


@bp.route("/forms/<type_name>/blank.docx")
@permission_required()
def blank_form(type_name):
    """The type's blank form in its current code and edition."""
    return exports.blank_file(type_name)


@bp.route("/registers/complaints.<any(docx, xlsx):file_format>")
@permission_required(EXPORT_REGISTERS)
def complaint_register_file(file_format):
    """The complaint register of ``?start=&end=`` (and filters) as Word or Excel."""
    return exports.complaint_register_file(file_format)


@bp.route("/registers/overdue.<any(docx, xlsx):file_format>")
@permission_required(EXPORT_REGISTERS)
def overdue_file(file_format):
    return exports.overdue_file(file_format)


@bp.route("/records/<number>/audit")
@permission_required(READ_AUDIT_TRAIL)
def record_audit(number):
    entries = history.audit_trail(_actor(), number)
    return jsonify(
        [
            {
                "seq": e.seq,
                "at": _iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "action_label": _(audit.ACTIONS.get(e.action, e.action)),
                "version": e.version,
                "details": e.details,
                "hash": e.hash,
            }
            for e in entries
        ]
    )


@bp.route("/records/<number>", methods=["DELETE"])
@permission_required()
def delete(number):
    """Deleting is disposal: refused until retention ends and without holds."""
    body = json_object(required=False)
    reason = text_value(body, "reason")
    certificate = dispose_record(_actor(), number, reason or request.args.get("reason", ""))
    return jsonify(
        {
            "number": certificate.number,
            "disposed_at": _iso(certificate.disposed_at),
            "approved_by": certificate.approved_by_name,
        }
    )


@bp.route("/search")
@permission_required()
def search_records():
    """The search page's search, as JSON: same parameters, same scoping."""
    from portal.pages import search as searching
    from search_index import QueryError

    try:
        results = searching.run(searching.read_search())
    except QueryError as refused:
        response = jsonify(error="invalid_query", message=_(refused.message, **refused.params))
        response.status_code = 400
        return response
    except Exception:  # noqa: BLE001 - the index is derived; answer 503, not 500
        current_app.logger.exception("search failed")
        response = jsonify(
            error="unavailable",
            message=_("Search is unavailable at the moment. Please try again later."),
        )
        response.status_code = 503
        return response
    departments = searching.department_names()
    return jsonify(
        total=results.total,
        complete=results.complete,
        page=results.search.page,
        pages=results.pages,
        per_page=results.search.per_page,
        results=[
            {
                "number": hit["number"],
                "version": hit["version"],
                "type": hit["type"],
                "type_title": hit["type_title"],
                "state": hit["state"],
                "state_label": hit["state_label"],
                "title": hit["title"],
                "department": hit["department"],
                "updated_at": _iso(hit["updated_at"]),
                "snippet_html": str(hit["snippet"]),
                # "scan.pdf, page 2" when the words were found in an attachment.
                "found_in": hit.get("found_in"),
                "score": hit["score"],
                "url": hit["url"],
            }
            for hit in searching.present(results)
        ],
        facets={
            facet: [
                {
                    "value": value,
                    "count": count,
                    "label": searching.facet_label(facet, value, departments),
                }
                for value, count in counts
            ]
            for facet, counts in results.facets.items()
        },
    )


@bp.route("/me")
@permission_required()
def me():
    """Who the caller is: user name, name, roles and department."""
    actor = _actor()
    return jsonify(
        username=actor.username,
        full_name=actor.full_name,
        roles=list(actor.roles),
        department=actor.department,
    )


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())
