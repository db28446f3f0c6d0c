"""Error pages and JSON errors, in the user's language. No raw 500s."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from pymongo.errors import ConnectionFailure, OperationFailure
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from portal.inputs import InputError
from portal.security import wants_json

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Check the form and try again."),
    401: _l("Please log in."),
    403: _l("You do not have permission to open this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Wait a while and try again."),
    500: _l("Something went wrong on our side. Nothing was saved; please try again."),
}
DATABASE_AWAY = _l(
    "The records database is not answering at the moment. Please try again in a "
    "minute; if you were saving, check afterwards whether your change was kept."
)
RECORDS_BUSY = _l(
    "Other saves kept the records busy for too long, so nothing was saved. "
    "Please try again in a minute."
)
CSRF_MESSAGE = _l(
    "The form has expired or did not come from this site. Reload the page and try again."
)


def _respond(
    status: int, message: str, code: str, field: str | None = None, headers: dict | None = None
):
    if wants_json():
        response = jsonify(error=code, message=message, **({"field": field} if field else {}))
        response.status_code = status
    else:
        response = make_response(
            render_template("error.html", status=status, message=message), status
        )
    response.headers.update(headers or {})
    return response


def handle_database_away(error: ConnectionFailure):
    """The database is away (stopped, restarting, unreachable): 503, at once.

    The page is drawn without the user: loading them needs the database."""
    log.warning("database unavailable: %s", type(error).__name__)
    g._login_user = AnonymousUserMixin()
    response = _respond(503, str(DATABASE_AWAY), "database_unavailable")
    if isinstance(response, tuple):
        response = make_response(*response)
    response.headers["Retry-After"] = "10"
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_database_failure(error: OperationFailure):
    """A transaction that kept conflicting with others until the unit of
    work gave up (another process held what it writes, e.g. the audit head):
    nothing was saved and trying again later succeeds, so 503, not 500."""
    if not error.has_error_label("TransientTransactionError"):
        return handle_unexpected(error)
    log.warning("a save gave up after conflicting for too long: %s", error.code)
    response = _respond(503, str(RECORDS_BUSY), "records_busy")
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_http_error(error: HTTPException):
    status = error.code or 500
    if isinstance(error, InputError):
        return _respond(400, str(error.message), "invalid_input", error.field)
    message = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return _respond(status, str(message), error.name.lower().replace(" ", "_"), headers=headers)


def handle_csrf_error(error: CSRFError):
    return _respond(400, str(CSRF_MESSAGE), "csrf")


def handle_unexpected(error: Exception):
    log.exception("unhandled error", exc_info=error)
    return _respond(500, str(MESSAGES[500]), "internal_server_error")


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(ConnectionFailure, handle_database_away)
    app.register_error_handler(OperationFailure, handle_database_failure)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
