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

    #: The furthest page a list goes to (a larger number reads the last pages).
    MAX_PAGE = 100_000

    def _get_list_extra_args(self):
        """The list's query string, with page numbers and sizes kept in range:
        a page of -1 or 2**64 is no reason for a 500."""
        args = super()._get_list_extra_args()
        page = min(max(args.page or 0, 0), self.MAX_PAGE)
        page_size = min(max(args.page_size or 0, 0), 500)
        sort = args.sort if args.sort is None or 0 <= args.sort < 100 else None
        desc = args.sort_desc if args.sort_desc in (None, 0, 1) else None
        return args.clone(
            page=page,
            page_size=page_size,
            sort=sort,
            sort_desc=desc,
            filters=list(args.filters or []),
        )

    page_size = 50
    # Counting every row on every list page is slow on big collections.
    simple_list_pager = True
    list_template = "admin/portal_list.html"
