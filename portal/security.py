"""Who is logged in: Flask-Login sessions, bearer tokens, CSRF and role checks."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from portal import accounts
from portal.models import User

login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session cookie; None once the password or status changed."""
    pk, _, version = user_id.partition(":")
    user = User.objects(pk=pk).first() if len(pk) == 24 else None
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """``Authorization: Bearer <token>`` for the JSON API."""
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return accounts.user_for_token(token.strip())


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


def roles_required(*roles: str):
    """A view decorator: logged in and holding one of ``roles`` (any, if none)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _check_csrf() -> None:
    # Bearer-token clients send no cookies, so they cannot be tricked into a
    # cross-site request; everything else needs a CSRF token on every POST.
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    csrf.protect()


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @app.before_request
    def protect_forms():
        if request.endpoint in app.extensions.get("upload_endpoints", ()):
            # Scans are larger than forms; the operation checks the exact limit.
            request.max_content_length = app.config["ATTACHMENT_MAX_BYTES"] + 1024 * 1024
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            _check_csrf()
