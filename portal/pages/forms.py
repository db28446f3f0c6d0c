"""Forms of the portal pages. Every form carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.i18n import NATIVE_NAMES, wtforms_translations


class PortalForm(FlaskForm):
    """Base form: CSRF from Flask-WTF, validation messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations


class LoginForm(PortalForm):
    username = StringField(
        _l("User name"),
        validators=[DataRequired(message=_l("Enter your user name.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LogoutForm(PortalForm):
    """Logging out is a POST with a CSRF token, so no page can log a user out."""


class LanguageForm(PortalForm):
    language = SelectField(_l("Language"), choices=dict(NATIVE_NAMES), validate_choice=True)
    next = HiddenField()


class PasswordChangeForm(PortalForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a new password.")), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(message=_l("Repeat the new password.")),
            EqualTo("password", message=_l("The two new passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
