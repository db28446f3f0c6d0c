"""Building blocks of the back-office views: role guard, base form, formatters."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin.contrib.mongoengine import ModelView
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.i18n import wtforms_translations
from records.permissions import Permission, may
from records.roles import ROLES


class AdminForm(FlaskForm):
    """Base of back-office forms: CSRF and messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations


class RoleGuard:
    """Shown to and usable by logged-in users holding ``permission``.

    No ``permission`` admits every logged-in user. Anonymous users are sent
    to the login page; others without the permission get 403, by URL too.
    """

    permission: Permission | None = None

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        return self.permission is None or may(current_user, self.permission)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


def datetime_column(view, context, model, name):
    value = getattr(model, name)
    return format_datetime(value, "short") if value else ""


def roles_column(view, context, model, name):
    return ", ".join(str(_(ROLES[role])) for role in model.roles if role in ROLES)


def yes_no_column(view, context, model, name):
    return _("Yes") if getattr(model, name) else _("No")


class PortalModelView(RoleGuard, ModelView):
    form_base_class = AdminForm
    can_delete = False
    can_view_details = True
    page_size = 50
    # Counting every row on every list page is slow on big collections.
    simple_list_pager = True
