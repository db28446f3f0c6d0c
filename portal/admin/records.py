"""One generic back-office view serves every declared record type.

The view lists, shows and edits; every change goes through the records
operations with the logged-in user as the actor. There is no delete button:
disposal is its own operation, refused until retention ends.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    request,
    send_file,
    session,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.mongoengine.filters import FilterEqual
from flask_admin.helpers import get_form_data
from flask_babel import LazyString, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from portal import exports
from portal.actors import actor_for, message
from portal.admin.base import PortalModelView, datetime_column
from portal.admin.record_forms import ReasonForm, TransitionForm, form_values, record_form_class
from portal.admin.record_page import RecordPage, field_labels, step_fields
from portal.inputs import InputError, int_arg
from portal.pages.display import (
    Names,
    due_text,
)
from records.access import can_create, can_edit, can_view, visible_data, visible_filter
from records.attachments import attach_file, read_attachment, safe_filename
from records.errors import RecordError, StaleVersion
from records.extraction import read_preview
from records.models import Record
from records.operations import (
    acquire_lock,
    create_record,
    current_lock,
    release_lock,
    revert_record,
    revise_record,
    transition_record,
)
from records.permissions import READ_RECORDS
from records.retention import (
    dispose_record,
    place_hold,
    release_hold,
    retention_day,
)
from records.types import RecordType
from records.word import output


def _form_values_of(record_type: RecordType, data: dict, only=None) -> dict:
    """Stored values as form inputs take them (dates as dates)."""
    values = {}
    for spec in record_type.input_fields:
        if only is not None and spec.name not in only:
            continue
        if spec.name not in data:
            continue
        value = data.get(spec.name)
        if value and spec.kind == "date":
            value = date.fromisoformat(value)
        elif value and spec.kind == "datetime":
            value = datetime.fromisoformat(value)
        values[spec.name] = value
    return values


def type_title(record_type: RecordType) -> LazyString:
    """The type's title in the language of the request."""
    return LazyString(lambda: record_type.title(str(get_locale())))


def _department_column(view, context, model, name):
    """A list's department as its name (the code alone says little to a reader)."""
    if not model.department:
        return ""
    if "department_names" not in g:
        g.department_names = Names()
    return g.department_names.department(model.department)


def _state_column(view, context, model, name):
    label = view.record_type.workflow.states.get(model.state, model.state)
    return _(label)


def _date_column(view, context, model, name):
    value = getattr(model, name)
    return retention_day(value).isoformat() if value else ""


#: Flask-Admin's own confirmations; ours name the record, so theirs would
#: only repeat them.
_GENERIC_FLASHES = ("Record was successfully created.", "Record was successfully saved.")


def _refused(response):
    """A create or edit page shown again after a POST: the input was refused (400)."""
    if request.method == "POST" and isinstance(response, str):
        return make_response(response, 400)
    return response


