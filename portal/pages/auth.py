"""Login, logout and the language switch."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from portal import accounts
from portal.models import User
from portal.pages.forms import LanguageForm, LoginForm, LogoutForm
from portal.security import end_session, safe_next, start_session
from records import audit

bp = Blueprint("auth", __name__)


def _login_policy() -> accounts.LoginPolicy:
    config = current_app.config
    return accounts.LoginPolicy(
        max_failures=config["LOGIN_MAX_FAILURES"],
        window=timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"]),
        lock_for=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data))
        return render_template("login.html", form=form)
    if not form.validate():
        return render_template("login.html", form=form), 400
    try:
        user = accounts.authenticate(form.username.data, form.password.data, _login_policy())
    except accounts.LoginRefused as refused:
        status = 429 if refused.reason == "locked" else 401
        return render_template("login.html", form=form, error=str(refused)), status
    locale = session.get("locale")
    session.clear()  # a fresh session for the logged-in user
    if locale and not user.locale:
        session["locale"] = locale
    session.permanent = True
    start_session(user)
    return redirect(safe_next(form.next.data))


@bp.route("/logout", methods=["POST"])
def logout():
    LogoutForm()  # the CSRF token was checked before the view ran
    if current_user.is_authenticated:
        audit.record_event(current_user.username, "logout")
        end_session(current_user._get_current_object())
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def switch_language():
    form = LanguageForm()
    target = safe_next(form.next.data or request.referrer and _path_of(request.referrer))
    if not form.validate():
        flash(_("Unknown language."), "danger")
        return redirect(target, 303)
    language = form.language.data
    session["locale"] = language
    if current_user.is_authenticated:
        User.objects(pk=current_user.pk).update_one(set__locale=language)
    return redirect(target, 303)


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
