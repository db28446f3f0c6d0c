"""Who is logged in: Flask-Login sessions, bearer tokens, CSRF, permission
checks and the security headers of every response."""

from __future__ import annotations

import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, g, jsonify, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user
from flask_wtf.csrf import CSRFProtect

from portal import accounts
from portal.models import User
from records.permissions import ALL, PERMISSIONS, READ_RECORDS, Permission, may, scope

#: How many sessions (browsers) one user may have open at once.
MAX_SESSIONS = 20

login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session cookie; None once the password or status changed."""
    pk, _, version = user_id.partition(":")
    user = User.objects(pk=pk).first() if len(pk) == 24 else None
    if user is None or not user.active or str(user.session_version) != version:
        return None
    # Each login opens a session with its own nonce, kept on the user:
    # logging out removes it, a password change removes them all.
    if session.get("_nonce") not in (user.session_nonces or ()):
        return None
    return user


def start_session(user: User) -> None:
    """Log ``user`` in with a new session nonce (a login, a changed password)."""
    nonce = secrets.token_urlsafe(24)
    User.objects(pk=user.pk).update_one(
        __raw__={"$push": {"session_nonces": {"$each": [nonce], "$slice": -MAX_SESSIONS}}}
    )
    session["_nonce"] = nonce
    user.reload()
    login_user(user)


def end_session(user: User | None) -> None:
    """This session ends for good: its nonce no longer opens it."""
    nonce = session.pop("_nonce", None)
    if user is not None and nonce:
        User.objects(pk=user.pk).update_one(pull__session_nonces=nonce)


def _bearer_token(req) -> str | None:
    """The token of an ``Authorization: Bearer`` header; "" if the header is
    there but says something else; None without the header."""
    header = req.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def wants_json() -> bool:
    """Whether the client asked for JSON rather than a page."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        response = jsonify(error="unauthorized", message=str(_l("Please log in.")))
        response.status_code = 401
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``."""
    if not target or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def permission_required(permission: Permission | None = None):
    """A view decorator: logged in and holding ``permission`` (any user, if None)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if permission is not None and not may(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _user_may(name: str) -> bool:
    """Templates ask by name: ``{% if may('import_ledgers') %}``."""
    return current_user.is_authenticated and may(current_user, PERMISSIONS[name])


def _reads_everything() -> bool:
    return current_user.is_authenticated and scope(current_user, READ_RECORDS) == ALL


def _authenticate_bearer():
    """A request with a bearer header is the token's user, or a 401: never the
    session's user, and never an invalid token silently ignored."""
    token = _bearer_token(request)
    if token is None:
        return None
    user = accounts.user_for_token(token) if token else None
    if user is None:
        response = jsonify(
            error="unauthorized",
            message=str(
                _l("The API token is not valid (revoked, mistyped or of a disabled user).")
            ),
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    g.token_user = True
    login_manager._update_request_context_with_user(user)
    return None


def _check_csrf() -> None:
    # A verified bearer token is sent by a program, never by a browser tricked
    # into a cross-site request; a session needs a CSRF token on every write.
    if g.get("token_user"):
        return
    csrf.protect()


#: The Content-Security-Policy: no inline script (Flask-Admin's own scripts
#: carry the request's nonce), nothing from outside the portal.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """This request's nonce for the scripts Flask-Admin writes into its pages."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    # Records, downloads and API answers are evidence of one person's access:
    # no browser or proxy keeps a copy. Static files may be cached.
    if request.endpoint not in ("static", "admin.static"):
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
    return response


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    app.after_request(security_headers)
    app.jinja_env.globals.update(may=_user_may, reads_every_department=_reads_everything)

    @app.before_request
    def protect_forms():
        refused = _authenticate_bearer()
        if refused is not None:
            return refused
        if request.endpoint in app.extensions.get("upload_endpoints", ()):
            # Scans are larger than forms; the operation checks the exact limit.
            request.max_content_length = app.config["ATTACHMENT_MAX_BYTES"] + 1024 * 1024
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _check_csrf()
