"""Error pages and JSON errors, in the user's language. No raw 500s."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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
CSRF_MESSAGE = _l(
    "The form has expired or did not come from this site. Reload the page and try again."
)


def _respond(status: int, message: str, code: str, field: str | None = None,
             headers: dict | None = None):
    if wants_json():
        response = jsonify(error=code, message=message, **({"field": field} if field else {}))
        response.status_code = status
    else:
        response = make_response(render_template("error.html", status=status,
                                                 message=message), status)
    response.headers.update(headers or {})
    return response


def handle_http_error(error: HTTPException):
    status = error.code or 500
    if isinstance(error, InputError):
        return _respond(400, str(error.message), "invalid_input", error.field)
    message = MESSAGES.get(status) or MESSAGES[400 if status < 500 else 500]
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return _respond(status, str(message), error.name.lower().replace(" ", "_"),
                    headers=headers)


def handle_csrf_error(error: CSRFError):
    return _respond(400, str(CSRF_MESSAGE), "csrf")


def handle_unexpected(error: Exception):
    log.exception("unhandled error", exc_info=error)
    return _respond(500, str(MESSAGES[500]), "internal_server_error")


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
