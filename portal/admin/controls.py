"""Back-office views around the records: the audit trail, form settings,
and the disposition list."""

from __future__ import annotations

import csv
import io
import json

from flask import Response, flash, g, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from portal.actors import actor_for, message
from portal.admin.base import PortalModelView, RoleGuard, datetime_column
from portal.pages.display import Names, audit_lines
from records import audit
from records.errors import RecordError
from records.models import AuditEntry, DisposalCertificate
from records.permissions import DISPOSE, LIST_DISPOSITION, MANAGE_FORMS, READ_AUDIT_TRAIL, may
from records.retention import dispose_record, disposition_list
from records.settings import effective, update_type_settings
from records.types import RETENTION_EVENTS, registry


def _action_column(view, context, model, name):
    from portal.admin.site import audit_action_label

    return audit_action_label(model.action)


def _names() -> Names:
    if "audit_names" not in g:
        g.audit_names = Names()
    return g.audit_names


def _actor_column(view, context, model, name):
    """The person, not the login name (which stays in the CSV export)."""
    if not model.actor:
        return ""
    return Markup('<span title="{}">{}</span>').format(model.actor, _names().user(model.actor))


def _details_column(view, context, model, name):
    """The details in words (labels, names, local times), not raw JSON."""
    lines = audit_lines(model, _names())
    return Markup("<br>").join(
        Markup('<span class="text-muted">{}:</span> {}').format(label, text)
        for label, text in lines[:12]
    )


class AuditTrailView(PortalModelView):
    """Auditors and controllers read, filter and export the audit trail."""

    permission = READ_AUDIT_TRAIL
    list_template = "admin/audit_list.html"
    action_keys = tuple(audit.ACTIONS)
    can_create = False
    can_edit = False
    can_view_details = True
    column_list = ("seq", "at", "actor", "action", "number", "version", "details")
    column_details_list = (*column_list, "record_type", "prev_hash", "hash")
    column_labels = {
        "seq": "#",
        "at": _l("When"),
        "actor": _l("Who"),
        "action": _l("Action"),
        "number": _l("Number"),
        "version": _l("Version"),
        "details": _l("Details"),
        "record_type": _l("Form"),
        "prev_hash": _l("Previous hash"),
        "hash": _l("Hash"),
    }
    column_formatters = {
        "at": datetime_column,
        "action": _action_column,
        "actor": _actor_column,
        "details": _details_column,
    }
    column_sortable_list = ("seq",)
    column_default_sort = ("seq", True)
    column_filters = (
        FilterEqual("number", _l("Number")),
        FilterEqual("actor", _l("Who")),
        FilterEqual(
            "action",
            _l("Action"),
            options=lambda: [(key, _(label)) for key, label in audit.ACTIONS.items()],
        ),
    )

    @expose("/export.csv")
    def export_csv(self):
        """The filtered trail as CSV (at most 100,000 entries); the export is audited."""
        query = AuditEntry.objects.order_by("seq")
        for key in ("number", "actor", "action"):
            if request.args.get(key):
                query = query.filter(**{key: request.args[key]})
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "seq",
                "at",
                "actor",
                "action",
                "record_type",
                "number",
                "version",
                "details",
                "prev_hash",
                "hash",
            ]
        )
        for entry in query.limit(100_000):
            writer.writerow(
                [
                    entry.seq,
                    entry.at.isoformat(),
                    entry.actor,
                    entry.action,
                    entry.record_type or "",
                    entry.number or "",
                    entry.version or "",
                    json.dumps(entry.details or {}, ensure_ascii=False, default=str),
                    entry.prev_hash,
                    entry.hash,
                ]
            )
        audit.record_event(
            current_user.username,
            "export",
            details={"what": "audit", "filters": dict(request.args)},
        )
        return Response(
            "\ufeff" + out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=audit.csv"},
        )


class FormSettingsView(RoleGuard, BaseView):
    """Document controllers change a form's edition, numbering and retention."""

    permission = MANAGE_FORMS

    @expose("/", methods=("GET", "POST"))
    def index(self):
        status = 200
        if request.method == "POST":
            try:
                update_type_settings(
                    actor_for(current_user._get_current_object()),
                    request.form.get("type", ""),
                    edition=request.form.get("edition", ""),
                    form_code=request.form.get("form_code") or None,
                    numbering_pattern=request.form.get("numbering_pattern", ""),
                    retention_years=int(request.form.get("retention_years") or -1),
                    reason=request.form.get("reason", ""),
                )
            except (RecordError, ValueError) as error:
                flash(
                    message(error)
                    if isinstance(error, RecordError)
                    else _("Retention is 0 to 100 years."),
                    "error",
                )
                status = 400
            else:
                flash(_("The form settings were saved."), "success")
                return redirect(url_for(".index"))
        types = [(rt, effective(rt)) for rt in registry]
        return self.render(
            "admin/form_settings.html", types=types, retention_events=RETENTION_EVENTS
        ), status


def _certificates(number: str):
    """The latest certificates, or the one a search hit points to (which may
    be older than the latest hundred)."""
    if number:
        return DisposalCertificate.objects(number=number)
    return DisposalCertificate.objects.limit(100)


class DispositionView(RoleGuard, BaseView):
    """Records past retention, for an approver to dispose of; kept certificates."""

    permission = LIST_DISPOSITION

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.method == "POST":
            try:
                dispose_record(
                    actor_for(current_user._get_current_object()),
                    request.form.get("number", ""),
                    request.form.get("reason", ""),
                )
            except RecordError as error:
                flash(message(error), "error")
            else:
                flash(
                    _(
                        "%(number)s was disposed of; its certificate is kept.",
                        number=request.form.get("number"),
                    ),
                    "success",
                )
            return redirect(url_for(".index"))
        return self.render(
            "admin/disposition.html",
            due=disposition_list(),
            certificates=_certificates(request.args.get("number", "").strip()),
            can_dispose=may(current_user, DISPOSE),
        )