class RecordTypeView(RecordPage, PortalModelView):
    """The back office of one record type."""

    permission = READ_RECORDS
    list_template = "admin/record_list.html"
    edit_template = "admin/record_edit.html"
    create_template = "admin/record_create.html"
    details_template = "admin/record_details.html"
    column_list = (
        "number",
        "title",
        "state",
        "department",
        "due_at",
        "updated_at",
        "retention_ends_on",
    )
    # Only indexed sorts: these columns lead the list indexes of Record.
    column_sortable_list = ("number", "updated_at")
    column_default_sort = ("updated_at", True)
    column_labels = {
        "number": _l("Number"),
        "title": _l("Title"),
        "state": _l("State"),
        "department": _l("Department"),
        "updated_at": _l("Last changed"),
        "retention_ends_on": _l("Keep until"),
        "due_at": _l("Due"),
    }
    column_formatters = {
        "state": _state_column,
        "department": _department_column,
        "updated_at": datetime_column,
        "retention_ends_on": _date_column,
        "due_at": lambda view, context, model, name: due_text(model),
    }
    # Exact matches only: an index answers them, a regex scan never runs.
    column_filters = (
        FilterEqual("number", _l("Number")),
        FilterEqual("state", _l("State")),
        FilterEqual("department", _l("Department")),
    )
    can_view_details = True
    can_delete = False

    def __init__(self, record_type: RecordType, **kwargs):
        self.record_type = record_type
        super().__init__(
            Record, name=type_title(record_type), endpoint=f"records_{record_type.name}", **kwargs
        )

    # --- permissions ----------------------------------------------------------

    @property
    def actor(self):
        return actor_for(current_user._get_current_object())

    @property
    def can_create(self):
        return current_user.is_authenticated and can_create(self.actor, self.record_type)

    @property
    def can_edit(self):
        return current_user.is_authenticated and current_user.has_role(*self.record_type.edit_roles)

    # --- queries --------------------------------------------------------------

    def get_query(self):
        visible = visible_filter(self.actor)
        if visible is None:
            return Record.objects(id=None)
        return Record.objects(type=self.record_type.name).filter(__raw__=visible)

    @action("docx", _l("Download as Word (zip)"))
    def action_docx(self, ids):
        """The chosen records' forms in one zip (each download audited)."""
        numbers = [r.number for r in self.get_query().filter(id__in=ids).only("number")]
        try:
            return exports.send(
                output.records_zip(
                    self.actor,
                    numbers,
                    texts=exports.texts(),
                    organisation=exports.organisation(),
                )
            )
        except RecordError as error:
            flash(message(error), "error")
            return None

    def get_one(self, id):
        # By the id alone, then the access rule: the visibility filter's $or
        # beside the id made the embedded server scan every record (30 s for
        # a staff member at 50,000 complaints).
        try:
            record = Record.objects(id=id, type=self.record_type.name).first()
        except Exception:  # noqa: BLE001 - a malformed id is simply not found
            return None
        if record is None or not can_view(self.actor, record):
            return None
        return record

    def scaffold_form(self):
        return record_form_class(self.record_type)

    # --- create and edit ------------------------------------------------------

    def create_model(self, form):
        try:
            record = create_record(
                self.actor, self.record_type.name, form_values(self.record_type, form)
            )
        except RecordError as error:
            self._show_error(form, error)
            return False
        # Linked: after a revisit or CAPA report the page shown is its source's.
        flash(
            escape(_("Record %(number)s was created."))
            % {
                "number": Markup('<a href="{}" data-testid="created-record">{}</a>').format(
                    self._details_url(record), record.number
                )
            },
            "success",
        )
        return record

    def edit_form(self, obj=None):
        values = {}
        hidden = ()
        if obj is not None:
            visible = visible_data(self.actor, self.record_type, obj.data or {}, obj.created_by)
            values = _form_values_of(self.record_type, visible)
            hidden = [f.name for f in self.record_type.fields if f.name not in visible]
            values["base_version"] = obj.version
        form = self._edit_form_class(get_form_data(), **values)
        # Fields the user may not see are not in the form, so they keep their
        # values; nor are those a workflow step fills (the handler, the reply):
        # they change through that step, with its checks and its history.
        for name in [*hidden, *self._step_fields()]:
            if name in form:
                delattr(form, name)
        return self._relabel(form)

    def _step_fields(self) -> set[str]:
        return step_fields(self.record_type)

    def _relabel(self, form):
        """The organisation's own wording of fields (the questionnaire's items)."""
        if self.record_type.custom_labels is not None:
            for name, label in self.record_type.custom_labels().items():
                if name in form:
                    form[name].label.text = label
        return form

    def update_model(self, form, model):
        try:
            revise_record(
                self.actor,
                model.number,
                form_values(self.record_type, form),
                base_version=form.base_version.data,
                reason=form.reason.data or None,
            )
        except StaleVersion as error:
            flash(message(error), "error")
            self._stale_changes = error.changes
            return False
        except RecordError as error:
            self._show_error(form, error)
            return False
        release_lock(self.actor, model.number)
        return True

    def _show_error(self, form, error: RecordError):
        text = message(error)
        if error.field and error.field in form:
            form[error.field].errors = [*form[error.field].errors, text]
        flash(text, "error")

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        return _refused(super().create_view())

    def get_save_return_url(self, model, is_created=False):
        """After saving: back to the record a new one was raised from (a
        revisit's complaint), else to the saved record's own page."""
        from flask_admin.babel import gettext as admin_gettext

        generic = {admin_gettext(text) for text in _GENERIC_FLASHES}
        session["_flashes"] = [
            (category, text)
            for category, text in session.get("_flashes", [])
            if text not in generic
        ]
        source = request.args.get("complaint") or request.args.get("source")
        if is_created and source:
            origin = Record.objects(number=source).only("id", "type").first()
            if origin is not None:
                return url_for(f"records_{origin.type}.details_view", id=str(origin.pk))
        return self._details_url(model)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        self._stale_changes = None
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        if not can_edit(self.actor, self.record_type, record):
            flash(_("This record cannot be changed in its present state."), "error")
            return redirect(self._details_url(record))
        if request.method == "GET":
            try:
                acquire_lock(
                    self.actor, record.number, takeover=request.args.get("takeover") == "1"
                )
            except RecordError as error:
                # The record page's lock notice names who edits and until
                # when; a flashed copy of it would say the same twice.
                if current_lock(record) is None:
                    flash(message(error), "warning")
                return redirect(self._details_url(record, locked="1"))
        return _refused(super().edit_view())

    def render(self, template, **kwargs):
        if template == self.edit_template:
            kwargs.setdefault("stale_changes", getattr(self, "_stale_changes", None))
            kwargs.setdefault("field_labels", self._field_labels())
        return super().render(template, **kwargs)

    def _field_labels(self) -> dict:
        return field_labels(self.record_type)

    def _details_url(self, record, **args):
        return url_for(".details_view", id=str(record.pk), **args)

    # --- the record page ------------------------------------------------------

    @expose("/details/")
    def details_view(self):
        record = self.get_one(request.args.get("id", ""))
        if record is None:
            abort(404)
        return self._record_page(record)

    def _transition_form(self, transition, record, formdata=None):
        """The step's form: a comment, the password for a signature, and the
        fields the step asks for, filled with their present values."""
        form_class = record_form_class(
            self.record_type, only=transition.fields, base=TransitionForm, extra={}
        )
        values = {"transition": transition.name, "base_version": record.version}
        if formdata is None:
            visible = visible_data(
                self.actor, self.record_type, record.data or {}, record.created_by
            )
            values.update(_form_values_of(self.record_type, visible, transition.fields))
        return (
            form_class(formdata=formdata, **values)
            if formdata is not None
            else form_class(formdata=None, **values)
        )

    def create_form(self, obj=None):
        """A new record's form, prefilled from the query string where a page
        links here (a revisit from its complaint)."""
        form = super().create_form(obj)
        if request.method == "GET":
            for spec in self.record_type.input_fields:
                value = request.args.get(spec.name)
                if (
                    value
                    and spec.name in form
                    and spec.kind in ("string", "text", "record", "department", "user", "choice")
                ):
                    form[spec.name].data = value
        # A new record has no earlier version: a reason for a change means nothing.
        if "reason" in form:
            delattr(form, "reason")
        return self._relabel(form)

    def _record_or_404(self):
        record = self.get_one(request.values.get("id", ""))
        if record is None:
            abort(404)
        return record

    def _run(self, record, operation, success: str):
        try:
            operation()
        except RecordError as error:
            flash(message(error), "error")
        else:
            flash(success, "success")
        return redirect(self._details_url(record))

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        record = self._record_or_404()
        transition = self.record_type.workflow.transition(request.form.get("transition", ""))
        if transition is None:
            flash(_("This step is not possible in the record's present state."), "error")
            return redirect(self._details_url(record))
        form = self._transition_form(transition, record, formdata=request.form)
        if not form.validate():
            return self._record_page(record, failed_step=form, status=400)
        values = {
            k: v for k, v in form_values(self.record_type, form).items() if k in transition.fields
        }
        try:
            done = transition_record(
                self.actor,
                record.number,
                transition.name,
                comment=form.comment.data,
                password=form.password.data,
                base_version=form.base_version.data or None,
                changes=values,
            )
        except RecordError as error:
            text = message(error)
            field = (
                error.field
                if error.field in form
                else ("password" if transition.signature and error.kind == "forbidden" else None)
            )
            if field is not None:
                form[field].errors = [*form[field].errors, text]
            else:
                form.step_error = text
            return self._record_page(record, failed_step=form, status=400)
        flash(self._step_done(transition, done), "success")
        return redirect(self._details_url(record))

    @expose("/revert/", methods=("POST",))
    def revert_view(self):
        record = self._record_or_404()
        form = ReasonForm()
        return self._run(
            record,
            lambda: revert_record(
                self.actor,
                record.number,
                form.target.data or "",
                base_version=form.base_version.data,
                reason=form.reason.data,
            ),
            _("A new version with the earlier content was saved."),
        )

    @expose("/attach/", methods=("POST",))
    def attach_view(self):
        record = self._record_or_404()
        upload = request.files.get("file")
        content = upload.read() if upload else b""
        return self._run(
            record,
            lambda: attach_file(
                self.actor,
                record.number,
                upload.filename if upload else "",
                content,
                base_version=request.form.get("base_version", record.version),
                max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
            ),
            _("The file was attached."),
        )

    @expose("/download/")
    def download_view(self):
        record = self._record_or_404()
        try:
            item, content = read_attachment(
                self.actor,
                record.number,
                request.args.get("attachment", ""),
                version=int_arg("version", high=10**9),
            )
        except RecordError as error:
            flash(message(error), "error")
            return redirect(self._details_url(record))
        return send_file(
            io.BytesIO(content),
            mimetype=item["content_type"],
            as_attachment=True,
            download_name=safe_filename(item["filename"]) or "attachment",
        )

    @expose("/preview/")
    def preview_view(self):
        """A page image or the thumbnail of an attachment, read and cached by
        the attachment reader (never rendered on the request)."""
        record = self._record_or_404()
        size = "thumb" if request.args.get("size") == "thumb" else "large"
        try:
            image = read_preview(
                self.actor,
                record.number,
                request.args.get("attachment", ""),
                int_arg("page", 1, high=10**6),
                size,
            )
        except (RecordError, InputError):
            abort(404)
        return send_file(io.BytesIO(image), mimetype="image/png")

    @expose("/hold/", methods=("POST",))
    def hold_view(self):
        record = self._record_or_404()
        form = ReasonForm()
        hold_id = request.form.get("release")
        if hold_id:
            return self._run(
                record,
                lambda: release_hold(self.actor, record.number, hold_id, form.reason.data),
                _("The hold was released."),
            )
        return self._run(
            record,
            lambda: place_hold(self.actor, record.number, form.reason.data),
            _("The hold was placed."),
        )

    @expose("/dispose/", methods=("POST",))
    def dispose_view(self):
        record = self._record_or_404()
        form = ReasonForm()
        try:
            dispose_record(self.actor, record.number, form.reason.data)
        except RecordError as error:
            flash(message(error), "error")
            return redirect(self._details_url(record))
        flash(
            _("%(number)s was disposed of; its certificate is kept.", number=record.number),
            "success",
        )
        return redirect(url_for(".index_view"))

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        """Deleting is disposal: refused until retention ends, and audited."""
        return self.dispose_view()
