"""The pages staff work from, outside the back office: my tasks, a quick
hotline form for a new complaint, the complaint register, the overdue list,
and the procedures with their forms and records by year."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import HiddenField

from portal import exports
from portal.actors import actor_for, message
from portal.admin.base import AdminForm
from portal.admin.record_forms import form_values, record_form_class
from portal.inputs import InputError, int_arg
from portal.models import Department
from portal.pages.display import (
    Names,
    crumbs,
    due_text,
    expected_steps,
    field_text,
    record_url,
    row_url,
    state_label,
    type_title,
)
from portal.security import permission_required
from records import worklists
from records.access import can_create, visible_filter
from records.clock import local_now
from records.errors import RecordError
from records.operations import create_record
from records.permissions import READ_RECORDS, RECEIVE_COMPLAINTS, SEND_REMINDERS
from records.types import registry
from records.vocabularies import PROCEDURES, SEVERITIES, SUBJECTS

bp = Blueprint("work", __name__)

QUICK_FIELDS = (
    "received_at",
    "channel",
    "customer",
    "contact",
    "address",
    "title",
    "description",
    "customer_request",
    "complainants",
    "urgent",
    "lawsuit",
    "media",
    "exposure_risk",
    "major_impact",
    "outside_help",
)


def _actor():
    return actor_for(current_user._get_current_object())


@bp.context_processor
def _row_helpers() -> dict:
    """What every page here shows record rows with (a view's own wins)."""
    return {
        "due_text": due_text,
        "state_label": state_label,
        "type_title": type_title,
        "record_url": row_url,
    }


# --- my tasks -------------------------------------------------------------------


@bp.route("/tasks")
@permission_required(READ_RECORDS)
def tasks():
    actor = _actor()
    try:
        number = int_arg("page", 1, high=TASKS_MAX // TASKS_PAGE)
    except InputError:
        number = 1
    # The list up to this page and one row more: that there is a next page is
    # known, the count beyond it is not read ("more than").
    rows = worklists.my_tasks(actor, limit=number * TASKS_PAGE + 1)
    exact = len(rows) <= number * TASKS_PAGE
    if not rows[(number - 1) * TASKS_PAGE :] and number > 1:
        number = max(1, -(-len(rows) // TASKS_PAGE))
    pages = max(1, -(-len(rows) // TASKS_PAGE))
    shown = rows[(number - 1) * TASKS_PAGE : number * TASKS_PAGE]
    return render_template(
        "work/tasks.html",
        rows=shown,
        total=len(rows),
        exact=exact,
        page=number,
        pages=pages,
        first=(number - 1) * TASKS_PAGE + 1,
        page_url=lambda n: url_for("work.tasks", page=n),
        expected=lambda row: expected_steps(actor, row),
        breadcrumbs=crumbs((_("My tasks"), None)),
    )


TASKS_PAGE = 50
#: How far my tasks page on (a list that long is worked from filters).
TASKS_MAX = 5000


# --- a new complaint from the hotline ----------------------------------------------


COMPLAINT = "complaint_sheet"


def quick_form_class():
    return record_form_class(
        registry.get(COMPLAINT),
        only=QUICK_FIELDS,
        base=AdminForm,
        extra={"base_version": HiddenField()},
    )


@bp.route("/complaints/new", methods=("GET", "POST"))
@permission_required(RECEIVE_COMPLAINTS)
def new_complaint():
    record_type = registry.get(COMPLAINT)
    actor = _actor()
    if not can_create(actor, record_type):
        abort(403)
    form_class = quick_form_class()
    if request.method == "GET":
        now = local_now().replace(second=0, microsecond=0)
        form = form_class(
            formdata=None,
            received_at=now,
            channel="hotline",
            complainants=1,
            first_receiver=actor.full_name,
        )
    else:
        form = form_class()
    status = 200
    if request.method == "POST":
        if form.validate():
            values = {k: v for k, v in form_values(record_type, form).items() if k in QUICK_FIELDS}
            try:
                record = create_record(actor, COMPLAINT, values)
            except RecordError as error:
                text = message(error)
                if error.field and error.field in form:
                    form[error.field].errors = [*form[error.field].errors, text]
                flash(text, "error")
                status = 400
            else:
                severity = next(
                    _(c.label) for c in SEVERITIES if c.value == record.data.get("severity")
                )
                flash(
                    _(
                        "Complaint %(number)s was recorded. Severity: %(severity)s.",
                        number=record.number,
                        severity=severity,
                    ),
                    "success",
                )
                return redirect(url_for(f"records_{COMPLAINT}.details_view", id=str(record.pk)))
        else:
            status = 400
    return render_template(
        "work/new_complaint.html",
        form=form,
        fields=QUICK_FIELDS,
        breadcrumbs=crumbs((_("New complaint"), None)),
    ), status


# --- the complaint register ----------------------------------------------------------


REGISTER_PAGE = 50


@bp.route("/register")
@permission_required(READ_RECORDS)
def register():
    actor = _actor()
    query = exports.register_query()
    start, end = query["start"], query["end"]
    filters = {key: query[key] for key in ("state", "severity", "department", "subject")}
    sort, descending = query["sort"], query["descending"]
    record_type = registry.get(COMPLAINT)
    try:
        page = int_arg("page", 1, high=100_000)
    except InputError:
        page = 1
    try:
        found = worklists.register_page(actor, **query, page=page, size=REGISTER_PAGE)
        if not found.rows and page > 1:
            # Past the last page (a link kept from a longer list): the last one.
            page = max(1, -(-found.total // REGISTER_PAGE))
            found = worklists.register_page(actor, **query, page=page, size=REGISTER_PAGE)
        quotas = worklists.revisit_quotas(
            actor, start, end, department=filters["department"], kept=found.kept
        )
    except RecordError as error:
        flash(message(error), "error")
        found, quotas = worklists.RegisterPage([], 0, True), []
    names = Names()
    rows, total = found.rows, found.total
    names.preload(r.get("handler") for r in rows)
    # Unless the count is exact, pages go on as long as rows follow.
    pages = max(1, -(-total // REGISTER_PAGE))
    kept = {k: v for k, v in request.args.items() if k not in ("page", "sort", "desc")}

    def sort_url(column: str) -> str:
        """A heading's link: sorts by it, the second click reverses."""
        desc = "0" if sort == column and descending else "1"
        return url_for("work.register", **kept, sort=column, desc=desc)

    return render_template(
        "work/register.html",
        rows=rows,
        total=total,
        exact=found.exact,
        page=page,
        pages=pages,
        first=(page - 1) * REGISTER_PAGE + 1,
        sort_url=sort_url,
        page_url=lambda n: url_for("work.register", **{**request.args, "page": n}),
        quotas=quotas,
        start=start,
        end=end,
        filters=filters,
        sort=sort,
        descending=descending,
        record_type=record_type,
        states=record_type.workflow.states,
        severities=SEVERITIES,
        subjects=SUBJECTS,
        departments=Department.objects(active=True).only("code", "name"),
        text=lambda row, name: field_text(record_type, name, row["data"].get(name), names),
        department_name=names.department,
        user_name=names.user,
        export_args={k: v for k, v in request.args.items() if k != "format"},
        breadcrumbs=crumbs((_("Complaint register"), None)),
    )


# --- overdue items -------------------------------------------------------------------


@bp.route("/overdue")
@permission_required(READ_RECORDS)
def overdue():
    actor = _actor()
    department = exports.overdue_department(actor)
    items = worklists.overdue(actor, department=department)
    names = Names()
    return render_template(
        "work/overdue.html",
        items=items,
        department=department,
        departments=Department.objects(active=True).only("code", "name"),
        department_name=names.department,
        reminder_url=lambda r: r and record_url(r["number"], r["type"]),
        can_remind=actor.may(SEND_REMINDERS),
        form=AdminForm(),
        breadcrumbs=crumbs((_("Overdue"), None)),
    )


# --- the lists as Word or Excel ------------------------------------------------------

#: The lists that download as Word or Excel (each its page's endpoint) and
#: what makes the file, from the same query string as the page.
EXPORTS = {
    "register": exports.complaint_register_file,
    "overdue": exports.overdue_file,
}


@bp.route("/<any(register, overdue):listing>/export.<any(docx, xlsx):file_format>")
@permission_required(READ_RECORDS)
def export(listing, file_format):
    return exports.download_or_back(
        lambda: EXPORTS[listing](file_format),
        lambda: url_for(f".{listing}", **request.args),
    )


@bp.route("/overdue/remind", methods=("POST",))
@permission_required(SEND_REMINDERS)
def remind():
    number = request.form.get("number", "")
    try:
        reminder = worklists.issue_reminder(_actor(), number)
    except RecordError as error:
        flash(message(error), "error")
    else:
        flash(
            _("Reminder %(reminder)s was sent to the department.", reminder=reminder["number"]),
            "success",
        )
    return redirect(url_for(".overdue", department=request.form.get("department") or None))


# --- procedures, their forms, records by year ------------------------------------------


def _types_of(code: str):
    return [t for t in registry if t.procedure == code]


def _years(type_name: str) -> list[tuple[int, int]]:
    """Years with records of a type, newest first, with how many were numbered
    (the numbering counters: no counting over the records)."""
    from records.store import database

    years = []
    for counter in database().counters.find({"_id": {"$regex": f"^{type_name}:"}}):
        years.append((int(counter["_id"].split(":", 1)[1]), counter.get("seq", 0)))
    return sorted(years, reverse=True)


@bp.route("/procedures")
@permission_required(READ_RECORDS)
def procedures():
    effective_docs = {}
    from records.store import database

    query = {"type": "procedure_document", "state": "effective"}
    visible = visible_filter(_actor())
    if visible is not None:
        for doc in database().records.find({"$and": [visible, query]} if visible else query):
            effective_docs[doc["data"].get("doc_code")] = doc
    return render_template(
        "work/procedures.html",
        procedures=PROCEDURES,
        types_of=_types_of,
        effective_docs=effective_docs,
        breadcrumbs=crumbs((_("Procedures"), None)),
    )


@bp.route("/procedures/<code>")
@permission_required(READ_RECORDS)
def procedure(code: str):
    if code not in PROCEDURES:
        abort(404)
    return render_template(
        "work/procedure.html",
        code=code,
        title=PROCEDURES[code],
        types=_types_of(code),
        years=_years,
        breadcrumbs=crumbs(
            (_("Procedures"), url_for(".procedures")), (f"{code} {_(PROCEDURES[code])}", None)
        ),
    )


PAGE_SIZE = 50


@bp.route("/procedures/<code>/<type_name>/<int(max=9999):year>")
@permission_required(READ_RECORDS)
def records_of_year(code: str, type_name: str, year: int):
    record_type = registry.get(type_name)
    if code not in PROCEDURES or record_type is None or record_type.procedure != code:
        abort(404)
    from records.models import Record

    visible = visible_filter(_actor())
    page = int_arg("page", 1, high=100_000)
    rows = []
    if visible is not None:
        query = Record.objects(type=type_name, year=year).filter(__raw__=visible)
        rows = list(
            query.order_by("-number")
            .skip((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
            .only(
                "id",
                "number",
                "type",
                "title",
                "state",
                "department",
                "updated_at",
                "due_at",
                "due_kind",
                "due_uncovered",
            )
        )
    title = type_title(type_name)
    return render_template(
        "work/records_of_year.html",
        rows=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE,
        page=page,
        record_type=record_type,
        year=year,
        code=code,
        title=title,
        create_url=url_for(f"records_{type_name}.create_view")
        if can_create(_actor(), record_type)
        else None,
        breadcrumbs=crumbs(
            (_("Procedures"), url_for(".procedures")),
            (f"{code} {_(PROCEDURES[code])}", url_for(".procedure", code=code)),
            (title, None),
            (str(year), None),
        ),
    )
