"""The Flask-Admin back office at ``/admin/``.

Views stay declarative: who may open them (``permission``), which columns
and forms they show. Anything that changes an account goes through
:mod:`portal.accounts`, never straight into the model.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from portal import accounts
from portal.admin.base import (
    AdminForm,
    PortalModelView,
    RoleGuard,
    datetime_column,
    roles_column,
    yes_no_column,
)
from portal.admin.controls import AuditTrailView, DispositionView, FormSettingsView
from portal.admin.mail import OutboxView, notice_choices, save_notice_choices
from portal.admin.records import RecordTypeView
from portal.admin.settings import CalendarView, ScoringView, WordTemplatesView
from portal.admin.status import SystemStatusView
from portal.config import PROJECT_ROOT
from portal.i18n import NATIVE_NAMES
from portal.models import ApiToken, Department, User
from portal.pages.display import reason_text
from portal.pages.forms import PasswordChangeForm
from portal.security import csp_nonce, start_session
from records import audit
from records.i18n import N_
from records.models import AuditEntry
from records.permissions import MANAGE_USERS
from records.roles import POSITIONS, ROLES
from records.settings import effective
from records.types import registry


class PortalIndexView(RoleGuard, AdminIndexView):
    def is_visible(self):
        # The brand and the portal's own links lead home: no second 首页.
        return False

    @expose("/")
    def index(self):
        return self.render("admin/portal_index.html")


# --- users ------------------------------------------------------------------


LETTERS_DIGITS = _l("Letters, digits, dot, dash or underscore.")


def _department_choices() -> list[SelectChoice]:
    departments = Department.objects(active=True).only("code", "name")
    return [SelectChoice("", _("(none)"))] + [
        SelectChoice(d.code, f"{d.code} {d.name}") for d in departments
    ]


def _locale_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("(browser language)"))] + [
        SelectChoice(code, name) for code, name in NATIVE_NAMES.items()
    ]


class UserForm(AdminForm):
    username = StringField(
        _l("User name"),
        validators=[
            DataRequired(message=_l("Enter a user name.")),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]+$", message=LETTERS_DIGITS),
        ],
    )
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter the person's full name.")), Length(max=120)],
    )
    email = StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    department = SelectField(_l("Department"), choices=[], validate_choice=True)
    roles = SelectMultipleField(_l("Roles"), choices=[], validate_choice=True)
    positions = SelectMultipleField(
        _l("Positions"),
        choices=[],
        validate_choice=True,
        description=_l("The director approves the plans of major complaints."),
    )
    locale = SelectField(_l("Language"), choices=[], validate_choice=True)
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(
        _l("Password"),
        description=_l("On an existing user: leave empty to keep the password."),
        validators=[Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = _department_choices()
        self.roles.choices = [SelectChoice(name, _(label)) for name, label in ROLES.items()]
        self.positions.choices = [SelectChoice(name, _(label)) for name, label in POSITIONS.items()]
        self.locale.choices = _locale_choices()


class UserAdmin(PortalModelView):
    permission = MANAGE_USERS
    column_list = ("username", "full_name", "department", "roles", "active", "last_login_at")
    column_labels = {
        "username": _l("User name"),
        "full_name": _l("Full name"),
        "email": _l("E-mail"),
        "department": _l("Department"),
        "roles": _l("Roles"),
        "positions": _l("Positions"),
        "active": _l("Active"),
        "last_login_at": _l("Last login"),
        "created_at": _l("Created"),
        "locale": _l("Language"),
        "password_changed_at": _l("Password changed"),
    }
    column_details_list = (
        "username",
        "full_name",
        "email",
        "department",
        "roles",
        "positions",
        "locale",
        "active",
        "created_at",
        "last_login_at",
        "password_changed_at",
    )
    column_formatters = {
        "roles": roles_column,
        "active": yes_no_column,
        "last_login_at": datetime_column,
        "created_at": datetime_column,
        "password_changed_at": datetime_column,
    }
    column_formatters_detail = column_formatters
    column_searchable_list = ("username",)
    column_default_sort = "username"
    form = UserForm

    def search_placeholder(self):
        # Flask-Admin's default is None, printed as "None" in the field.
        return _("Search by login name")

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET":
            dept = obj.department_or_none
            form.department.data = dept.code if dept else ""
            form.locale.data = obj.locale or ""
        form.username.render_kw = {"readonly": True}
        return form

    def create_model(self, form):
        try:
            user = accounts.create_user(
                form.username.data,
                form.full_name.data,
                form.password.data or "",
                roles=form.roles.data,
                positions=form.positions.data,
                department=form.department.data or None,
                email=form.email.data,
                locale=form.locale.data or None,
                active=form.active.data,
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except accounts.AccountError as error:
            flash(str(error), "error")
            return False
        return user

    def update_model(self, form, model):
        try:
            accounts.update_user(
                model,
                full_name=form.full_name.data,
                roles=form.roles.data,
                positions=form.positions.data,
                department=form.department.data or None,
                email=form.email.data,
                locale=form.locale.data or None,
                active=form.active.data,
            )
            if form.password.data:
                accounts.set_password(
                    model, form.password.data, current_app.config["PASSWORD_MIN_LENGTH"]
                )
        except accounts.AccountError as error:
            flash(str(error), "error")
            return False
        return True

    @action("disable", _l("Disable"), _l("Disable the selected users?"))
    def action_disable(self, ids):
        users = User.objects(pk__in=ids)
        for user in users:
            if user.pk == current_user.pk:
                flash(_("You cannot disable yourself."), "error")
                continue
            accounts.disable_user(user)
        flash(_("The selected users were disabled."), "success")


# --- departments ------------------------------------------------------------


class DepartmentForm(AdminForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(message=_l("Enter a code.")),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9._-]+$", message=LETTERS_DIGITS),
        ],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Enter a name.")), Length(max=120)]
    )
    active = BooleanField(_l("Active"), default=True)

    def validate_code(self, field):
        existing = Department.objects(code=field.data.strip()).first()
        current = getattr(self, "_obj_pk", None)
        if existing is not None and existing.pk != current:
            raise ValidationError(_("The code %(code)s is already taken.", code=field.data))


class DepartmentAdmin(PortalModelView):
    permission = MANAGE_USERS
    column_list = ("code", "name", "active")
    column_labels = {
        "code": _l("Code"),
        "name": _l("Name"),
        "active": _l("Active"),
        "created_at": _l("Created"),
    }
    column_formatters = {"active": yes_no_column, "created_at": datetime_column}
    column_default_sort = "code"
    form = DepartmentForm

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form._obj_pk = obj.pk if obj is not None else None
        return form


# --- API tokens -------------------------------------------------------------


def _token_user(view, context, model, name):
    return str(model.user) if model.user else ""


def _token_state(view, context, model, name):
    return _("Revoked") if model.revoked_at else _("Active")


class ApiTokenAdmin(PortalModelView):
    permission = MANAGE_USERS
    can_create = False
    can_edit = False
    column_list = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    column_labels = {
        "prefix": _l("Token"),
        "name": _l("Name"),
        "user": _l("User"),
        "created_at": _l("Created"),
        "last_used_at": _l("Last used"),
        "revoked_at": _l("State"),
    }
    column_formatters = {
        "user": _token_user,
        "created_at": datetime_column,
        "last_used_at": datetime_column,
        "revoked_at": _token_state,
    }
    column_formatters_detail = column_formatters
    column_details_list = column_list
    column_default_sort = ("created_at", True)

    @action("revoke", _l("Revoke"), _l("Revoke the selected tokens?"))
    def action_revoke(self, ids):
        for token in ApiToken.objects(pk__in=ids):
            accounts.revoke_token(token)
        flash(_("The selected tokens were revoked."), "success")


# --- the user's own account -------------------------------------------------


class AccountView(RoleGuard, BaseView):
    """Any logged-in user: their profile and a new password."""

    def is_visible(self):
        # Reached from the user's name in the header, on every page.
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = PasswordChangeForm()
        status = 200
        if request.method == "POST":
            if form.validate():
                try:
                    accounts.change_own_password(
                        current_user._get_current_object(),
                        form.current_password.data,
                        form.password.data,
                        current_app.config["PASSWORD_MIN_LENGTH"],
                    )
                except accounts.AccountError as error:
                    getattr(form, error.field or "password", form.password).errors.append(
                        str(error)
                    )
                    status = 400
                else:
                    # The bumped session version ended every session, this one
                    # included; log the user back in here only.
                    start_session(User.objects.get(pk=current_user.pk))
                    flash(_("Your password was changed."), "success")
                    return redirect(url_for(".index"))
            else:
                status = 400
        return self.render(
            "admin/account.html", form=form, notices=notice_choices(current_user)
        ), status

    @expose("/notices/", methods=("POST",))
    def notices(self):
        return save_notice_choices()


#: Where the trail's own label reads wrong on a page: "Created" is also the
#: record table's "creation time" in Chinese.
_ACTION_LABELS = {"create": N_("Record created")}


def audit_action_label(action: str) -> str:
    """An audit action as people read it."""
    return _(_ACTION_LABELS.get(action) or audit.ACTIONS.get(action, action))


def init_app(app) -> Admin:
    admin = Admin(
        app,
        name=_l("Records Portal"),
        index_view=PortalIndexView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/portal_base.html", fluid=True),
        translations_path=str(PROJECT_ROOT / "translations"),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(
        UserAdmin(User, name=_l("Users"), category=_l("Administration"), endpoint="users")
    )
    admin.add_view(
        DepartmentAdmin(
            Department,
            name=_l("Departments"),
            category=_l("Administration"),
            endpoint="departments",
        )
    )
    admin.add_view(
        ApiTokenAdmin(
            ApiToken, name=_l("API tokens"), category=_l("Administration"), endpoint="tokens"
        )
    )
    admin.add_view(
        CalendarView(
            name=_l("Working calendar"), category=_l("Administration"), endpoint="calendar"
        )
    )
    admin.add_view(
        SystemStatusView(
            name=_l("System status"),
            category=_l("Administration"),
            endpoint="system_status",
            url="/admin/status",
        )
    )
    admin.add_view(
        OutboxView(name=_l("Outgoing e-mail"), category=_l("Administration"), endpoint="outbox")
    )
    admin.add_view(AccountView(name=_l("My account"), endpoint="account"))
    records_category = _l("Records")
    for record_type in registry:
        view = RecordTypeView(record_type, category=records_category)
        admin.add_view(view)
        app.extensions.setdefault("upload_endpoints", set()).add(f"{view.endpoint}.attach_view")
    admin.add_view(
        DispositionView(name=_l("Disposition"), category=records_category, endpoint="disposition")
    )
    admin.add_view(
        AuditTrailView(
            AuditEntry, name=_l("Audit trail"), category=records_category, endpoint="audit"
        )
    )
    admin.add_view(
        FormSettingsView(
            name=_l("Form settings"), category=records_category, endpoint="form_settings"
        )
    )
    admin.add_view(
        ScoringView(name=_l("Questionnaire scoring"), category=records_category, endpoint="scoring")
    )
    admin.add_view(
        WordTemplatesView(
            name=_l("Word templates"),
            category=records_category,
            endpoint="word_templates",
            url="/admin/word-templates",
        )
    )
    app.extensions.setdefault("upload_endpoints", set()).add("word_templates.index")
    app.jinja_env.globals.update(
        settings_edition=lambda record_type: effective(record_type).edition,
        settings_code=lambda record_type: effective(record_type).form_code,
        audit_action_label=audit_action_label,
        reason_text=reason_text,
    )
    return admin
